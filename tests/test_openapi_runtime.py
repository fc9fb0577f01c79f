"""OpenAPI tools against a real HTTP API on 127.0.0.1: each auth type and each hostile case.

The tools are built from an assistant file as a run builds them and called through the
runtime's dispatcher, so what is asserted is the result text the model would read.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from openapi_server import API_KEY, CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USER, ApiServer

import gptkit
from gptkit.messages import ToolCall
from gptkit.runtime.dispatch import Limits, dispatch
from gptkit.tools.base import ToolContext
from gptkit.tools.registry import build_tools, tool_secrets

ENV = {"PETS_KEY": API_KEY, "PETS_TOKEN": TOKEN, "PETS_USER": USER, "PETS_PASSWORD": PASSWORD,
       "PETS_CLIENT": CLIENT_ID, "PETS_SECRET": CLIENT_SECRET}


@pytest.fixture
def api() -> Any:
    with ApiServer() as server:
        yield server


def assistant(folder: Path, tool: str, limits: str = "") -> Any:
    (folder / "assistant.yaml").write_text(
        "version: 1\nname: pets\nmodel: {name: gpt-4o-mini}\ninstructions: Help.\n"
        f"{limits}tools:\n{tool}", encoding="utf-8")
    return gptkit.load(str(folder / "assistant.yaml"))


def tool_entry(extra: str = "", private: bool = True) -> str:
    lines = "  - type: openapi\n    spec: api.yaml\n"
    if private:
        lines += "    allow_private_network: true\n"
    return lines + "".join(f"    {line}\n" for line in extra.splitlines() if line)


def call(config: Any, folder: Path, name: str, arguments: dict[str, Any] | str,
         environ: dict[str, str] | None = None, limits: Limits | None = None) -> tuple[str, bool]:
    tools = {t.name: t for t in build_tools(config, folder, environ=ENV if environ is None else environ)}
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    secrets = tool_secrets(config, ENV if environ is None else environ)

    async def go() -> Any:
        try:
            return await dispatch([ToolCall("c1", name, raw)], tools, ToolContext("pets"),
                                  limits or Limits(), confirm=_yes, secrets=secrets)
        finally:
            for tool in tools.values():
                caller = getattr(tool, "caller", None)
                if caller is not None:
                    await caller.aclose()

    (finished,) = asyncio.run(go())
    return finished.result, finished.error


async def _yes(name: str, arguments: dict[str, Any]) -> bool:
    return True


def test_get_with_path_query_and_header_parameters(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "echo", {"q": "a b&c", "tags": ["x", "y"], "X-Note": "hi"})
    assert not error
    echoed = json.loads(result)
    assert echoed["query"] == {"q": ["a b&c"], "tags": ["x", "y"]}
    assert echoed["headers"]["X-Note"] == "hi"


def test_a_path_parameter_stays_one_segment(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    for value in ("../admin", "..", "a/b?c#d"):
        result, error = call(config, tmp_path, "getPet", {"id": value})
        assert not error and json.loads(result) == {"id": api.requests[-1][1][len("/pets/"):]}
        assert api.requests[-1][1].count("/") == 2  # /pets/<one segment>
    assert [p for _, p, _, _ in api.requests] == ["/pets/..%2Fadmin", "/pets/%2E%2E", "/pets/a%2Fb%3Fc%23d"]


def test_post_sends_the_json_body_and_needs_confirmation_by_default(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    tools = {t.name: t for t in build_tools(config, tmp_path, environ=ENV)}
    assert tools["createPet"].confirm and not tools["getPet"].confirm
    result, error = call(config, tmp_path, "createPet",
                         {"body": {"name": "Rex", "tag": None, "friends": [{"name": "Tom", "tag": "cat", "friends": None}]}})
    assert not error
    assert json.loads(result) == {"created": {"name": "Rex", "friends": [{"name": "Tom", "tag": "cat"}]}}


def test_a_form_body_is_sent_as_a_form(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "sendForm", {"body": {"name": "a&b=c", "count": 2}})
    assert not error
    assert json.loads(result) == {"type": "application/x-www-form-urlencoded",
                                  "form": {"name": ["a&b=c"], "count": ["2"]}}


def test_confirm_false_in_the_file_wins(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry("confirm: false"))
    assert not any(t.confirm for t in build_tools(config, tmp_path, environ=ENV))


def test_the_strict_schema_follows_a_recursive_ref(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    tool = {t.name: t for t in build_tools(config, tmp_path, environ=ENV)}["createPet"]
    assert tool.spec.strict
    pet = tool.spec.parameters["$defs"]["Pet"]
    assert pet["additionalProperties"] is False and sorted(pet["required"]) == ["friends", "name", "tag"]
    friends = pet["properties"]["friends"]
    assert friends["type"] == ["array", "null"] and friends["items"] == {"$ref": "#/$defs/Pet"}


@pytest.mark.parametrize(("kind", "auth"), [
    ("key", "auth: {type: api_key, key_env: PETS_KEY, name: X-Api-Key}"),
    ("query", "auth: {type: api_key, key_env: PETS_KEY, in: query, name: api_key}"),
    ("bearer", "auth: {type: bearer, token_env: PETS_TOKEN}"),
    ("basic", "auth: {type: basic, username_env: PETS_USER, password_env: PETS_PASSWORD}"),
])
def test_each_auth_type_gets_in_and_its_secret_never_shows(api: ApiServer, tmp_path: Path, kind: str, auth: str) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry(auth))
    result, error = call(config, tmp_path, "secure", {"kind": kind})
    assert not error, result
    assert json.loads(result)["ok"] == kind
    for secret in (API_KEY, TOKEN, PASSWORD):
        assert secret not in result
    assert "***" in result  # the server echoed the credential; the model sees it redacted


def test_auth_none_sends_nothing(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    for auth in ("auth: none", "auth: {type: none}"):
        config = assistant(tmp_path, tool_entry(auth))
        result, error = call(config, tmp_path, "echo", {})
        assert not error and "Authorization" not in json.loads(result)["headers"]


def test_without_credentials_the_api_refuses_and_that_is_an_error_result(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "secure", {"kind": "key"})
    assert error and "HTTP 401" in result and "bad credentials" in result


def test_an_unset_secret_variable_is_named_and_nothing_is_sent(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry("auth: {type: bearer, token_env: PETS_TOKEN}"))
    result, error = call(config, tmp_path, "secure", {"kind": "bearer"}, environ={})
    assert error and "PETS_TOKEN is not set" in result
    assert api.requests == []


OAUTH = "auth: {{type: oauth2, token_url: '{base}/token', client_id_env: PETS_CLIENT, client_secret_env: PETS_SECRET, scopes: [read, write]}}"


def test_oauth2_fetches_a_token_once_and_reuses_it(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry(OAUTH.format(base=api.base)))
    tools = {t.name: t for t in build_tools(config, tmp_path, environ=ENV)}

    async def go() -> list[Any]:
        calls = [ToolCall(f"c{i}", "secure", '{"kind": "oauth"}') for i in range(3)]
        first = await dispatch(calls[:1], tools, ToolContext("pets"), Limits())
        rest = await dispatch(calls[1:], tools, ToolContext("pets"), Limits())
        await tools["secure"].caller.aclose()  # type: ignore[attr-defined]
        return [*first, *rest]

    results = asyncio.run(go())
    assert [r.error for r in results] == [False, False, False]
    assert api.tokens_issued == 1
    token_request = next(r for r in api.requests if r[1] == "/token")
    assert b"scope=read+write" in token_request[3]
    assert all("oauth-token-" not in r.result for r in results)  # the echoed token is redacted


def test_oauth2_token_is_fetched_again_after_it_expires(api: ApiServer, tmp_path: Path) -> None:
    api.token_lifetime = 1  # shorter than the safety margin: each call needs a fresh token
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry(OAUTH.format(base=api.base)))
    tools = {t.name: t for t in build_tools(config, tmp_path, environ=ENV)}
    credentials = tools["secure"].caller.credentials  # type: ignore[attr-defined]

    async def go() -> None:
        for i in range(2):
            await dispatch([ToolCall(f"c{i}", "secure", '{"kind": "oauth"}')], tools, ToolContext("pets"), Limits())
            assert credentials._token is not None
            token, _ = credentials._token
            credentials._token = (token, 0.0)  # the clock has passed its expiry
        await tools["secure"].caller.aclose()  # type: ignore[attr-defined]

    asyncio.run(go())
    assert api.tokens_issued == 2


def test_a_failing_token_endpoint_is_an_error_result_without_the_secret(api: ApiServer, tmp_path: Path) -> None:
    api.token_fails = True
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry(OAUTH.format(base=api.base)))
    result, error = call(config, tmp_path, "secure", {"kind": "oauth"})
    assert error and "token endpoint" in result and "HTTP 500" in result
    assert CLIENT_SECRET not in result
    assert api.count("GET", "/secure/oauth") == 0


def test_a_redirect_to_another_host_is_not_followed(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry("auth: {type: bearer, token_env: PETS_TOKEN}"))
    result, error = call(config, tmp_path, "redirect", {})
    assert error and "redirected to another host (elsewhere.example)" in result
    assert TOKEN not in result


def test_a_redirect_on_the_same_host_is_followed(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "redirectHere", {})
    assert not error and json.loads(result) == {"id": "7"}


def test_loopback_is_refused_without_allow_private_network(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry(private=False))
    result, error = call(config, tmp_path, "getPet", {"id": "1"})
    assert error and "127.0.0.1, a loopback address" in result and "allow_private_network: true" in result
    assert api.requests == []


@pytest.mark.parametrize(("address", "why"), [
    ("169.254.169.254", "link-local"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "not a public"),
])
def test_names_resolving_to_non_public_addresses_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             address: str, why: str) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    ApiServer().write_spec(tmp_path, base="http://api.pets.example")
    config = assistant(tmp_path, tool_entry(private=False))
    result, error = call(config, tmp_path, "getPet", {"id": "1"})
    assert error and f"resolves to {address}" in result and why in result


def test_dns_rebinding_is_refused_on_the_next_connection(api: ApiServer, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The name answers a public address first (the check passes), then 127.0.0.1."""
    answers = ["93.184.216.34", "127.0.0.1"]
    asked: list[str] = []

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        address = answers[min(len(asked), 1)]
        asked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    from gptkit.tools._httplib import httpcore

    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def connect(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        assert host != "api.pets.example"  # the connection goes to the checked address itself
        if host == "93.184.216.34":  # stands in for the public server: our local API
            host = "127.0.0.1"
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect)
    api.write_spec(tmp_path, base=f"http://api.pets.example:{api.port}")
    config = assistant(tmp_path, tool_entry(private=False))
    tools = {t.name: t for t in build_tools(config, tmp_path, environ=ENV)}

    async def go() -> list[Any]:
        first = await dispatch([ToolCall("a", "getPet", '{"id": "1"}')], tools, ToolContext("p"), Limits())
        second = await dispatch([ToolCall("b", "getPet", '{"id": "2"}')], tools, ToolContext("p"), Limits())
        await tools["getPet"].caller.aclose()  # type: ignore[attr-defined]
        return [*first, *second]

    first, second = asyncio.run(go())
    assert not first.error and json.loads(first.result) == {"id": "1"}
    assert second.error and "resolves to 127.0.0.1, a loopback address" in second.result
    assert [p for _, p, _, _ in api.requests] == ["/pets/1"]  # the second never reached it
    assert api.requests[0][2]["Host"] == f"api.pets.example:{api.port}"  # Host kept


def test_a_huge_response_is_cut_and_not_read_to_the_end(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry(), limits="limits: {max_tool_output_chars: 5000}\n")
    result, error = call(config, tmp_path, "huge", {}, limits=Limits(max_tool_output_chars=5000))
    assert not error
    assert len(result) <= 5000 and result.endswith("(limits.max_tool_output_chars)]")
    assert api.huge_sent < 50 * 1024 * 1024  # the server could not send it all: nobody read it


def test_a_compressed_body_is_cut_as_it_is_unpacked(api: ApiServer, tmp_path: Path) -> None:
    from openapi_server import GZIP_BOMB

    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    assert len(GZIP_BOMB) < 20000  # under the cap on the wire: it must still not be unpacked whole
    result, error = call(config, tmp_path, "gzipBomb", {})
    assert not error and len(result) <= 20000 and result.startswith("0000")
    assert result.endswith("(limits.max_tool_output_chars)]")


def test_a_slow_response_times_out_with_the_tool_named(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry("timeout_s: 0.5"))
    result, error = call(config, tmp_path, "slow", {})
    assert error and "slow" in result and "0.5 s" in result


def test_invalid_json_is_passed_on_with_a_note(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "badJson", {})
    assert not error
    assert result.startswith("[the response says it is JSON but is not valid JSON") and '{"broken": tru' in result


def test_get_is_retried_on_429_honouring_retry_after(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "flakyGet", {})
    assert not error and json.loads(result) == {"ok": True}
    assert api.count("GET", "/flaky") == 3


def test_post_is_never_retried(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "flakyPost", {})
    assert error and "HTTP 503" in result and "busy" in result
    assert api.count("POST", "/flaky") == 1


def test_header_values_with_line_breaks_are_refused(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "echo", {"X-Note": "a\r\nX-Evil: 1"})
    assert error and "line break" in result
    assert api.requests == []


def test_bad_arguments_go_back_to_the_model(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry())
    result, error = call(config, tmp_path, "getPet", {"id": 5})
    assert error and "invalid arguments for getPet" in result
    assert api.requests == []


def test_operations_selects_and_prefix_renames(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path)
    config = assistant(tmp_path, tool_entry("operations: [getPet, echo]\nprefix: pets_"))
    assert [t.name for t in build_tools(config, tmp_path, environ=ENV)] == ["pets_getPet", "pets_echo"]


def test_a_server_override_with_a_variable(api: ApiServer, tmp_path: Path) -> None:
    api.write_spec(tmp_path, base="https://wrong.example")
    (tmp_path / "assistant.yaml").write_text(
        "version: 1\nname: pets\nmodel: {name: gpt-4o-mini}\ninstructions: Help.\ntools:\n"
        + tool_entry("server: ${PETS_BASE}"), encoding="utf-8")
    config = gptkit.load(str(tmp_path / "assistant.yaml"), environ={"PETS_BASE": api.base})
    result, error = call(config, tmp_path, "getPet", {"id": "3"})
    assert not error and json.loads(result) == {"id": "3"}
