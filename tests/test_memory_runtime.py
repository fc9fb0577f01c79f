"""Memory as a user meets it: `run --session`, facts per user, summaries, redaction, crashes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, call, text, tool_calls

RUNNER = Path(__file__).parent / "projects" / "runner"
KEY = "sk-test-MEMORYKEY0123456789abcdef"


def project(tmp_path: Path, memory: str, instructions: str = "You help.") -> str:
    folder = tmp_path / "proj"
    folder.mkdir(exist_ok=True)
    shutil.copy(RUNNER / "runner_tools.py", folder / "runner_tools.py")
    (folder / "assistant.yaml").write_text(
        "version: 1\nname: mem\nmodel: {name: gpt-4o-mini, max_retries: 0}\n"
        f"instructions: |\n  {instructions}\n"
        "tools:\n  - {name: slow_echo, type: python, function: 'runner_tools:slow_echo'}\n"
        "limits: {tool_timeout_s: 60}\n"
        f"memory:\n{memory}")
    return str(folder / "assistant.yaml")


def env(server: FakeOpenAI | None, home: Path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
    environ.update({"OPENAI_API_KEY": KEY, "GPTKIT_HOME": str(home), **extra})
    if server is not None:
        environ["OPENAI_BASE_URL"] = server.url
    return environ


def gptkit(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, env=environ, timeout=60)


def users(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "user"]


def test_run_session_continues_and_sessions_shows_and_deletes(tmp_path: Path) -> None:
    file = project(tmp_path, "  policy: window\n  max_messages: 10\n")
    home = tmp_path / "home"
    with FakeOpenAI([text("Hello!"), text("You said hi.")]) as server:
        e = env(server, home)
        assert gptkit(e, "run", file, "hi", "--session", "s1").returncode == 0
        assert gptkit(e, "run", file, "what did I say?", "--session", "s1").returncode == 0
        assert users(server.requests[1]) == ["hi", "what did I say?"]
    listed = gptkit(e, "sessions", "list")
    assert "s1" in listed.stdout and "mem" in listed.stdout and " 4 " in listed.stdout
    shown = gptkit(e, "sessions", "show", "s1")
    assert "user: hi" in shown.stdout and "assistant: You said hi." in shown.stdout
    assert gptkit(e, "sessions", "delete", "s1").returncode == 0
    assert "no stored sessions" in gptkit(e, "sessions", "list").stdout
    bad = gptkit(e, "run", file, "x", "--session", "../../etc/passwd")
    assert bad.returncode == 1 and "session id" in bad.stderr.lower()


def test_facts_are_per_user_and_reach_the_template(tmp_path: Path) -> None:
    file = project(tmp_path, "  policy: window\n  long_term: true\n",
                   "Facts: {% for f in memory.facts %}[{{ f }}]{% endfor %}")
    home = tmp_path / "home"
    script = [tool_calls(call("remember", {"fact": "prefers trains"}, id="m1")), text("Noted."),
              text("ok"), text("ok")]
    with FakeOpenAI(script) as server:
        e = env(server, home)
        assert gptkit(e, "run", file, "I prefer trains", "--user", "alice").returncode == 0
        assert gptkit(e, "run", file, "plan", "--user", "alice").returncode == 0
        assert gptkit(e, "run", file, "plan", "--user", "bob").returncode == 0
        systems = [r.body["messages"][0]["content"] for r in server.requests]
    assert server.requests[1].tool_results()[0].output.startswith("remembered: prefers trains")
    assert "[prefers trains]" in systems[2] and "[prefers trains]" not in systems[3]


def test_summary_folds_older_messages_and_templates_see_it(tmp_path: Path) -> None:
    file = project(tmp_path, "  policy: summary\n  max_messages: 2\n",
                   "Summary: {{ memory.summary }}")
    home = tmp_path / "home"
    script = [text("A1"), text("A2"), text("The user said one."), text("A3"),
              text("The user said one and two.")]
    with FakeOpenAI(script) as server:
        e = env(server, home)
        for message in ("one", "two", "three"):
            result = gptkit(e, "run", file, message, "--session", "sum")
            assert result.returncode == 0, result.stderr
    summary_call = server.requests[2]
    assert "tools" not in summary_call.body and "running summary" in summary_call.body["messages"][0]["content"]
    third = server.requests[3]
    assert third.body["messages"][0]["content"] == "Summary: The user said one.\n"
    assert users(third) == ["two", "three"]  # the folded turn is not sent again
    assert "The user said one." in server.requests[4].body["messages"][1]["content"]  # incremental
    shown = gptkit(e, "sessions", "show", "sum").stdout
    assert "summary (through message 4): The user said one and two." in shown


def test_redaction_happens_before_anything_is_stored(tmp_path: Path) -> None:
    file = project(tmp_path, "  policy: window\n  redact: [email]\n")
    home = tmp_path / "home"
    with FakeOpenAI([text(f"I will write to ana@example.org; your key is {KEY}")]) as server:
        e = env(server, home)
        assert gptkit(e, "run", file, "mail me at ana@example.org", "--session", "r1").returncode == 0
    database = (home / "gptkit.db").read_bytes()
    for path in home.iterdir():
        data = path.read_bytes() if path.is_file() else b""
        assert b"ana@example.org" not in data and KEY.encode() not in data
    assert database  # the store was written
    shown = gptkit(e, "sessions", "show", "r1").stdout
    assert "mail me at [email]" in shown and "***" in shown


def test_policy_none_stores_nothing(tmp_path: Path) -> None:
    file = project(tmp_path, "  policy: none\n")
    home = tmp_path / "home"
    with FakeOpenAI([text("a"), text("b")]) as server:
        e = env(server, home)
        gptkit(e, "run", file, "one", "--session", "n1")
        gptkit(e, "run", file, "two", "--session", "n1")
        assert users(server.requests[1]) == ["two"]
    assert "no stored sessions" in gptkit(e, "sessions", "list").stdout


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9")
def test_kill_9_during_a_tool_call_keeps_the_last_complete_turn(tmp_path: Path) -> None:
    file = project(tmp_path, "  policy: window\n")
    home = tmp_path / "home"
    log = tmp_path / "calls.jsonl"
    script = [text("first answer"),
              tool_calls(call("slow_echo", {"text": "side effect", "seconds": 30}, id="k1")),
              text("after the crash")]
    with FakeOpenAI(script) as server:
        e = env(server, home, RUNNER_LOG=str(log))
        assert gptkit(e, "run", file, "first", "--session", "k").returncode == 0
        child = subprocess.Popen([sys.executable, "-m", "gptkit", "run", file, "second",
                                  "--session", "k"], env=e, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not (log.exists() and "slow_echo" in log.read_text()):
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        resumed = gptkit(e, "run", file, "third", "--session", "k")
        assert resumed.returncode == 0, resumed.stderr
        assert users(server.requests[-1]) == ["first", "third"]  # no partial turn
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c["tool"] for c in calls] == ["slow_echo"]  # not run again on resume
    shown = gptkit(e, "sessions", "show", "k").stdout
    assert "user: second" not in shown and "user: third" in shown


def test_ctrl_c_during_run_exits_130_and_keeps_nothing_of_the_turn(tmp_path: Path) -> None:
    from gptkit.testing import stall

    file = project(tmp_path, "  policy: window\n")
    home = tmp_path / "home"
    with FakeOpenAI([text("kept"), stall(text("an answer cut short by the person"), after=3)]) as server:
        e = env(server, home)
        assert gptkit(e, "run", file, "first", "--session", "i").returncode == 0
        child = subprocess.Popen([sys.executable, "-m", "gptkit", "run", file, "second",
                                  "--session", "i"], env=e, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        first = child.stdout.read(3)  # the answer has started streaming
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert first == "an " and child.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    shown = gptkit(e, "sessions", "show", "i").stdout
    assert "user: first" in shown and "user: second" not in shown
