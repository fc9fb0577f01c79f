"""MCP tools over streamable HTTP: the toolbox server under uvicorn on 127.0.0.1, port 0.

The bearer token comes from the variable bearer_env names; it reaches the server, and never
the model, the answer or an error (the server even echoes it back: the model reads ***).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_support import TOOLBOX, clean_env, http_assistant, marker, wait_until_gone

import gptkit
from gptkit.errors import ToolError
from gptkit.testing import FakeOpenAI, call, text, tool_calls

TOKEN = "mcp-token-0123456789-abcdef"


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    word = marker()
    process = subprocess.Popen(
        [sys.executable, str(TOOLBOX), "http", word], stdout=subprocess.PIPE, text=True,
        env=clean_env(TOOLBOX_TOKEN=TOKEN), start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()  # type: ignore[union-attr]
    assert wait_until_gone(word) == []


def _assistant(folder: Path, url: str, entry: str = "") -> Path:
    return http_assistant(folder, url, f"""\
    bearer_env: TOOLBOX_CLIENT_TOKEN
    allow_private_network: true
    headers:
      X-Team: docs
{entry}""")


def _results(path: Path, calls: list, environ: dict[str, str]) -> tuple[list, dict[str, str]]:
    script = [tool_calls(*calls), text("done")]
    with FakeOpenAI(script) as server:
        with gptkit.Session(gptkit.load(path), base_url=server.url, environ=environ) as session:
            answer = session.send("go")
    assert answer.text == "done"
    return server.requests, {r.call_id: r.output for r in server.requests[1].tool_results()}


def test_calls_over_http_with_a_bearer_token(tmp_path: Path, http_server: str) -> None:
    path = _assistant(tmp_path, http_server, "    include: [add, authecho]\n")
    requests, results = _results(
        path, [call("add", {"a": 2, "b": 40}, id="a"), call("authecho", {}, id="t")],
        {"TOOLBOX_CLIENT_TOKEN": TOKEN},
    )
    assert requests[0].tool_names() == ["add", "authecho"]
    assert results == {"a": "42", "t": "***"}  # the server got it; the model never sees it
    assert all(TOKEN not in str(r.body) for r in requests)


def test_a_wrong_token_is_a_clear_error(tmp_path: Path, http_server: str) -> None:
    path = _assistant(tmp_path, http_server)
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1",
                        environ={"TOOLBOX_CLIENT_TOKEN": "wrong-token-123456789"}) as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    message = str(caught.value)
    assert message.startswith(f"MCP server 'remote' at {http_server} could not be reached (")
    assert "wrong-token" not in message


def test_an_unset_bearer_variable_is_named(tmp_path: Path, http_server: str) -> None:
    path = _assistant(tmp_path, http_server)
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1", environ={}) as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value) == (
        "MCP server 'remote': the environment variable TOOLBOX_CLIENT_TOKEN (bearer_env) is not "
        "set; set it to the server's token"
    )


def test_a_hang_and_an_error_over_http(tmp_path: Path, http_server: str) -> None:
    path = _assistant(tmp_path, http_server, "    timeout_s: 2\n")
    _, results = _results(
        path, [call("hang", {}, id="h"), call("fail", {}, id="f"), call("echo", {"text": "x"}, id="e")],
        {"TOOLBOX_CLIENT_TOKEN": TOKEN},
    )
    assert results["h"].startswith("error: hang did not answer within 2 s (its timeout)")
    assert results["f"].startswith("error: fail failed: ")
    assert results["e"] == "x"


def test_a_server_that_is_not_there(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = _assistant(tmp_path, f"http://127.0.0.1:{port}/mcp", "    timeout_s: 10\n")
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1",
                        environ={"TOOLBOX_CLIENT_TOKEN": TOKEN}) as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value).startswith(
        f"MCP server 'remote' at http://127.0.0.1:{port}/mcp could not be reached ("
    )


def test_a_crash_over_http_is_an_error_result(tmp_path: Path) -> None:
    word = marker()
    process = subprocess.Popen([sys.executable, str(TOOLBOX), "http", word],
                               stdout=subprocess.PIPE, text=True, env=clean_env(),
                               start_new_session=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().split()[1])
        path = _assistant(tmp_path, f"http://127.0.0.1:{port}/mcp", "    timeout_s: 10\n")
        _, results = _results(path, [call("crash", {}, id="x")], {"TOOLBOX_CLIENT_TOKEN": TOKEN})
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()  # type: ignore[union-attr]
    assert results["x"].startswith("error: crash failed: ")
