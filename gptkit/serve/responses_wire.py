"""The Responses API on the wire: the request read into a turn, the answer written back.

Read: ``model`` (an assistant's name), ``input`` (a string, or message items with text),
``previous_response_id`` and ``conversation`` (a stored conversation: its history is the
store's, and only the last user message of ``input`` is taken), ``store: true`` (start a stored
conversation), ``stream``. The assistant's instructions and settings apply: the request's
``instructions`` and sampling settings are ignored; client-side ``tools`` are refused.

A response id names its conversation: ``resp_<24 hex>_<conversation id>`` (stateless answers
have ``resp_<24 hex>`` only), so ``previous_response_id`` continues that conversation on any
server process that shares the store. It continues from the conversation's latest turn: a
conversation here does not branch.

Written: a ``response`` object (or its SSE events: ``response.created``, the output text
deltas, ``response.completed``; ``response.failed`` when the turn fails) with ``usage``, the
``conversation`` and ``cost_usd`` (US dollars, null when the model's price is unknown).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from gptkit.messages import Message, Usage
from gptkit.serve.errors import ApiError
from gptkit.serve.wire_common import flag, new_id, now, served_model, text_of

_dumps = json.dumps
_RESPONSE_ID = re.compile(r"^resp_[0-9a-f]{24}(?:_(.+))?$")


@dataclass
class ResponsesRequest:
    model: str
    text: str
    history: list[Message]
    stream: bool
    conversation: str | None
    previous_response_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def conversation_of(response_id: str) -> str | None:
    """The conversation a response id names; a 400 for an id this server did not make."""
    found = _RESPONSE_ID.fullmatch(response_id)
    if found is None:
        raise ApiError(400, f"previous_response_id {response_id[:80]!r} is not a response of "
                       "this server", "invalid_previous_response_id", param="previous_response_id")
    if found.group(1) is None:
        raise ApiError(400, "previous_response_id names a stateless response, which was not "
                       "kept: send the whole conversation in 'input', or start a stored one with "
                       "'conversation' (or 'store': true)", "response_not_stored",
                       param="previous_response_id")
    return found.group(1)


def read(body: dict[str, Any]) -> ResponsesRequest:
    """The turn a responses body asks for, or a 400."""
    model = served_model(body)
    history = _input(body.get("input"))
    if not history or history[-1].role != "user":
        raise ApiError(400, "'input' must end with the user's message (the one to answer)",
                       "invalid_input", param="input")
    conversation: str | None = None
    given = body.get("conversation")
    if isinstance(given, dict):
        given = given.get("id")
    if given is not None:
        if not isinstance(given, str) or not given:
            raise ApiError(400, "'conversation' must be a conversation id (or {\"id\": ...})",
                           "invalid_conversation", param="conversation")
        conversation = given
    previous = body.get("previous_response_id")
    if previous is not None:
        if not isinstance(previous, str):
            raise ApiError(400, "'previous_response_id' must be a string",
                           "invalid_previous_response_id", param="previous_response_id")
        named = conversation_of(previous)
        if conversation is not None and named != conversation:
            raise ApiError(400, "previous_response_id belongs to another conversation than "
                           "'conversation'", "conversation_mismatch", param="conversation")
        conversation = named
    if conversation is None and flag(body, "store"):
        from gptkit.memory.ids import new_session_id

        conversation = new_session_id()
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    return ResponsesRequest(model, history[-1].content, history[:-1], flag(body, "stream"),
                            conversation, previous, metadata or {})


def _input(value: Any) -> list[Message]:
    if isinstance(value, str):
        return [Message("user", value)]
    if not isinstance(value, list) or not value:
        raise ApiError(400, "'input' must be a string or a non-empty list of message items",
                       "invalid_input", param="input")
    messages: list[Message] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            raise ApiError(400, f"{where} is a {str(kind)[:40]} item; this server takes message "
                           "items (tools run in the server)", "unsupported_input", param="input")
        role = item.get("role")
        if role in ("system", "developer"):
            continue
        if role not in ("user", "assistant"):
            raise ApiError(400, f"{where}.role must be user or assistant", "invalid_role",
                           param="input")
        text = text_of(item.get("content"), where, ("input_text", "output_text", "text"))
        messages.append(Message(role, text))
    return messages


def usage_body(usage: Usage | None) -> dict[str, Any]:
    used = usage or Usage()
    return {
        "input_tokens": used.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": used.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": used.input_tokens + used.output_tokens,
    }


class ResponseWriter:
    """One response: the object, or its SSE events in order."""

    def __init__(self, model: str, request: ResponsesRequest) -> None:
        self.model = model
        self.request = request
        conversation = request.conversation
        self.id = new_id("resp_") + (f"_{conversation}" if conversation else "")
        self.item_id = new_id("msg_")
        self.created = now()
        self.sequence = 0

    def _object(self, status: str, output: list[dict[str, Any]], usage: Usage | None = None,
                cost: float | None = None, error: dict[str, Any] | None = None,
                done: bool = False) -> dict[str, Any]:
        conversation = self.request.conversation
        return {
            "id": self.id, "object": "response", "created_at": self.created, "status": status,
            "error": error, "incomplete_details": None, "instructions": None,
            "max_output_tokens": None, "model": self.model, "output": output,
            "parallel_tool_calls": True, "previous_response_id": self.request.previous_response_id,
            "conversation": {"id": conversation} if conversation else None,
            "store": conversation is not None, "temperature": None, "top_p": None,
            "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [],
            "truncation": "disabled", "metadata": self.request.metadata,
            "usage": usage_body(usage) if done else None,
            "cost_usd": cost if done else None,
        }

    def _item(self, text: str, status: str = "completed") -> dict[str, Any]:
        return {"id": self.item_id, "type": "message", "status": status, "role": "assistant",
                "content": [self._part(text)] if status == "completed" else []}

    @staticmethod
    def _part(text: str) -> dict[str, Any]:
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

    def completed(self, text: str, usage: Usage | None, cost: float | None) -> dict[str, Any]:
        return self._object("completed", [self._item(text)], usage, cost, done=True)

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = _dumps({"type": kind, "sequence_number": self.sequence, **fields})
        self.sequence += 1
        return f"event: {kind}\ndata: {data}\n\n".encode()

    def start(self) -> bytes:
        where = {"item_id": self.item_id, "output_index": 0}
        started = self._object("in_progress", [])
        return (
            self._event("response.created", response=started)
            + self._event("response.in_progress", response=started)
            + self._event("response.output_item.added", output_index=0,
                          item=self._item("", "in_progress"))
            + self._event("response.content_part.added", **where, content_index=0,
                          part=self._part(""))
        )

    def delta(self, text: str) -> bytes:
        return self._event("response.output_text.delta", item_id=self.item_id, output_index=0,
                           content_index=0, delta=text, logprobs=[])

    def finish(self, text: str, usage: Usage | None, cost: float | None) -> bytes:
        where = {"item_id": self.item_id, "output_index": 0}
        return (
            self._event("response.output_text.done", **where, content_index=0, text=text,
                        logprobs=[])
            + self._event("response.content_part.done", **where, content_index=0,
                          part=self._part(text))
            + self._event("response.output_item.done", output_index=0, item=self._item(text))
            + self._event("response.completed", response=self.completed(text, usage, cost))
        )

    def failed(self, error: ApiError) -> bytes:
        body = self._object("failed", [], error={"code": error.code, "message": error.message})
        return self._event("response.failed", response=body)
