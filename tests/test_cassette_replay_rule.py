"""A cassette says how to replay it, and replay refuses a changed system prompt (clock aside)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, text

ASSISTANT = """\
version: 1
name: rule
description: An assistant whose prompt holds a variable and the clock.
model:
  name: gpt-4o-mini
variables:
  level:
    type: string
    default: beginner
  city:
    type: string
    required: true
instructions: |
  Explain things to a {{ vars.level }} from {{ vars.city }}.
  Today is {{ now.weekday }} {{ now.date }}, {{ now.time }} ({{ now.timezone }}).
"""
MESSAGE = "Two lines:\nwhat's a 'diff'?"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _gptkit(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gptkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(**env),
        timeout=120,
    )


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    with FakeOpenAI([text("A diff lists changed lines.")]) as server:
        result = _gptkit(
            "run",
            "assistant.yaml",
            MESSAGE,
            "--var",
            "city=Porto",
            "--var",
            "level=expert",
            "--record",
            "talk.cassette.yaml",
            cwd=tmp_path,
            OPENAI_API_KEY="sk-test-000000000000",
            OPENAI_BASE_URL=server.url,
        )
    assert result.returncode == 0, result.stderr
    return tmp_path


def _header_command(folder: Path) -> str:
    header = (folder / "talk.cassette.yaml").read_text().split("version: 1")[0]
    found = re.search(r"^# Replay it with:\n#   (.+)$", header, re.M)
    assert found, header
    return found.group(1)


def test_the_header_holds_the_command_that_replays_it(recorded: Path) -> None:
    command = _header_command(recorded)
    assert "--var city=Porto" in command and "--var level=expert" in command
    assert "--replay talk.cassette.yaml" in command
    replay = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        cwd=recorded,
        env=_env(OPENAI_BASE_URL="http://127.0.0.1:9/v1"),
        timeout=120,
    )
    assert replay.returncode == 0, replay.stderr
    assert "A diff lists changed lines." in replay.stdout


def test_a_default_variable_is_not_repeated_in_the_command(tmp_path: Path) -> None:
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    with FakeOpenAI([text("ok")]) as server:
        _gptkit(
            "run",
            "assistant.yaml",
            "hi",
            "--var",
            "city=Porto",
            "--record",
            "talk.cassette.yaml",
            cwd=tmp_path,
            OPENAI_API_KEY="x",
            OPENAI_BASE_URL=server.url,
        )
    assert _header_command(tmp_path) == (
        "gptkit run assistant.yaml hi --var city=Porto --replay talk.cassette.yaml"
    )


def test_another_clock_still_replays(recorded: Path) -> None:
    cassette = recorded / "talk.cassette.yaml"
    body = cassette.read_text()
    moved = re.sub(
        r"Today is \w+ [\d-]+, [\d:]+ \((\w+)\)", "Today is Sunday 1999-01-03, 23:59 (GMT)", body
    )
    assert moved != body
    cassette.write_text(moved)
    replay = _gptkit(
        "run",
        "assistant.yaml",
        MESSAGE,
        "--var",
        "city=Porto",
        "--var",
        "level=expert",
        "--replay",
        "talk.cassette.yaml",
        cwd=recorded,
    )
    assert replay.returncode == 0, replay.stderr


def test_another_variable_is_a_prompt_mismatch(recorded: Path) -> None:
    replay = _gptkit(
        "run",
        "assistant.yaml",
        MESSAGE,
        "--var",
        "city=Lisbon",
        "--var",
        "level=expert",
        "--replay",
        "talk.cassette.yaml",
        cwd=recorded,
    )
    assert replay.returncode == 1
    assert "was recorded with another system prompt" in replay.stderr
    assert (
        "line 1 was 'Explain things to a expert from Porto.', this run sends "
        "'Explain things to a expert from Lisbon.'"
    ) in replay.stderr
    assert "Traceback" not in replay.stderr


def test_changed_instructions_are_a_prompt_mismatch(recorded: Path) -> None:
    path = recorded / "assistant.yaml"
    path.write_text(path.read_text().replace("Explain things", "Explain things briefly"))
    replay = _gptkit(
        "run",
        "assistant.yaml",
        MESSAGE,
        "--var",
        "city=Porto",
        "--var",
        "level=expert",
        "--replay",
        "talk.cassette.yaml",
        cwd=recorded,
    )
    assert replay.returncode == 1
    assert "this run sends 'Explain things briefly to a expert from Porto.'" in replay.stderr


@pytest.mark.parametrize(
    ("kept", "prompt", "same"),
    [
        ("Key ***.", "Key sk-123.", True),
        ("Key ***.", "Key .", False),
        ("a *** b *** c", "a x b y b z c", True),
        ("a *** b *** c", "a x c", False),
        ("On Monday 2026-12-07 at 09:00 (UTC)", "On Friday 2027-01-01 at 23:15 (GMT)", True),
        ("Be brief.", "Be brief!", False),
    ],
)
def test_the_prompt_rule(kept: str, prompt: str, same: bool) -> None:
    from gptkit.providers.cassette import same_prompt

    assert same_prompt(kept, prompt) is same


def test_a_recording_of_several_turns_says_so(tmp_path: Path) -> None:
    import gptkit

    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    cassette = tmp_path / "two.cassette.yaml"
    with FakeOpenAI([text("one"), text("two")]) as server:
        session = gptkit.Session(
            gptkit.load(tmp_path / "assistant.yaml"),
            variables={"city": "Porto"},
            base_url=server.url,
            record=cassette,
            environ={"OPENAI_API_KEY": "x"},
        )
        session.send("first")
        session.send("second")
        session.save_recording()
        session.close()
    header = cassette.read_text().split("version: 1")[0]
    assert "It holds 2 turns of one conversation" in header
    assert "--replay" in header and " first --var city=Porto" in header
