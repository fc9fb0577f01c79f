"""`confirm: true` tools ask the person on the terminal, in `run` and in `chat` (real pseudo-terminals).

y runs the tool, n (or anything else) refuses it, no terminal refuses it with a clear message,
and --yes allows without asking.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from gptkit.testing import FakeOpenAI, call, text, tool_calls  # noqa: E402

ASSISTANT = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
PROMPT = 'gptkit: allow book(city="Porto")? [y/N] '


def environment(server: FakeOpenAI, home: Path, log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    env.update(OPENAI_API_KEY="sk-test-confirm-000000000000000", OPENAI_BASE_URL=server.url,
               GPTKIT_HOME=str(home), NO_COLOR="1", GPTKIT_TEST_RETRIES="0", RUNNER_LOG=str(log))
    return env


def spawn(server: FakeOpenAI, tmp_path: Path, *args: str):
    return pexpect.spawn(sys.executable, ["-m", "gptkit", *args],
                         env=environment(server, tmp_path / "home", tmp_path / "calls.jsonl"),
                         encoding="utf-8", timeout=30, dimensions=(40, 200))


def booked(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line)["arguments"]["city"] for line in lines if '"book"' in line]


def book_script(*answers: str) -> list:
    script = []
    for i, answer in enumerate(answers):
        script += [tool_calls(call("book", {"city": "Porto"}, id=f"b{i}")), text(answer)]
    return script


def finish(child) -> int:
    child.expect(pexpect.EOF)
    child.wait()
    return child.exitstatus


@pytest.mark.parametrize("answer, runs", [("y", True), ("n", False)])
def test_run_asks_on_the_terminal(tmp_path: Path, answer: str, runs: bool) -> None:
    with FakeOpenAI(book_script("Done.")) as server:
        child = spawn(server, tmp_path, "run", ASSISTANT, "book Porto")
        child.expect_exact(PROMPT)
        child.sendline(answer)
        child.expect_exact("Done.")
        assert finish(child) == 0
        (result,) = server.requests[1].tool_results()
    assert booked(tmp_path) == (["Porto"] if runs else [])
    if runs:
        assert result.output == "booked a hotel in Porto"
    else:
        assert "the person declined it" in result.output


def test_chat_asks_on_the_terminal_each_time(tmp_path: Path) -> None:
    with FakeOpenAI(book_script("Booked.", "Not booked.")) as server:
        child = spawn(server, tmp_path, "chat", ASSISTANT)
        child.expect_exact("you> ")
        child.sendline("book Porto")
        child.expect_exact(PROMPT)
        child.sendline("y")
        child.expect_exact("assistant> Booked.")
        child.expect_exact("you> ")
        child.sendline("book Porto again")
        child.expect_exact(PROMPT)
        child.sendline("n")
        child.expect_exact("assistant> Not booked.")
        child.expect_exact("you> ")
        child.sendeof()
        assert finish(child) == 0
        second = server.requests[3].tool_results()[-1].output  # the history carries the first
    assert booked(tmp_path) == ["Porto"]  # once: only the yes
    assert "declined" in second


def test_yes_allows_without_asking(tmp_path: Path) -> None:
    with FakeOpenAI(book_script("Done.")) as server:
        child = spawn(server, tmp_path, "run", ASSISTANT, "book Porto", "--yes")
        child.expect_exact("Done.")
        assert "allow book" not in child.before
        assert finish(child) == 0
    assert booked(tmp_path) == ["Porto"]


def test_without_a_terminal_the_tool_is_refused_and_the_person_told(tmp_path: Path) -> None:
    with FakeOpenAI(book_script("I could not book it.")) as server:
        result = subprocess.run(  # a new session: no controlling terminal at all
            [sys.executable, "-m", "gptkit", "run", ASSISTANT, "book Porto"],
            env=environment(server, tmp_path / "home", tmp_path / "calls.jsonl"),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
            start_new_session=True,
        )
        (sent,) = server.requests[1].tool_results()
    assert result.returncode == 0, result.stderr
    assert booked(tmp_path) == []
    assert "could not be asked" in sent.output
    assert ("gptkit: book asks for confirmation and there is no terminal to ask on, so it did "
            "not run; run gptkit in a terminal, or pass --yes to allow it") in result.stderr


def test_ctrl_c_at_the_question_cancels_the_turn_and_the_next_line_is_the_chats(tmp_path: Path) -> None:
    with FakeOpenAI([tool_calls(call("book", {"city": "Porto"}, id="b0")), text("Hello again.")]) as server:
        child = spawn(server, tmp_path, "chat", ASSISTANT)
        child.expect_exact("you> ")
        child.sendline("book Porto")
        child.expect_exact(PROMPT)
        child.sendintr()
        child.expect_exact("cancelled: nothing of this turn was kept")
        child.expect_exact("you> ")
        child.sendline("hello")  # goes to the chat, not to a question nobody asks any more
        child.expect_exact("assistant> Hello again.")
        child.expect_exact("you> ")
        child.sendeof()
        assert finish(child) == 0
        users = [m["content"] for m in server.requests[-1].body["messages"] if m["role"] == "user"]
    assert booked(tmp_path) == []
    assert users == ["hello"]


def test_ctrl_d_at_the_question_refuses(tmp_path: Path) -> None:
    with FakeOpenAI(book_script("Not booked.")) as server:
        child = spawn(server, tmp_path, "run", ASSISTANT, "book Porto")
        child.expect_exact(PROMPT)
        child.sendeof()
        child.expect_exact("Not booked.")
        assert finish(child) == 0
    assert booked(tmp_path) == []
