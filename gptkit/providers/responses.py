"""The Responses API wire format: request bodies, replies and streamed events.

gptkit keeps the conversation itself, so requests are sent with ``store: false`` and the whole
input each time (function calls and their outputs as input items), never a ``previous_response_id``.
"""

from __future__ import annotations

from typing import Any

from gptkit.messages import Message, ToolCall, Usage
from gptkit.providers.base import (
    Completion,
    Request,
    StreamError,
    WireCache,
    arguments_of,
    function_tool,
    json_schema_name,
    kind_of,
    sampling,
    text_of,
)

PATH = "/responses"


def build_body(request: Request) -> dict[str, Any]:
    """The JSON body of a ``POST /responses`` for ``request``."""
    settings = request.settings
    items: list[dict[str, Any]] = []
    for message in request.messages:
        items.extend(_cached(message))
    body: dict[str, Any] = {
        "model": request.model,
        "instructions": request.system,
        "input": items,
        "store": False,
    }
    if request.tools:
        body["tools"] = [{"type": "function", **function_tool(t)} for t in request.tools]
    body.update(sampling(settings))
    if settings.max_output_tokens is not None:
        body["max_output_tokens"] = settings.max_output_tokens
    if settings.reasoning_effort is not None:
        body["reasoning"] = {"effort": settings.reasoning_effort}
    output = request.output
    if output is not None and output.format == "json" and output.schema_ is not None:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": json_schema_name(output.schema_),
                "schema": output.schema_,
                "strict": output.strict,
            }
        }
    if request.stream:
        body["stream"] = True
    body.update(settings.extra)
    return body


def _wire(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {
                "type": "function_call_output",
                "call_id": message.tool_call_id,
                "output": message.content,
            }
        ]
    items: list[dict[str, Any]] = []
    if message.content or not message.tool_calls:
        items.append({"role": message.role, "content": message.content})
    for call in message.tool_calls:
        items.append(
            {
                "type": "function_call",
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
            }
        )
    return items


_cached = WireCache(_wire)


def parse(data: Any) -> Completion:
    """Read a complete response object (non-streamed, or a stream's ``response.completed``).

    ``finish_reason`` uses Chat Completions' words: ``tool_calls``, ``stop``, and for an
    ``incomplete`` response ``length`` (``max_output_tokens``) or ``content_filter``.
    """
    if not isinstance(data, dict):
        raise StreamError(f"the reply is {kind_of(data)}, not a JSON object")
    if not isinstance(data.get("output"), list):
        raise StreamError("the reply has no output")
    if data.get("status") == "failed":
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        raise StreamError(f"the response failed: {message or 'no reason given'}")
    parts: list[str] = []
    calls: list[ToolCall] = []
    refusal = None
    for index, item in enumerate(data["output"]):
        where = f"output[{index}]"
        if not isinstance(item, dict):
            raise StreamError(f"{where} is {kind_of(item)}, not an object")
        if item.get("type") == "message":
            content = item.get("content") or []
            if not isinstance(content, list):
                raise StreamError(f"{where}.content is {kind_of(content)}, not a list")
            for number, part in enumerate(content):
                if not isinstance(part, dict):
                    raise StreamError(f"{where}.content[{number}] is {kind_of(part)}")
                if part.get("type") == "output_text":
                    parts.append(text_of(part.get("text"), f"{where}.content[{number}].text"))
                elif part.get("type") == "refusal":
                    said = text_of(part.get("refusal"), f"{where}.content[{number}].refusal")
                    refusal = (refusal or "") + said
        elif item.get("type") == "function_call":
            calls.append(
                ToolCall(
                    str(item.get("call_id") or item.get("id") or f"call_{len(calls)}"),
                    text_of(item.get("name"), f"{where}.name"),
                    arguments_of(item.get("arguments"), f"{where}.arguments"),
                )
            )
    return Completion("".join(parts), calls, _usage(data.get("usage")), _finish(data, calls),
                      refusal or None)


def _finish(data: dict[str, Any], calls: list[ToolCall]) -> str:
    if data.get("status") == "incomplete":
        details = data.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return "content_filter" if reason == "content_filter" else "length"
    return "tool_calls" if calls else "stop"


class Accumulator:
    """Reads streamed events; the reply is the ``response.completed`` event's response."""

    def __init__(self) -> None:
        self.completed: Any = None

    def feed(self, event: Any) -> str:
        if not isinstance(event, dict):
            raise StreamError(f"an event of the stream is {kind_of(event)}, not a JSON object")
        kind = event.get("type")
        if kind == "response.output_text.delta":
            return text_of(event.get("delta"), "an output_text delta")
        if kind in ("response.completed", "response.incomplete"):
            self.completed = event.get("response")
        elif kind in ("response.failed", "error"):
            response = event.get("response")
            error = event.get("error") or (response.get("error") if isinstance(response, dict)
                                           else None) or event
            message = error.get("message") if isinstance(error, dict) else error
            raise StreamError(f"the response failed: {message or 'no reason given'}")
        return ""

    def result(self) -> Completion:
        if self.completed is None:
            raise StreamError("the stream ended before the response was complete")
        return parse(self.completed)


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    try:
        return Usage(int(raw.get("input_tokens") or 0), int(raw.get("output_tokens") or 0))
    except (TypeError, ValueError, OverflowError):
        return None
