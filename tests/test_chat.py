"""`gptkit chat` driven through a real pseudo-terminal (pexpect), against the fake server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from gptkit.testing import FakeOpenAI, call, stall, text, tool_calls  # noqa: E402

ASSISTANT = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")


def spawn(server: FakeOpenAI, home: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    env.update(OPENAI_API_KEY="sk-test-chat-0000000000000000", OPENAI_BASE_URL=server.url,
               GPTKIT_HOME=str(home), NO_COLOR="1", GPTKIT_TEST_RETRIES="0")
    child = pexpect.spawn(sys.executable, ["-m", "gptkit", "chat", ASSISTANT, *args], env=env,
                          encoding="utf-8", timeout=20, dimensions=(40, 200))
    return child


def test_a_chat_with_starters_tools_commands_cancel_and_resume(tmp_path: Path) -> None:
    script = [
        tool_calls(call("add", {"a": 2, "b": 3}, id="c1")),
        text("2 and 3 make 5."),
        stall(text("Let me think about this for a long, long while."), after=3, seconds=30),
        text("Still here."),
        text("Yes: you asked me to add 2 and 3."),
    ]
    with FakeOpenAI(script) as server:
        child = spawn(server, tmp_path)
        child.expect(r"session (\S+) \(new\)")
        session = child.match.group(1)
        child.expect_exact("1. Add 2 and 3")
        child.expect_exact("you> ")
        child.sendline("1")  # a conversation starter, by its number
        child.expect_exact("→ add(a=2, b=3)")
        child.expect_exact("← 5")
        child.expect_exact("assistant> 2 and 3 make 5.")
        child.expect_exact("you> ")
        child.sendline("/tools")
        child.expect_exact("book (asks first)")
        child.expect_exact("you> ")
        child.sendline("this one will be cancelled")
        child.expect_exact("assistant> Let me")  # the answer has started streaming
        child.sendintr()  # Ctrl-C mid-answer
        child.expect_exact("cancelled: nothing of this turn was kept")
        child.expect_exact("you> ")
        child.sendline("are you there?")
        child.expect_exact("assistant> Still here.")
        child.expect_exact("you> ")
        child.sendline("/history")
        child.expect_exact("user: Add 2 and 3")
        child.expect_exact("user: are you there?")
        child.expect_exact("you> ")
        child.sendeof()  # Ctrl-D leaves
        child.expect(pexpect.EOF)
        child.wait()
        assert child.exitstatus == 0

        # resume: the stored conversation goes with the next request, without the cancelled turn
        child = spawn(server, tmp_path, "--session", session)
        child.expect_exact(f"session {session} (resumed, 6 messages)")
        child.expect_exact("you> ")
        child.sendline("do you remember?")
        child.expect_exact("assistant> Yes: you asked me to add 2 and 3.")
        child.expect_exact("you> ")
        child.sendline("/exit")
        child.expect(pexpect.EOF)
        child.wait()
        assert child.exitstatus == 0
        users = [m["content"] for m in server.requests[-1].body["messages"] if m["role"] == "user"]
    assert users == ["Add 2 and 3", "are you there?", "do you remember?"]
