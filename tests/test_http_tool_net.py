"""The address policy of network tools (gptkit/tools/net.py), on its own."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gptkit.tools.net import AddressRefused, Policy, address_problem

NOT_PUBLIC = ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
              "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1",
              "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::", "192.0.2.1"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_named(address: str) -> None:
    assert address_problem(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@given(st.ip_addresses())
def test_the_policy_agrees_with_is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    mapped = getattr(ip, "ipv4_mapped", None) or ip
    if address_problem(str(ip)) is None:
        assert mapped.is_global and not mapped.is_multicast


def test_only_the_given_host_and_its_checked_addresses() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.5", "93.184.216.34"]  # a private answer first: skipped, not refused

    policy = Policy(frozenset({"Bücher.example"}), tool="t", resolver=resolver)
    assert asyncio.run(policy.addresses("xn--bcher-kva.example", 443)) == ["93.184.216.34"]
    with pytest.raises(AddressRefused, match="may connect only to"):
        asyncio.run(policy.addresses("evil.example", 443))
    allowed = Policy(frozenset({"10.0.0.5"}), allow_private=True, tool="t")
    assert asyncio.run(allowed.addresses("10.0.0.5", 80)) == ["10.0.0.5"]
