"""Where a network tool may connect: one host, and only public addresses unless allowed.

Network tools are the classic SSRF hole of agent frameworks: the model picks the arguments, and
a URL, a redirect or a DNS answer can point a request at the cloud metadata service
(169.254.169.254), a database on localhost or a router on the LAN. Two rules, enforced where the
connection is made, not where the URL is read:

- **one host**: a connection goes only to the hosts the tool was given (its server URL's host,
  an OAuth token URL's host); anything else is refused.
- **public addresses only**: every address a host name resolves to is checked when the
  connection is opened (:class:`GuardedBackend`), so a name that resolved to a public address a
  moment ago and to ``127.0.0.1`` now (DNS rebinding) is refused on the second connection. The
  connection goes to the checked address itself; TLS still verifies, and SNI and ``Host`` still
  name, the host of the URL. ``allow_private_network: true`` lifts this rule (a local service).

:func:`guarded_transport` builds an ``httpx`` transport with both rules; any HTTP tool type
(OpenAPI, HTTP, MCP over HTTP) can use it. Nothing here imports httpx until a transport is made.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: host, port -> the addresses it resolves to, in the resolver's order.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """A connection that the tool's network policy refused; the message says why and what to do."""


def address_problem(address: str) -> str | None:
    """Why ``address`` (an IP literal) is not a public address, or None when it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system resolver (``socket.getaddrinfo``), in order."""
    import anyio.to_thread

    infos = await anyio.to_thread.run_sync(
        lambda: socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    )
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass(frozen=True)
class Policy:
    """Where one tool's connections may go."""

    hosts: frozenset[str]
    allow_private: bool = False
    tool: str = "the tool"
    resolver: Resolver | None = field(default=None, compare=False)

    def check_host(self, host: str) -> None:
        """Refuse a host the tool was not given (its server URL's host)."""
        if _normal_host(host) not in {_normal_host(h) for h in self.hosts}:
            allowed = ", ".join(sorted(self.hosts)) or "none"
            raise AddressRefused(
                f"{self.tool} may connect only to {allowed}, not to {host}"
            )

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses a connection to ``host`` may use, checked; raises when none may."""
        self.check_host(host)
        literal = _ip_literal(host)
        if literal is not None:
            found = [literal]
        else:
            resolve = self.resolver or system_resolver
            try:
                found = await resolve(host, port)
            except OSError as exc:
                raise ConnectionError(f"cannot resolve {host}: {exc}") from None
        if self.allow_private:
            return found
        allowed = [a for a in found if address_problem(a) is None]
        if not allowed:
            shown = found[0] if found else "nothing"
            why = address_problem(shown) if found else "no address"
            raise AddressRefused(
                f"{self.tool} refused to connect to {host}: it resolves to {shown}, {why}. "
                "If this is a service you run, set allow_private_network: true on the tool"
            )
        return allowed


def _normal_host(host: str) -> str:
    """``host`` as the connection layer sees it: no brackets or final dot, lower case, IDNA."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return host


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


def guarded_backend(policy: Policy) -> Any:
    """An httpcore network backend that opens connections only as ``policy`` allows."""
    from gptkit.tools._httplib import httpcore

    class GuardedBackend(httpcore.AsyncNetworkBackend):  # type: ignore[misc]
        """Resolves, checks each address, and connects to the checked address itself."""

        def __init__(self) -> None:
            self.inner = httpcore.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> Any:
            last: Exception | None = None
            for address in await policy.addresses(host, port):
                try:
                    return await self.inner.connect_tcp(
                        address, port, timeout, local_address, socket_options
                    )
                except Exception as exc:  # httpcore's ConnectError/ConnectTimeout: try the next
                    last = exc
            assert last is not None
            raise last

        async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
            raise AddressRefused(f"{policy.tool} may not use a Unix socket")

        async def sleep(self, seconds: float) -> None:
            await self.inner.sleep(seconds)

    return GuardedBackend()


def guarded_transport(policy: Policy) -> Any:
    """An ``httpx.AsyncHTTPTransport`` whose every connection ``policy`` checks (see above).

    No proxy from the environment is used: a proxy would make the connection on the tool's
    behalf, out of reach of the address check.
    """
    from gptkit.tools._httplib import httpcore, httpx

    transport = httpx.AsyncHTTPTransport(trust_env=False)
    old = transport._pool
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=getattr(old, "_ssl_context", None),
        max_connections=20,
        max_keepalive_connections=10,
        keepalive_expiry=5.0,
        network_backend=guarded_backend(policy),
    )
    return transport
