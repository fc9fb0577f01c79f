"""display_name: any Unicode beside the id, shown by chat; up to 12 conversation starters."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gptkit.loading import check_file

pexpect = pytest.importorskip("pexpect")

from gptkit.testing import FakeOpenAI, text  # noqa: E402

VALID = Path(__file__).parent / "cases" / "valid" / "display-name.yaml"


def test_unicode_display_name_and_twelve_starters_validate() -> None:
    assert [p.describe() for p in check_file(VALID).problems] == []


def test_chat_greets_with_the_display_name(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    with FakeOpenAI([text("こんにちは")]) as server:
        env.update(OPENAI_API_KEY="sk-test-chat-0000000000000000", OPENAI_BASE_URL=server.url,
                   GPTKIT_HOME=str(tmp_path), NO_COLOR="1", LANG="C.UTF-8")
        child = pexpect.spawn(sys.executable, ["-m", "gptkit", "chat", str(VALID)], env=env,
                              encoding="utf-8", timeout=20, dimensions=(40, 200))
        child.expect_exact("日本語の先生 🎌: A patient Japanese teacher.")
        child.expect_exact("12. Give me homework")
        child.expect_exact("you> ")
        child.sendline("hi")
        child.expect_exact("assistant> こんにちは")
        child.expect_exact("you> ")
        child.sendeof()
        child.expect(pexpect.EOF)
