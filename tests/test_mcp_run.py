"""MCP tools through `gptkit run` as a subprocess: a tool round, cassettes, and the processes.

A Ctrl-C (SIGINT) and a SIGKILL of a real `gptkit run` while its MCP server runs (and while the
server has a child process of its own) leave no process behind; the check polls the process
table with a generous bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp_support import assistant, clean_env, marker, processes_with, wait_until_gone

from gptkit.testing import FakeOpenAI, call, text, tool_calls

KEY = "sk-test-SECRETKEY0123456789abcdef"


def gptkit(*args: str, server: FakeOpenAI | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = clean_env(OPENAI_API_KEY=KEY, **env)
    if server is not None:
        environ["OPENAI_BASE_URL"] = server.url
    return subprocess.run(
        [sys.executable, "-m", "gptkit", *args], capture_output=True, text=True, env=environ,
        input="", timeout=120, start_new_session=True,
    )


def test_a_tool_round_through_gptkit_run(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    prefix: box_\n")
    script = [tool_calls(call("box_add", {"a": 2, "b": 3}, id="c1")), text("It is 5.")]
    with FakeOpenAI(script) as server:
        result = gptkit("run", str(path), "add 2 and 3", server=server)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "It is 5.\n"
    assert "→ box_add(a=2, b=3)" in result.stderr and "← 5" in result.stderr
    assert [(r.call_id, r.output) for r in server.requests[1].tool_results()] == [("c1", "5")]
    assert wait_until_gone(word) == []


def test_record_and_replay_with_an_mcp_tool(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    path = assistant(tmp_path, marker(), entry=f"    env:\n      MCP_NOTES: {notes}\n")
    cassette = tmp_path / "run.cassette.yaml"
    script = [tool_calls(call("note", {"text": "first"}, id="n1")), text("Noted.")]
    with FakeOpenAI(script) as server:
        recorded = gptkit("run", str(path), "note it", "--record", str(cassette), server=server)
    assert recorded.returncode == 0, recorded.stderr
    replayed = gptkit("run", str(path), "note it", "--replay", str(cassette))  # no server, no network
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout == "Noted.\n"
    assert notes.read_text() == "first\nfirst\n"  # the tool really ran in both modes
    assert KEY not in cassette.read_text()


def test_a_missing_command_fails_the_run_with_a_clear_message(tmp_path: Path) -> None:
    path = assistant(tmp_path)
    path.write_text(path.read_text().replace(f'command: "{sys.executable}"', "command: no-such-mcp-cmd"))
    with FakeOpenAI([text("never")]) as server:
        result = gptkit("run", str(path), "hi", server=server)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "gptkit: error: MCP server 'box': the command 'no-such-mcp-cmd' was not found (on PATH); "
        "install it, or correct command in the assistant file\n"
    )
    assert server.requests == []


def test_render_shows_mcp_tools_only_with_connect(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    include: [add]\n")
    plain = gptkit("render", str(path))
    assert plain.returncode == 0, plain.stderr
    assert "(the tools of MCP server box are not shown: --connect starts the servers to list them)" \
        in plain.stdout
    connected = gptkit("render", str(path), "--connect")
    assert connected.returncode == 0, connected.stderr
    assert '"name": "add"' in connected.stdout and "not shown" not in connected.stdout
    assert wait_until_gone(word) == []


def test_validate_starts_nothing_and_imports_no_sdk(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word)
    probe = (
        "import sys; from gptkit.cli.main import main; code = main(['validate', sys.argv[1]]); "
        "bad = [m for m in ('mcp', 'openai', 'httpx', 'httpx2') if m in sys.modules]; "
        "print(code, bad)"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                            text=True, env=clean_env(), timeout=60)
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr
    assert processes_with(word) == []


def _start_and_wait(path: Path, word: str, server: FakeOpenAI) -> subprocess.Popen[str]:
    """`gptkit run` whose server has spawned a child and hangs in a call."""
    environ = clean_env(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.url)
    process = subprocess.Popen(
        [sys.executable, "-m", "gptkit", "run", str(path), "go"], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(server.requests) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # the hang call is on its way to the server
    running = processes_with(word)
    assert len(running) >= 3, running  # the guard, the server, the server's child
    return process


def _script(word: str) -> list:
    return [
        tool_calls(call("spawn", {"marker": word}, id="s")),
        tool_calls(call("hang", {}, id="h")),
        text("never"),
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_the_server_runs_leaves_no_process(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    timeout_s: 120\n")
    with FakeOpenAI(_script(word)) as server:
        process = _start_and_wait(path, word, server)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.endswith("gptkit: interrupted\n")
    assert wait_until_gone(word) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigkill_of_gptkit_while_the_server_runs_leaves_no_process(tmp_path: Path) -> None:
    word = marker()
    path = assistant(tmp_path, word, entry="    timeout_s: 120\n")
    with FakeOpenAI(_script(word)) as server:
        process = _start_and_wait(path, word, server)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert wait_until_gone(word) == []


def test_confirm_true_without_a_terminal_or_yes_refuses_the_call(tmp_path: Path) -> None:
    path = assistant(tmp_path, marker(), entry="    confirm: true\n")
    script = [tool_calls(call("add", {"a": 1, "b": 2}, id="c1")), text("Refused.")]
    with FakeOpenAI(script) as server:
        refused = gptkit("run", str(path), "add", server=server)
    assert refused.returncode == 0, refused.stderr
    (result,) = server.requests[1].tool_results()
    assert result.output.startswith("error: add needs the person's confirmation")
    with FakeOpenAI(script) as server:
        allowed = gptkit("run", str(path), "add", "--yes", server=server)
    assert allowed.returncode == 0, allowed.stderr
    assert [r.output for r in server.requests[1].tool_results()] == ["3"]
