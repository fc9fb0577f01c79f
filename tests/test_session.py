"""The Python API: gptkit.Session(gptkit.load(path)) with send/stream and their async twins."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gptkit
from gptkit.errors import ProviderError
from gptkit.runtime.events import Answer, TextDelta, ToolFinished, ToolStarted
from gptkit.testing import FakeOpenAI, RecordedRequest, call, status, text, tool_calls

ASSISTANT = Path(__file__).parent / "projects" / "runner" / "assistant.yaml"
ENV = {"OPENAI_API_KEY": "sk-test-abcdefghijklmnopqrstuvwxyz", "GPTKIT_TEST_RETRIES": "0"}


def session(server: FakeOpenAI, **options):
    config = gptkit.load(ASSISTANT, environ=ENV)
    return gptkit.Session(config, base_url=server.url, environ=ENV, **options)


def test_send_keeps_the_conversation_and_stream_yields_events() -> None:
    script = [text("Hi Ana."), tool_calls(call("add", {"a": 1, "b": 2}, id="t1")), text("3.")]
    with FakeOpenAI(script) as server, session(server) as chat:
        first = chat.send("hello")
        events = list(chat.stream("1+2?"))
    assert first.text == "Hi Ana." and str(first) == "Hi Ana."
    kinds = [type(e) for e in events]
    assert kinds[0] is ToolStarted and ToolFinished in kinds and kinds[-1] is Answer
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "3."
    assert events[-1].tool_calls[0].result == "3"
    # the second request of the second turn carries the first turn
    assert [m["role"] for m in server.requests[2].body["messages"]] == [
        "system", "user", "assistant", "user", "assistant", "tool"]
    assert [m.role for m in chat.history] == ["user", "assistant", "user", "assistant", "tool", "assistant"]


def test_async_twins() -> None:
    async def main(url: str) -> list:
        config = gptkit.load(ASSISTANT, environ=ENV)
        chat = gptkit.Session(config, base_url=url, environ=ENV, stream=False)
        answer = await chat.asend("one")
        events = [e async for e in chat.astream("two")]
        await chat.aclose()
        return [answer.text, events[-1].text]

    with FakeOpenAI("echo") as server:
        assert asyncio.run(main(server.url)) == ["echo: one", "echo: two"]


def test_a_failed_turn_leaves_the_conversation_as_it_was() -> None:
    with FakeOpenAI([text("kept"), status(500), text("after")]) as server, session(server) as chat:
        chat.send("first")
        before = list(chat.history)
        with pytest.raises(ProviderError, match="failed with 500"):
            chat.send("second")
        assert chat.history == before
        chat.send("third")
        sent = [m["content"] for m in server.requests[-1].body["messages"] if m["role"] == "user"]
    assert sent == ["first", "third"]


# -- the model's tool arguments are untrusted ---------------------------------------------------

class _Slot:
    arguments = ""


def _model(slot: _Slot):
    def reply(request: RecordedRequest):
        if request.ends_with_user():
            return tool_calls(call("add", slot.arguments, id="h1"))
        return text("ok")

    return reply


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(arguments=st.one_of(
    st.text(max_size=80),
    st.dictionaries(st.sampled_from(["a", "b", "c"]),
                    st.one_of(st.integers(), st.text(max_size=5), st.none(), st.floats(), st.booleans()),
                    max_size=3).map(json.dumps),
))
def test_any_argument_text_is_validated_before_the_tool_runs(arguments: str, tmp_path_factory) -> None:
    log = tmp_path_factory.mktemp("log") / "calls.jsonl"
    slot = _Slot()
    slot.arguments = arguments
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNNER_LOG", str(log))
        with FakeOpenAI(_model(slot)) as server, session(server, stream=False) as chat:
            answer = chat.send("add things")
    assert answer.text == "ok"
    (finished,) = answer.tool_calls
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    if finished.error:
        assert calls == [] and finished.result.startswith("error:")
    else:
        value = json.loads(arguments)
        assert isinstance(value, dict) and set(value) == {"a", "b"}
        assert all(type(v) is int for v in value.values())
        assert calls == [{"tool": "add", "arguments": value}]
        assert finished.result == str(value["a"] + value["b"])


def test_parallel_calls_run_at_the_same_time() -> None:
    # meet() blocks until a second meet() arrives: run one after the other, both would fail
    script = [tool_calls(call("meet", {"who": "ana"}, id="p1"), call("meet", {"who": "rui"}, id="p2")),
              text("Both met.")]
    with FakeOpenAI(script) as server, session(server) as chat:
        answer = chat.send("meet")
    assert [(f.call.id, f.result, f.error) for f in answer.tool_calls] == [
        ("p1", "ana met", False), ("p2", "rui met", False)]


def test_init_writes_an_assistant_that_validates_and_runs(tmp_path, monkeypatch) -> None:
    from gptkit.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["init", "notes-helper"]) == 0
    assert main(["init", "notes-helper"]) == 1  # never overwrites
    assert main(["validate", "notes-helper"]) == 0
    first = (tmp_path / "notes-helper" / "assistant.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=assistant.schema.json"
    script = [tool_calls(call("count_words", {"text": "one two three."}, id="w1")), text("3 words.")]
    with FakeOpenAI(script) as server:
        config = gptkit.load(tmp_path / "notes-helper" / "assistant.yaml")
        with gptkit.Session(config, base_url=server.url, environ=ENV) as chat:
            answer = chat.send("how long is: one two three.")
    assert answer.text == "3 words."
    assert json.loads(answer.tool_calls[0].result) == {"words": 3, "sentences": 1, "characters": 14}
