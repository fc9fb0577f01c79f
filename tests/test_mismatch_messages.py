"""A replay that does not match says what differs, invisible differences included (repr-style)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gptkit.testing import FakeOpenAI, text

ASSISTANT = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
KEY = "sk-test-MISMATCH0123456789abcdef"


def run(*args: str, server: FakeOpenAI | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    env["OPENAI_API_KEY"] = KEY
    env["OPENAI_BASE_URL"] = server.url if server else "http://127.0.0.1:9/v1"
    return subprocess.run([sys.executable, "-m", "gptkit", "run", ASSISTANT, *args], text=True,
                          capture_output=True, env=env, input="", timeout=60, start_new_session=True)


def recorded(tmp_path: Path, message: str) -> str:
    cassette = tmp_path / "c.cassette.yaml"
    with FakeOpenAI([text("ok")]) as server:
        assert run(message, "--record", str(cassette), server=server).returncode == 0
    return str(cassette)


def test_a_whitespace_difference_shows(tmp_path: Path) -> None:
    replayed = run("2+2?", "--replay", recorded(tmp_path, "2+2?  "))
    assert replayed.returncode == 1
    assert "recorded user '2+2?  ', this run sends user '2+2?'" in replayed.stderr


def test_a_long_message_is_shown_where_it_differs(tmp_path: Path) -> None:
    base = "a long message that says the same thing for a while " * 3
    replayed = run(base + "end\n", "--replay", recorded(tmp_path, base + "end"))
    assert replayed.returncode == 1
    assert "end'" in replayed.stderr and "end\\n'" in replayed.stderr
