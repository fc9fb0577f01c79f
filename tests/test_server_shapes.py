"""Every server shape gptkit claims takes a whole tool round from `gptkit run`.

The fake server's strict modes refuse what each real server refuses (llama.cpp's chat template
fails on ``"content": null`` with 500, Ollama refuses it with 400, vLLM refuses stream_options
without a stream, OpenAI wants every tool call answered); a tool round that passes here sends
what the real servers accept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, call, text, tool_calls
from gptkit.testing.shapes import SHAPES

ASSISTANT = str(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")


def run(server: FakeOpenAI, *args: str, api: str = "chat") -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    environ.update(server.env, GPTKIT_TEST_API=api)
    return subprocess.run([sys.executable, "-m", "gptkit", "run", ASSISTANT, *args],
                          capture_output=True, text=True, env=environ, input="", timeout=60)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_tool_round_passes_every_server_shape(shape: str, stream: bool) -> None:
    script = [tool_calls(call("add", {"a": 2, "b": 3}, id="c1")), text("It is 5.")]
    with FakeOpenAI(script, strict=shape) as server:
        result = run(server, "add 2 and 3", *([] if stream else ["--no-stream"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "It is 5.\n"
    assert len(server.model_requests) == 2  # no refusal, no retry
    sent = server.model_requests[1].body["messages"]
    assistant = next(m for m in sent if m.get("tool_calls"))
    assert assistant["content"] == ""  # what every shape accepts, null being refused by some


@pytest.mark.parametrize("shape, code, words", [
    ("llama.cpp", 500, "NoneType"),
    ("ollama", 400, "invalid message content type: <nil>"),
])
def test_the_strict_modes_refuse_null_content_as_the_real_servers_do(
        shape: str, code: int, words: str) -> None:
    import openai  # noqa: TID251 -- the real client sees the refusal

    messages = [{"role": "user", "content": "add"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function",
                     "function": {"name": "add", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "5"}]
    with FakeOpenAI(["unused"], strict=shape) as server, \
            openai.OpenAI(base_url=server.url, api_key="k", max_retries=0) as client:
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="m", messages=messages)
    assert caught.value.status_code == code and words in str(caught.value)
    assert server.model.served == 0


@pytest.mark.parametrize("shape, body, words", [
    ("vllm", {"stream_options": {"include_usage": True}}, "only be defined when `stream=True`"),
    ("openai", {"stream_options": {"include_usage": True}}, "only allowed when 'stream'"),
    ("openai", {"messages": [{"role": "user", "content": "x"},
                             {"role": "tool", "tool_call_id": "c9", "content": "5"}]},
     "must be a response to a preceeding message"),
    ("openai", {"messages": [{"role": "user", "content": "x"},
                             {"role": "assistant", "content": None, "tool_calls": [
                                 {"id": "c1", "type": "function",
                                  "function": {"name": "f", "arguments": "{}"}}]},
                             {"role": "user", "content": "y"}]},
     "did not have response messages: c1"),
    ("litellm", {"messages": [{"role": "user", "content": 5}]}, "Invalid user message"),
    ("llama.cpp", None, "Not Found"),
])
def test_each_shape_refuses_what_its_server_refuses(shape: str, body: dict | None,
                                                    words: str) -> None:
    import json
    import urllib.error
    import urllib.request

    with FakeOpenAI(["unused"], strict=shape) as server:
        path = "/responses" if body is None else "/chat/completions"
        payload = {"model": "m", "messages": [{"role": "user", "content": "x"}], **(body or {})}
        request = urllib.request.Request(server.url + path, json.dumps(payload).encode(),
                                         {"content-type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
    assert caught.value.code in (400, 404) and words in caught.value.read().decode()
