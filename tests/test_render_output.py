"""``gptkit render FILE [MESSAGE]``: secrets masked in text and JSON, and the JSON is the request
``run`` sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, text

TOKEN = "tok-8f3a9c1e77d24b"

ASSISTANT = """\
version: 1
name: tok
description: An assistant whose settings come from a secret-named variable.
model:
  name: gpt-4o-mini
  extra:
    auth_token: ${MY_TOKEN}
variables:
  token:
    type: string
    default: ${MY_TOKEN}
instructions: |
  The token is {{ vars.token }}.
"""


def _gptkit(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "OPENAI_API_KEY": "sk-test-not-real-0000", "MY_TOKEN": TOKEN, **env}
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, cwd=cwd, env=environ, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_secret_named_variable_prints_as_stars(project: Path, fmt: str) -> None:
    result = _gptkit("render", "assistant.yaml", "hello", "--format", fmt, cwd=project)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout
    assert "sk-test-not-real-0000" not in result.stdout
    if fmt == "json":
        body = json.loads(result.stdout)
        assert body["auth_token"] == "***"
        assert body["messages"][0]["content"] == "The token is ***.\n"
    else:
        assert 'auth_token: "***"' in result.stdout
        assert "The token is ***." in result.stdout


def test_render_json_carries_the_message_and_is_the_request_run_sends(project: Path) -> None:
    with FakeOpenAI([text("ok")]) as server:
        ran = _gptkit("run", "assistant.yaml", "Why is the sky blue?", cwd=project,
                      OPENAI_BASE_URL=server.url)
        assert ran.returncode == 0, ran.stderr
        sent = server.requests[0].body
    rendered = _gptkit("render", "assistant.yaml", "Why is the sky blue?", "--format", "json",
                       cwd=project, OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    assert rendered.returncode == 0, rendered.stderr
    body = json.loads(rendered.stdout)
    assert body["messages"][-1] == {"role": "user", "content": "Why is the sky blue?"}
    # The same body, except that render masks what run must send in clear.
    assert sent["auth_token"] == TOKEN
    sent["auth_token"] = "***"
    sent["messages"][0]["content"] = sent["messages"][0]["content"].replace(TOKEN, "***")
    assert body == sent


def test_render_reads_the_message_from_stdin_with_a_dash(project: Path) -> None:
    environ = {**os.environ, "OPENAI_API_KEY": "x", "MY_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "gptkit", "render", "assistant.yaml", "-", "--format", "json"],
        input="from stdin\n", capture_output=True, text=True, cwd=project, env=environ,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["messages"][-1]["content"] == "from stdin"


def test_render_without_a_message_shows_no_user_message(project: Path) -> None:
    result = _gptkit("render", "assistant.yaml", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [m["role"] for m in json.loads(result.stdout)["messages"]] == ["system"]
