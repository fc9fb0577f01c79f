"""Small things a person meets in `run`, `chat` and `init`: what is said, and that it is true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.cli.main import main
from gptkit.testing import FakeOpenAI, stall, text

pexpect = pytest.importorskip("pexpect")

RUNNER = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
KEY = "sk-test-WORDING0123456789abcdef"


def environment(tmp_path: Path, server: FakeOpenAI | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
    env.update(OPENAI_API_KEY=KEY, GPTKIT_HOME=str(tmp_path / "gptkit-home"), NO_COLOR="1",
               GPTKIT_TEST_RETRIES="0")
    if server is not None:
        env["OPENAI_BASE_URL"] = server.url
    return env


def gptkit(tmp_path: Path, *args: str, server: FakeOpenAI | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True, text=True,
                          env=environment(tmp_path, server), input="", timeout=60,
                          start_new_session=True)


def spawn(tmp_path: Path, server: FakeOpenAI, *args: str):
    return pexpect.spawn(sys.executable, ["-m", "gptkit", *args], env=environment(tmp_path, server),
                         encoding="utf-8", timeout=30, dimensions=(40, 200))


def assistant(tmp_path: Path, memory: str) -> str:
    file = tmp_path / "a" / "assistant.yaml"
    file.parent.mkdir()
    file.write_text("version: 1\nname: words\nmodel: {name: gpt-4o-mini, max_retries: 0}\n"
                    f"instructions: You help.\nmemory: {memory}\n")
    return str(file)


def test_run_on_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "emptydir"
    folder.mkdir()
    result = gptkit(tmp_path, "run", str(folder), "hi")
    assert result.returncode == 2
    assert f"gptkit run: {folder} is a folder; give one assistant file in it" in result.stderr
    assert "no such file" not in result.stderr


def test_run_session_with_policy_none_warns_that_nothing_is_kept(tmp_path: Path) -> None:
    file = assistant(tmp_path, "{policy: none}")
    with FakeOpenAI([text("hello"), text("hello")]) as server:
        warned = gptkit(tmp_path, "run", file, "hi", "--session", "s1", server=server)
        quiet = gptkit(tmp_path, "run", file, "hi", server=server)
    assert warned.returncode == 0 and warned.stdout == "hello\n"
    assert "warning: memory.policy is none, so session s1 keeps nothing" in warned.stderr
    assert "warning" not in quiet.stderr


def test_init_names_every_file_it_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "helper"]) == 0
    said = capsys.readouterr().out
    for name in ("helper/assistant.yaml", "helper/helper_tools.py", "helper/assistant.schema.json"):
        assert (tmp_path / name).is_file() and name in said


def test_forget_without_facts_says_there_is_nothing_to_forget(tmp_path: Path) -> None:
    file = assistant(tmp_path, "{policy: window, long_term: true}")
    with FakeOpenAI([]) as server:
        child = spawn(tmp_path, server, "chat", file)
        child.expect_exact("you> ")
        child.sendline("/forget 1")
        child.expect_exact("no facts remembered yet: there is nothing to forget")
        child.expect_exact("you> ")
        assert "(1 to 0)" not in child.before
        child.sendline("/exit")
        child.expect(pexpect.EOF)


def test_starter_numbers_work_again_after_reset(tmp_path: Path) -> None:
    with FakeOpenAI([text("5."), text("42.")]) as server:
        child = spawn(tmp_path, server, "chat", RUNNER)
        child.expect_exact("you> ")
        child.sendline("1")
        child.expect_exact("assistant> 5.")
        child.expect_exact("you> ")
        child.sendline("/reset")
        child.expect_exact("new conversation")
        child.expect_exact("2. What is 6 times 7?")  # the starters are offered again
        child.expect_exact("you> ")
        child.sendline("2")
        child.expect_exact("assistant> 42.")
        child.expect_exact("you> ")
        child.sendline("/exit")
        child.expect(pexpect.EOF)
        second = server.requests[-1]
    assert second.last_user_text() == "What is 6 times 7?"


def test_ctrl_c_during_a_streamed_answer_is_reported_on_a_line_of_its_own(tmp_path: Path) -> None:
    with FakeOpenAI([stall(text("A slow answer that never ends here"), after=3, seconds=30)]) as server:
        child = spawn(tmp_path, server, "run", RUNNER, "hi")
        child.expect_exact("A slow")
        child.sendintr()
        child.expect_exact("gptkit: interrupted")
        before = child.before
        child.expect(pexpect.EOF)
        child.wait()
    assert child.exitstatus == 130
    assert before.endswith("\n")


def test_chat_starts_importing_the_api_client_before_the_first_message() -> None:
    code = ("import sys; from gptkit.cli.chat import preload_client; "
            "assert 'openai' not in sys.modules; preload_client().join(); "
            "print('openai' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr
