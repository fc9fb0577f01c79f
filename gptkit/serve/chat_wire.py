"""The Chat Completions API on the wire: the request read into a turn, the answer written back.

Read: ``model`` (an assistant's name), ``messages`` (text only; ``system`` and ``developer``
messages are dropped: the assistant's own instructions apply), ``stream`` and
``stream_options.include_usage``. Sampling settings (``temperature``, ``max_tokens``, ...)
are the assistant file's, so the request's are ignored; client-side ``tools`` are refused, since
the assistant's tools run in the server.

Written: a ``chat.completion`` (or its ``chat.completion.chunk`` SSE events, then
``data: [DONE]``) with the final answer, ``usage`` in OpenAI's words, and ``cost_usd`` (US
dollars, null when the model's price is unknown) beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gptkit.messages import Message, Usage
from gptkit.serve.errors import ApiError
from gptkit.serve.wire_common import flag, new_id, now, served_model, text_of

_dumps = json.dumps


@dataclass
class ChatRequest:
    model: str
    text: str  # the last user message: this turn's
    history: list[Message]  # the messages before it
    stream: bool
    include_usage: bool


def read(body: dict[str, Any]) -> ChatRequest:
    """The turn a chat completions body asks for, or a 400."""
    model = served_model(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of messages", "invalid_messages",
                       param="messages")
    history: list[Message] = []
    for index, item in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(item, dict):
            raise ApiError(400, f"{where} must be an object with role and content",
                           "invalid_messages", param="messages")
        role = item.get("role")
        if role in ("system", "developer"):
            continue  # the assistant's instructions are the system prompt
        if role not in ("user", "assistant"):
            raise ApiError(400, f"{where}.role {str(role)[:20]!r} is not taken here: give user and "
                           "assistant messages (tools run in the server)", "invalid_role",
                           param="messages")
        if item.get("tool_calls"):
            raise ApiError(400, f"{where} carries tool calls; tools run in the server, so send "
                           "only the text of the conversation", "tools_not_supported",
                           param="messages")
        history.append(Message(role, text_of(item.get("content"), where, ("text",))))
    if not history or history[-1].role != "user":
        raise ApiError(400, "the last message must be the user's (the one to answer)",
                       "invalid_messages", param="messages")
    stream = flag(body, "stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise ApiError(400, "'stream_options' must be an object", "invalid_type",
                       param="stream_options")
    include = options.get("include_usage", False)
    return ChatRequest(model, history[-1].content, history[:-1], stream, include is True)


def usage_body(usage: Usage | None) -> dict[str, int]:
    used = usage or Usage()
    return {
        "prompt_tokens": used.input_tokens,
        "completion_tokens": used.output_tokens,
        "total_tokens": used.input_tokens + used.output_tokens,
    }


def completion(model: str, text: str, usage: Usage | None, cost: float | None) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` body."""
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": now(),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": usage_body(usage),
        "cost_usd": cost,
    }


class ChunkWriter:
    """The SSE events of one streamed answer: ``data: {chunk}`` lines, then ``[DONE]``."""

    def __init__(self, model: str) -> None:
        self.head = (
            f'{{"id":"{new_id("chatcmpl-")}","object":"chat.completion.chunk",'
            f'"created":{now()},"model":{_dumps(model)},"choices":'
        )

    def _choice(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return (
            f'data: {self.head}[{{"index":0,"delta":{_dumps(delta)},"logprobs":null,'
            f'"finish_reason":{_dumps(finish)}}}]}}\n\n'
        ).encode()

    def start(self) -> bytes:
        return self._choice({"role": "assistant", "content": ""})

    def delta(self, text: str) -> bytes:
        return self._choice({"content": text})

    def finish(self, usage: Usage | None, cost: float | None, include_usage: bool) -> bytes:
        out = self._choice({}, "stop")
        if include_usage:
            out += (
                f'data: {self.head}[],"usage":{_dumps(usage_body(usage))},'
                f'"cost_usd":{_dumps(cost)}}}\n\n'
            ).encode()
        return out + b"data: [DONE]\n\n"

    @staticmethod
    def error(error: ApiError) -> bytes:
        return f"data: {_dumps(error.body())}\n\n".encode()
