"""What `gptkit run` says when the model server misbehaves: it trickles, redirects, answers
something that is not a reply, or fails; each is exit 3 with a message naming the base URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, raw, status, text, trickle

ASSISTANT = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
MODES = [pytest.param([], id="stream"), pytest.param(["--no-stream"], id="no-stream")]


def run(server: FakeOpenAI, *args: str, command: str = "run", stdin: str = "",
        **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    environ.update(server.env, **env)
    return subprocess.run([sys.executable, "-m", "gptkit", command, ASSISTANT, *args],
                          capture_output=True, text=True, env=environ, input=stdin, timeout=120)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", [
    pytest.param(trickle(every=0.5), id="keep-alive"),
    pytest.param(trickle("a long answer that keeps coming", every=0.5, keepalive=False),
                 id="byte-a-beat"),
])
def test_a_trickling_server_is_stopped_by_the_timeout(fault: object, mode: list[str]) -> None:
    with FakeOpenAI([fault]) as server:
        url = server.url
        result = run(server, "hi", *mode, GPTKIT_TEST_TIMEOUT="2", GPTKIT_TEST_RETRIES="0")
    assert result.returncode == 3, result.stderr
    assert f"the model API at {url} did not" in result.stderr
    assert "within 2 s" in result.stderr and "model.timeout_s" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_to_another_server_is_refused_and_named(mode: list[str]) -> None:
    with FakeOpenAI([text("you should never see this")]) as elsewhere:
        target = f"{elsewhere.url}/chat/completions"
        with FakeOpenAI([status(307, headers={"location": target})]) as server:
            url = server.url
            result = run(server, "hi", *mode)
    assert result.returncode == 3, result.stderr
    assert f"the model API at {url} answered 307, redirecting to {target}" in result.stderr
    assert "base_url" in result.stderr
    assert elsewhere.requests == []  # the conversation never went there


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reply, words", [
    pytest.param(raw("<html>gateway</html>", content_type="text/html"), "not", id="html"),
    pytest.param(raw(""), "", id="empty"),
    pytest.param(raw("{not json"), "not", id="broken-json"),
    pytest.param(raw('{"choices": [{"message": {"content": 5}, "finish_reason": "stop"}]}'),
                 "content is 5, not text", id="content-5"),
    pytest.param(raw('{"choices": [{"message": {"content": "x", "tool_calls": "no"}, '
                     '"finish_reason": "stop"}]}'), "tool_calls is a string", id="tool-calls-no"),
    pytest.param(raw("[1, 2]"), "", id="a-list"),
])
def test_a_malformed_reply_is_an_api_failure(reply: object, words: str, mode: list[str]) -> None:
    with FakeOpenAI([reply]) as server:
        url = server.url
        result = run(server, "hi", *mode, GPTKIT_TEST_RETRIES="0")
    assert result.returncode == 3, result.stderr
    assert f"the reply from the model API at {url} could not be used" in result.stderr
    assert words in result.stderr
    assert "internal error" not in result.stderr and "stream ended" not in result.stderr


@pytest.mark.parametrize("mode", MODES)
def test_retries_are_counted_not_assumed(mode: list[str]) -> None:
    # the server tells the client not to retry: no retry happens, and none is claimed
    with FakeOpenAI([status(503, "overloaded", headers={"x-should-retry": "false"})] * 3) as server:
        result = run(server, "hi", *mode, GPTKIT_TEST_RETRIES="2")
    assert result.returncode == 3 and len(server.model_requests) == 1
    assert "failed with 503: overloaded" in result.stderr and "retr" not in result.stderr
    with FakeOpenAI([status(503, "overloaded", headers={"retry-after-ms": "1"})] * 3) as server:
        result = run(server, "hi", *mode, GPTKIT_TEST_RETRIES="2")
    assert result.returncode == 3 and len(server.model_requests) == 3
    assert "failed with 503 after 2 retries: overloaded" in result.stderr


@pytest.mark.parametrize("mode", MODES)
def test_a_plain_text_server_error_keeps_the_servers_words(mode: list[str]) -> None:
    page = raw("upstream exploded: CUDA out of memory", code=500, content_type="text/plain")
    with FakeOpenAI([page]) as server:
        result = run(server, "hi", *mode, GPTKIT_TEST_RETRIES="0")
    assert result.returncode == 3
    assert "failed with 500: upstream exploded: CUDA out of memory" in result.stderr


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("command, args, stdin", [
    ("run", ["hello"], ""),
    ("chat", [], "hello\nand again\n"),
])
def test_a_streamed_run_or_chat_ends_without_a_pending_task_warning(
        api: str, command: str, args: list[str], stdin: str) -> None:
    with FakeOpenAI([text("Hi there, how can I help?"), text("Again, hi.")]) as server:
        result = run(server, *args, command=command, stdin=stdin, GPTKIT_TEST_API=api)
    assert result.returncode == 0, result.stderr
    assert "Task was destroyed" not in result.stderr and "pending" not in result.stderr
