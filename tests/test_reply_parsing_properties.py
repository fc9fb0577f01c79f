"""Property tests: whatever a server answers, reading it gives a Completion or a ProviderError
(through the provider) or a StreamError (the parsers), never another exception."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gptkit.config.models import ModelSettings
from gptkit.errors import ProviderError
from gptkit.messages import Message
from gptkit.providers import chat, responses
from gptkit.providers.base import Completion, Request, StreamError
from gptkit.providers.client import Endpoint, Provider

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
KEYS = ["choices", "message", "delta", "content", "tool_calls", "function", "name", "arguments",
        "id", "index", "finish_reason", "refusal", "usage", "prompt_tokens", "output", "type",
        "status", "text", "call_id", "response", "error", "incomplete_details", "reason",
        "output_text", "function_call", "response.completed", "response.output_text.delta"]
# values built from the keys the parsers read, so the search reaches deep into the readers
shaped = st.recursive(scalars | st.sampled_from(KEYS), lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5), max_leaves=30)
replies = json_values | shaped


@given(replies)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_parsers_raise_only_stream_errors(data: Any) -> None:
    for parse in (chat.parse, responses.parse):
        try:
            assert isinstance(parse(data), Completion)
        except StreamError:
            pass


@given(st.lists(replies, max_size=6))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_stream_readers_raise_only_stream_errors(events: list[Any]) -> None:
    for accumulator in (chat.Accumulator(), responses.Accumulator()):
        try:
            for event in events:
                assert isinstance(accumulator.feed(event), str)
            assert isinstance(accumulator.result(), Completion)
        except StreamError:
            pass


class Canned:
    """A transport that answers with a given value (what the openai client handed back)."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        return self.reply

    async def aclose(self) -> None:
        return None


@given(replies, st.booleans(), st.sampled_from(["chat", "responses"]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_provider_turns_any_reply_into_a_completion_or_a_provider_error(
        reply: Any, stream: bool, api: str) -> None:
    if stream and isinstance(reply, list):
        reply = list(reply)  # a stream of events
    elif stream:
        reply = [reply]
    endpoint = Endpoint("http://127.0.0.1:9/v1", "OPENAI_API_KEY", "k")
    provider = Provider(endpoint, api, Canned(reply))
    request = Request(ModelSettings(name="m"), "m", "system", [Message("user", "hi")],
                      stream=stream)
    try:
        assert isinstance(asyncio.run(provider.complete(request)), Completion)
    except ProviderError as exc:
        assert "the model API at http://127.0.0.1:9/v1" in str(exc)


@given(st.binary(max_size=200) | st.lists(st.sampled_from(
    [b"data: ", b"{", b"}", b"[DONE]", b"\n", b"\r\n", b": keep-alive", b"event: x", b'"a"',
     json.dumps({"error": {"message": "boom"}}).encode(), b"data: {\"x\": 1}\n\n"]), max_size=12
).map(b"".join))
@settings(max_examples=300, deadline=None)
def test_the_sse_reader_raises_only_stream_errors(body: bytes) -> None:
    from gptkit.providers import sse

    class Response:
        closed = False

        async def aiter_bytes(self) -> Any:
            for i in range(0, len(body), 7):
                yield body[i:i + 7]

        async def aclose(self) -> None:
            self.closed = True

    async def read() -> list[Any]:
        response = Response()
        try:
            return [event async for event in sse.events(response)]
        finally:
            assert response.closed

    try:
        asyncio.run(read())
    except StreamError:
        pass
