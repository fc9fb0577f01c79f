"""An answer cut at the output-token limit, stopped by a filter, or refused is said for what it
is (exit 1, a message that names it) and the turn is not kept, on both wire formats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import gptkit
from gptkit.runtime.session import TurnError
from gptkit.testing import FakeOpenAI, call, refusal, text, tool_calls

REPO = Path(__file__).resolve().parents[1]
RUNNER = str(REPO / "tests" / "projects" / "runner" / "assistant.yaml")
STRUCTURED = str(REPO / "examples" / "structured-output" / "assistant.yaml")
APIS = ["chat", "responses"]
MODES = [pytest.param([], id="stream"), pytest.param(["--no-stream"], id="no-stream")]


def run(server: FakeOpenAI, file: str, *args: str, api: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    environ.update(server.env, GPTKIT_TEST_API=api)
    return subprocess.run([sys.executable, "-m", "gptkit", "run", file, *args],
                          capture_output=True, text=True, env=environ, input="", timeout=60)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode", MODES)
def test_an_answer_cut_by_length_fails_the_turn(api: str, mode: list[str]) -> None:
    with FakeOpenAI([text("The first half of a long answ", finish="length")]) as server:
        result = run(server, RUNNER, "tell me everything", *mode, api=api)
    assert result.returncode == 1, result.stderr
    assert "cut short at the output-token limit" in result.stderr
    assert "model.max_output_tokens" in result.stderr and "not kept" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode", MODES)
def test_a_refusal_is_said_not_taken_for_bad_json(api: str, mode: list[str]) -> None:
    with FakeOpenAI([refusal("I can't help with that request.")]) as server:
        result = run(server, STRUCTURED, "triage this", *mode, api=api)
    assert result.returncode == 1, result.stderr
    assert "the model refused to answer: I can't help with that request." in result.stderr
    assert "not JSON" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("api", APIS)
def test_a_content_filter_stop_is_named(api: str) -> None:
    with FakeOpenAI([text("Here is how to", finish="content_filter")]) as server:
        result = run(server, RUNNER, "hi", "--no-stream", api=api)
    assert result.returncode == 1 and "content filter" in result.stderr


@pytest.mark.parametrize("api", APIS)
def test_a_cut_turn_is_not_kept_in_the_conversation(api: str) -> None:
    script = [tool_calls(call("add", {"a": 1, "b": 2}), text="Let me add"),
              text("The sum is", finish="length"), text("3.")]
    environ = {"OPENAI_API_KEY": "k", "GPTKIT_TEST_API": api}
    with FakeOpenAI(script) as server:
        session = gptkit.Session(gptkit.load(RUNNER), base_url=server.url, environ=environ)
        with session:
            with pytest.raises(TurnError, match="cut short"):
                session.send("add 1 and 2")
            assert session.history == []
            assert session.send("again").text == "3."
        last = server.model_requests[-1]
    assert [i["text"] for i in last.items() if i["kind"] == "message"][1:] == ["again"]
