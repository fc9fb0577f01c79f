"""MCP tools over stdio, through a Session against the fake model server.

The server is a real one written with the SDK's MCPServer (tests/mcp_servers/toolbox.py), run
as a subprocess. What a person notices: the server's tools are offered to the model under their
names (filtered, prefixed), a call's result reaches the model, and whatever the server does
wrong (an error, a crash, a hang, garbage on stdout) reaches the model as an error result
naming the tool, while the turn goes on. A server that cannot start is a clear ToolError.
Nothing is left running after the session closes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_support import TOOLBOX, assistant, marker, processes_with, wait_until_gone

import gptkit
from gptkit.errors import ToolError
from gptkit.testing import FakeOpenAI, call, text, tool_calls


def _turn(path: Path, *calls: tuple[str, dict], environ: dict[str, str] | None = None):
    """One turn where the model calls ``calls`` (in one reply), then answers; the results sent."""
    script = [tool_calls(*(call(n, a, id=f"c{i}") for i, (n, a) in enumerate(calls))), text("ok")]
    with FakeOpenAI(script) as server:
        with gptkit.Session(gptkit.load(path), base_url=server.url, environ=environ) as session:
            answer = session.send("go")
    assert answer.text == "ok"
    first, second = server.requests
    return first, {r.call_id: r.output for r in second.tool_results()}


def test_the_servers_tools_are_offered_and_called(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word)
    first, results = _turn(path, ("add", {"a": 2, "b": 3}), ("echo", {"text": "hi"}))
    assert set(first.tool_names()) == {
        "add", "echo", "whoami", "authecho", "note", "crash", "hang", "fail", "garbage", "spawn"
    }
    assert first.tools()["add"]["properties"].keys() == {"a", "b"}
    assert results == {"c0": "5", "c1": "hi"}
    assert wait_until_gone(word) == []


def test_include_exclude_and_prefix(tmp_path: Path) -> None:
    path = assistant(tmp_path, marker(), entry="    include: [add, echo, fail]\n"
                     "    exclude: [fail]\n    prefix: box_\n")
    first, results = _turn(path, ("box_add", {"a": 1, "b": 1}), ("add", {"a": 1, "b": 1}))
    assert first.tool_names() == ["box_add", "box_echo"]
    assert results["c0"] == "2"
    assert results["c1"].startswith("error: there is no tool named 'add'")


def test_include_of_a_tool_the_server_lacks_is_a_clear_error(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    include: [add, ad]\n")
    with FakeOpenAI([text("never")]) as server:
        with gptkit.Session(gptkit.load(path), base_url=server.url) as session:
            with pytest.raises(ToolError) as caught:
                session.send("go")
    message = str(caught.value)
    assert "MCP server 'box': include names 'ad', which the server does not offer" in message
    assert "it offers: add, authecho, crash, echo" in message
    assert server.requests == []  # nothing was sent to the model
    assert wait_until_gone(word) == []


def test_a_name_clash_with_another_tool_asks_for_a_prefix(tmp_path: Path) -> None:
    (tmp_path / "local.py").write_text('def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n')
    path = assistant(tmp_path, marker(),
                     tools="  - type: python\n    name: add\n    function: local:add\n")
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1") as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value) == (
        "MCP server 'box' offers a tool named 'add', and another tool already uses that name; "
        "set prefix on the mcp entry (prefix: box_), or leave the tool out with exclude"
    )


def test_an_error_a_crash_and_the_next_call(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word)
    script = [
        tool_calls(call("fail", {}, id="f")),
        tool_calls(call("crash", {}, id="x")),
        tool_calls(call("add", {"a": 20, "b": 22}, id="a")),
        text("survived"),
    ]
    with FakeOpenAI(script) as server:
        with gptkit.Session(gptkit.load(path), base_url=server.url) as session:
            answer = session.send("go")
    assert answer.text == "survived"
    results = {r.call_id: r.output for r in server.requests[-1].tool_results()}
    assert results["f"].startswith("error: fail failed: ")
    assert results["x"] == (
        "error: crash failed: MCP server 'box' stopped during the call; it is started again "
        "for the next call"
    )
    assert results["a"] == "42"  # started again
    assert wait_until_gone(word) == []


def test_a_hang_is_an_error_result_after_timeout_s(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    timeout_s: 2\n")
    _, results = _turn(path, ("hang", {}), ("add", {"a": 1, "b": 2}))
    assert results["c0"] == (
        "error: hang did not answer within 2 s (its timeout); it was abandoned and its result "
        "will not come"
    )
    assert results["c1"] == "3"
    assert wait_until_gone(word) == []


def test_limits_tool_timeout_s_bounds_a_call_too(tmp_path: Path) -> None:
    path = assistant(tmp_path, marker(), limits="limits:\n  tool_timeout_s: 2\n")
    _, results = _turn(path, ("hang", {}))
    assert results["c0"].startswith("error: hang did not answer within 2 s")


def test_garbage_on_stdout_is_named_in_the_error_result(tmp_path: Path) -> None:
    path = assistant(tmp_path, marker(), entry="    timeout_s: 2\n")
    _, results = _turn(path, ("garbage", {}))
    assert results["c0"] == (
        "error: garbage did not answer within 2 s (its timeout) (it wrote text that is not MCP "
        "on its stdout: 'this is not json-rpc'); it was abandoned and its result will not come"
    )


def test_garbage_before_the_handshake_is_survived(tmp_path: Path) -> None:
    path = assistant(tmp_path, marker(), "--garbage-at-start")
    _, results = _turn(path, ("add", {"a": 2, "b": 2}))
    assert results == {"c0": "4"}


def test_a_command_that_does_not_exist(tmp_path: Path) -> None:
    path = assistant(tmp_path)
    path.write_text(path.read_text().replace(
        f"command: \"{__import__('sys').executable}\"", "command: no-such-mcp-server-here"
    ))
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1") as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value) == (
        "MCP server 'box': the command 'no-such-mcp-server-here' was not found (on PATH); "
        "install it, or correct command in the assistant file"
    )


def test_a_server_that_exits_at_once(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, "--exit-at-once")
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1") as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    message = str(caught.value)
    assert message.startswith("MCP server 'box' (")
    assert "exited before it answered (its stderr ends with: 'toolbox: refusing to start: no " \
           "config'); run the command yourself to see why" in message
    assert wait_until_gone(word) == []


def test_env_cwd_and_no_inherited_secrets(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    path = assistant(tmp_path, marker(), entry="    cwd: work\n    env:\n"
                     "      MCP_TEST_VALUE: ${FROM_ENV}\n")
    environ = {"FROM_ENV": "substituted", "OPENAI_API_KEY": "sk-test-not-for-servers-0123456789"}
    import os

    os.environ["FROM_ENV"] = "substituted"
    try:
        _, results = _turn(path, ("whoami", {}), environ=environ)
    finally:
        del os.environ["FROM_ENV"]
    assert results["c0"] == f"{(tmp_path / 'work').resolve()}|substituted|"


def test_cwd_outside_the_project_is_refused_at_run_time_too(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = assistant(project, marker(), entry="    cwd: ..\n")
    with pytest.raises(gptkit.ConfigError):  # load runs validate's checks first
        gptkit.load(path)


def test_closing_the_session_ends_the_server_and_its_children(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word)
    with FakeOpenAI([tool_calls(call("spawn", {"marker": word})), text("spawned")]) as server:
        session = gptkit.Session(gptkit.load(path), base_url=server.url)
        try:
            session.send("go")
            running = processes_with(word)
            assert len(running) >= 3, running  # the guard, the server, the server's child
        finally:
            session.close()
    assert wait_until_gone(word) == []


def test_an_exception_in_the_turn_still_stops_the_server(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word)
    with FakeOpenAI([tool_calls(call("spawn", {"marker": word}))]) as server:  # then: exhausted
        with gptkit.Session(gptkit.load(path), base_url=server.url) as session:
            with pytest.raises(gptkit.ProviderError):
                session.send("go")
    assert wait_until_gone(word) == []


def test_a_secret_the_server_echoes_never_reaches_the_model(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVER_TOKEN", "tok-0123456789-secret")
    path = assistant(tmp_path, marker(), entry="    env:\n      MCP_TEST_VALUE: ${SERVER_TOKEN}\n")
    first, results = _turn(path, ("whoami", {}))
    assert results["c0"].endswith("|***|")
    assert "tok-0123456789-secret" not in str(first.body)


def test_a_program_that_is_no_mcp_server_times_out_at_start_naming_its_garbage(
    tmp_path: Path,
) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    timeout_s: 3\n")
    path.write_text(path.read_text().replace(
        f'args: ["{TOOLBOX}", "{word}"]',
        f'args: ["-c", "print(\'hello, I am not MCP\', flush=True); import time; time.sleep(60)", "{word}"]',
    ))
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1") as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    message = str(caught.value)
    assert message.startswith("MCP server 'box' did not answer within 3 s of starting (it wrote "
                              "text that is not MCP on its stdout: 'hello, I am not MCP')")
    assert message.endswith("runs an MCP server, or raise timeout_s in the assistant file")
    assert wait_until_gone(word) == []


def test_a_server_tool_name_the_model_cannot_take_is_a_clear_error(tmp_path: Path) -> None:
    path = assistant(tmp_path, marker(), "--dotted-name")
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1") as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value) == (
        "MCP server 'box' offers a tool named 'read.file', so its name for the model would be "
        "'read.file', which is not a valid tool name (letters, digits, '_' and '-', 1 to 64 "
        "characters); leave it out with exclude"
    )
    path.write_text(path.read_text() + "    exclude: [read.file]\n")
    _, results = _turn(path, ("add", {"a": 1, "b": 1}))
    assert results == {"c0": "2"}
