"""MCP over streamable HTTP goes through the network tools' address policy (gptkit.tools.net).

Without ``allow_private_network: true`` a server on 127.0.0.1 is refused before any connection
is made; a name that answers a public address first and 127.0.0.1 next (DNS rebinding) is
refused on the connection that would reach 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_support import TOOLBOX, clean_env, http_assistant, marker, wait_until_gone

import gptkit
from gptkit.errors import ToolError
from gptkit.testing import FakeOpenAI, call, text, tool_calls

PUBLIC = "93.184.216.34"  # stands in for a public server; the test connects it to 127.0.0.1


def _assistant(folder: Path, url: str, entry: str = "", timeout_s: int = 10) -> Path:
    return http_assistant(folder, url, f"    timeout_s: {timeout_s}\n{entry}")


def test_a_loopback_server_is_refused_without_allow_private_network(tmp_path: Path) -> None:
    with socket.socket() as listener:  # a server that would see any connection
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
        path = _assistant(tmp_path, url)
        with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1", environ={}) as session:
            with pytest.raises(ToolError) as caught:
                session.connect()
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing reached it
    message = str(caught.value)
    assert message.startswith(f"MCP server 'remote' at {url} refused to connect to 127.0.0.1: ")
    assert "127.0.0.1, a loopback address" in message
    assert "set allow_private_network: true on the tool" in message


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.7"])
def test_a_name_resolving_to_a_private_address_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    path = _assistant(tmp_path, "http://mcp.tools.example/mcp")
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1", environ={}) as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert f"refused to connect to mcp.tools.example: it resolves to {address}" in str(caught.value)


@pytest.fixture()
def any_host_server() -> Iterator[int]:
    word = marker()
    process = subprocess.Popen(
        [sys.executable, str(TOOLBOX), "http", "--any-host", word], stdout=subprocess.PIPE,
        text=True, env=clean_env(), start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), line
        yield int(line.split()[1])
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()  # type: ignore[union-attr]
    assert wait_until_gone(word) == []


def _public_until_flipped(monkeypatch: pytest.MonkeyPatch, mcp_port: int) -> tuple[list[str], list[bool]]:
    """getaddrinfo answers PUBLIC until the returned flag is set, then 127.0.0.1; connections to
    PUBLIC go to our server on 127.0.0.1. Returns the addresses connected to on ``mcp_port``,
    and the flag (a one-item list)."""
    connected: list[str] = []
    flipped = [False]

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "mcp.tools.example"
        address = "127.0.0.1" if flipped[0] else PUBLIC
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    from gptkit.tools._httplib import httpcore

    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def connect(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if port == mcp_port:  # the MCP server's port (the fake model server has its own)
            connected.append(host)
        if host == PUBLIC:
            host = "127.0.0.1"
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect)
    return connected, flipped


def test_a_public_name_works_and_rebinding_to_loopback_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_host_server: int
) -> None:
    """Connected while the name is public; then it answers 127.0.0.1. Two calls at once need a
    second connection (hang holds the first), and that one is refused."""
    url = f"http://mcp.tools.example:{any_host_server}/mcp"
    connected, flipped = _public_until_flipped(monkeypatch, any_host_server)
    path = _assistant(tmp_path, url, "    include: [add, hang]\n", timeout_s=3)
    script = [tool_calls(call("hang", {}, id="h"), call("add", {"a": 2, "b": 40}, id="a")), text("done")]
    with FakeOpenAI(script) as server:
        with gptkit.Session(gptkit.load(path), base_url=server.url, environ={}) as session:
            session.connect()
            assert connected and set(connected) == {PUBLIC}
            before = len(connected)
            flipped[0] = True
            answer = session.send("go")
        assert answer.text == "done"
        results = {r.call_id: r.output for r in server.requests[1].tool_results()}
    refused = "refused to connect to mcp.tools.example: it resolves to 127.0.0.1, a loopback address"
    assert any(
        output.startswith("error: ") and f"failed: MCP server 'remote' at {url} {refused}" in output
        for output in results.values()
    ), results
    assert len(connected) == before  # no connection was opened once the name pointed at loopback
