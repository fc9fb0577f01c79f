"""A turn against a hostile or failing world, as `gptkit run` shows it (subprocess, fake server).

Secrets in tool lines, a failing or costly summary call, a tool that never returns, repeated call
ids, a flood of parallel calls, a piped message's newline, and a JSON answer that fails its check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gptkit
from gptkit.testing import FakeOpenAI, call, cut, json_answer, status, text, tool_calls

KEY = "sk-test-HARDENKEY0123456789abcdef"
LEAKED = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"

TOOLS = '''
import json
import os
import time


def _log(name, **arguments):
    with open(os.environ["RUNNER_LOG"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"tool": name, "arguments": arguments}) + "\\n")


def add(a: int, b: int) -> int:
    """Add two integers."""
    _log("add", a=a, b=b)
    return a + b


def block(seconds: float) -> str:
    """Block the calling thread for some seconds."""
    _log("block", seconds=seconds)
    time.sleep(seconds)
    return "woke up"
'''


def project(tmp_path: Path, extra: str = "", tools: str = "") -> str:
    folder = tmp_path / "proj"
    folder.mkdir(exist_ok=True)
    (folder / "hard_tools.py").write_text(TOOLS)
    (folder / "assistant.yaml").write_text(
        "version: 1\nname: hard\nmodel: {name: gpt-4o-mini, max_retries: 0}\n"
        "instructions: You help.\n"
        "tools:\n"
        "  - {name: add, type: python, function: 'hard_tools:add'}\n"
        "  - {name: block, type: python, function: 'hard_tools:block'}\n"
        + tools
        + "limits: {tool_timeout_s: 0.5}\n"
        + extra
    )
    return str(folder / "assistant.yaml")


def run(
    server: FakeOpenAI, tmp_path: Path, *args: str, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
    env.update(
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=server.url,
        GPTKIT_HOME=str(tmp_path / "gptkit-home"),
        RUNNER_LOG=str(tmp_path / "calls.jsonl"),
    )
    return subprocess.run(
        [sys.executable, "-m", "gptkit", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=timeout,
        start_new_session=True,
    )


def logged(tmp_path: Path) -> list[dict]:
    log = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def stored(tmp_path: Path, session: str) -> list[dict]:
    from gptkit.memory.backends import open_store

    store = open_store(f"sqlite:///{tmp_path / 'gptkit-home' / 'gptkit.db'}", project_root=tmp_path)
    try:
        return [m.to_dict() for m in store.messages(session)]
    finally:
        store.close()


def test_the_tool_call_line_hides_a_key_the_model_passes(tmp_path: Path) -> None:
    file = project(
        tmp_path,
        "memory: {policy: window, long_term: true, redact: [api_key]}\n",
        "  - {name: remember, type: builtin}\n",
    )
    script = [
        tool_calls(call("remember", {"fact": f"the key is {LEAKED}"}, id="r1")),
        text("Noted."),
        tool_calls(call("remember", {"fact": f"the key is {LEAKED}"}, id="r2")),
        text("Noted."),
    ]
    with FakeOpenAI(script) as server:
        result = run(server, tmp_path, file, "remember my key")
        as_json = run(server, tmp_path, file, "remember my key", "--json")
    assert result.returncode == 0 and as_json.returncode == 0, result.stderr + as_json.stderr
    assert LEAKED not in result.stderr and LEAKED not in result.stdout
    assert '→ remember(fact="the key is [api key]")' in result.stderr
    assert LEAKED not in as_json.stdout
    (shown,) = json.loads(as_json.stdout)["tool_calls"]
    assert shown["arguments"] == {"fact": "the key is [api key]"}


SUMMARY = "memory: {policy: summary, max_messages: 2}\n"


def test_a_failed_summary_keeps_the_turn_warns_and_folds_on_a_later_turn(tmp_path: Path) -> None:
    file = project(tmp_path, SUMMARY)
    script = [
        text("A1"),
        text("A2"),
        status(500, "summary backend down"),
        text("A3"),
        text("The user counted to three."),
    ]
    with FakeOpenAI(script) as server:
        first = run(server, tmp_path, file, "one", "--session", "s")
        second = run(server, tmp_path, file, "two", "--session", "s")
        third = run(server, tmp_path, file, "three", "--session", "s")
        requests = server.requests
    assert first.returncode == 0 and third.returncode == 0, first.stderr + third.stderr
    assert second.returncode == 0, second.stderr
    assert second.stdout == "A2\n"
    assert "gptkit: warning: the conversation summary could not be updated" in second.stderr
    assert "the turn was kept" in second.stderr and "gptkit: error" not in second.stderr
    # the kept turn went with the next request, and the fold was tried again and stuck
    third_users = [m["content"] for m in requests[3].body["messages"] if m["role"] == "user"]
    assert third_users == ["one", "two", "three"]
    assert "running summary" in requests[4].body["messages"][0]["content"]
    assert [m["content"] for m in stored(tmp_path, "s") if m["role"] == "user"] == [
        "one",
        "two",
        "three",
    ]
    from gptkit.memory.backends import open_store

    store = open_store(f"sqlite:///{tmp_path / 'gptkit-home' / 'gptkit.db'}", project_root=tmp_path)
    try:
        summary = store.summary("s")
    finally:
        store.close()
    assert summary is not None and summary.text == "The user counted to three."
    assert summary.through_seq == 4


def test_summary_calls_count_in_usage_and_cost(tmp_path: Path) -> None:
    file = project(tmp_path, SUMMARY)
    script = [
        text("A1", usage=(10, 1)),
        text("A2", usage=(10, 1)),
        text("S", usage=(1000, 500)),
        text("A3", usage=(10, 1)),
        text("S2", usage=(1000, 500)),
    ]
    with FakeOpenAI(script) as server:
        assert run(server, tmp_path, file, "one", "--session", "s").returncode == 0
        as_json = run(server, tmp_path, file, "two", "--session", "s", "--json")
        as_text = run(server, tmp_path, file, "three", "--session", "s")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["usage"] == {"input_tokens": 1010, "output_tokens": 501}
    assert document["cost_usd"] == pytest.approx((1010 * 0.15 + 501 * 0.6) / 1e6)
    assert "tokens: 1010 in, 501 out" in as_text.stderr


def test_the_sessions_usage_counts_summary_calls(tmp_path: Path) -> None:
    """What chat's /usage prints: ``Session.usage`` and ``Session.cost_usd``."""
    file = project(tmp_path, SUMMARY)
    script = [text("A1", usage=(10, 1)), text("A2", usage=(10, 1)), text("S", usage=(1000, 500))]
    with FakeOpenAI(script) as server:
        session = gptkit.Session(
            gptkit.load(file), session_id="u", base_url=server.url, environ={"OPENAI_API_KEY": KEY}
        )
        with session:
            session.send("one")
            session.send("two")
    assert (session.usage.input_tokens, session.usage.output_tokens) == (1020, 502)
    assert session.cost_usd == pytest.approx((1020 * 0.15 + 502 * 0.6) / 1e6)


def test_a_blocking_sync_tool_does_not_hold_the_run_past_its_timeout(tmp_path: Path) -> None:
    file = project(tmp_path)
    script = [tool_calls(call("block", {"seconds": 300}, id="b1")), text("It took too long.")]
    with FakeOpenAI(script) as server:
        result = run(server, tmp_path, file, "block", timeout=120)  # before: waited 300 s
        (sent,) = server.requests[1].tool_results()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "It took too long.\n"
    assert sent.output.startswith("error: block did not finish within 0.5 s")
    assert logged(tmp_path) == [{"tool": "block", "arguments": {"seconds": 300}}]


def test_repeated_call_ids_are_answered_once_each_and_the_turn_is_kept(tmp_path: Path) -> None:
    file = project(tmp_path, "memory: {policy: window}\n")
    script = [
        tool_calls(
            call("add", {"a": 1, "b": 2}, id="d"),
            call("add", {"a": 1, "b": 2}, id="d"),
            call("add", {"a": 5, "b": 5}, id="d"),
        ),
        text("3 and 10."),
    ]
    with FakeOpenAI(script) as server:
        result = run(server, tmp_path, file, "sums", "--session", "dup")
        sent = server.requests[1].tool_results()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "3 and 10.\n"
    # the two calls run in parallel, so the log may hold them in either order
    ran = sorted((e["arguments"] for e in logged(tmp_path)), key=lambda a: (a["a"], a["b"]))
    assert ran == [{"a": 1, "b": 2}, {"a": 5, "b": 5}]
    assert [(r.call_id, r.output) for r in sent] == [("d", "3"), ("d_2", "10")]
    messages = stored(tmp_path, "dup")
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["d", "d_2"]


def test_a_flood_of_parallel_calls_runs_only_up_to_the_cap(tmp_path: Path) -> None:
    from gptkit.runtime.dispatch import MAX_PARALLEL_TOOL_CALLS

    file = project(tmp_path)
    calls = [call("add", {"a": i, "b": 0}, id=f"c{i}") for i in range(200)]
    with FakeOpenAI([tool_calls(*calls), text("Done.")]) as server:
        result = run(server, tmp_path, file, "add a lot")
        sent = server.requests[1].tool_results()
    assert result.returncode == 0, result.stderr
    assert len(logged(tmp_path)) == MAX_PARALLEL_TOOL_CALLS
    assert len(sent) == 200  # every call answered
    assert [r.output for r in sent[:MAX_PARALLEL_TOOL_CALLS]] == [
        str(i) for i in range(MAX_PARALLEL_TOOL_CALLS)
    ]
    refused = sent[MAX_PARALLEL_TOOL_CALLS:]
    assert all(f"at most {MAX_PARALLEL_TOOL_CALLS} tool calls" in r.output for r in refused)


def test_a_piped_message_loses_its_trailing_newline(tmp_path: Path) -> None:
    file = project(tmp_path)
    with FakeOpenAI([text("ok"), text("ok")]) as server:
        assert run(server, tmp_path, file, stdin="hello\n").returncode == 0
        assert run(server, tmp_path, file, "-", stdin="two lines\nkept\n\n").returncode == 0
        first, second = server.requests
    assert first.last_user_text() == "hello"
    assert second.last_user_text() == "two lines\nkept\n"  # only one newline is taken


STRUCTURED = (
    "output:\n  format: json\n  schema:\n    type: object\n    properties:\n"
    "      city: {type: string}\n    required: [city]\n    additionalProperties: false\n"
)


def test_a_json_answer_reaches_stdout_only_once_it_is_checked(tmp_path: Path) -> None:
    file = project(tmp_path, STRUCTURED)
    with FakeOpenAI([json_answer({"town": "Porto"}), json_answer({"city": "Porto"})]) as server:
        bad = run(server, tmp_path, file, "where?")  # streamed
        good = run(server, tmp_path, file, "where?")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert "does not match output.schema" in bad.stderr
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout) == {"city": "Porto"}


def test_an_error_after_a_partial_answer_starts_on_a_new_line(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    file = project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
    env.update(OPENAI_API_KEY=KEY, GPTKIT_HOME=str(tmp_path / "gptkit-home"))
    with FakeOpenAI([cut(text("The first part of an answer, then nothing"), after=3)]) as server:
        env["OPENAI_BASE_URL"] = server.url
        child = pexpect.spawn(
            sys.executable,
            ["-m", "gptkit", "run", file, "hi"],
            env=env,
            encoding="utf-8",
            timeout=30,
        )
        child.expect("gptkit: error")
        before = child.before
        child.expect(pexpect.EOF)
        child.wait()
    assert child.exitstatus == 3
    assert before.strip(), "part of the answer was shown"
    assert before.endswith("\n")  # the error is not glued to the partial answer
