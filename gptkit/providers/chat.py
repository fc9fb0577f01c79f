"""The Chat Completions wire format: request bodies, replies and streamed chunks."""

from __future__ import annotations

from typing import Any

from gptkit.messages import Message, ToolCall, Usage
from gptkit.providers.base import (
    Completion,
    Request,
    StreamError,
    WireCache,
    function_tool,
    json_schema_name,
    sampling,
)

PATH = "/chat/completions"


def build_body(request: Request) -> dict[str, Any]:
    """The JSON body of a ``POST /chat/completions`` for ``request``."""
    settings = request.settings
    messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
    messages.extend(map(_cached, request.messages))
    body: dict[str, Any] = {"model": request.model, "messages": messages}
    if request.tools:
        body["tools"] = [{"type": "function", "function": function_tool(t)} for t in request.tools]
    body.update(sampling(settings))
    if settings.max_output_tokens is not None:
        # OpenAI wants max_completion_tokens (reasoning models refuse max_tokens); compatible
        # servers (Ollama, llama.cpp, older vLLM) know max_tokens.
        key = "max_completion_tokens" if request.openai_default else "max_tokens"
        body[key] = settings.max_output_tokens
    if settings.seed is not None:
        body["seed"] = settings.seed
    if settings.reasoning_effort is not None:
        body["reasoning_effort"] = settings.reasoning_effort
    output = request.output
    if output is not None and output.format == "json" and output.schema_ is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": json_schema_name(output.schema_),
                "schema": output.schema_,
                "strict": output.strict,
            },
        }
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    body.update(settings.extra)
    return body


def _wire(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        # "" rather than null: OpenAI, vLLM and LiteLLM take either, but Ollama refuses null
        # (400) and llama.cpp's chat templates fail on it (500); an omitted key trips
        # templates that read message['content'].
        return {
            "role": "assistant",
            "content": message.content or "",
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in message.tool_calls
            ],
        }
    return {"role": message.role, "content": message.content}


_cached = WireCache(_wire)


def parse(data: Any) -> Completion:
    """Read a non-streamed reply; raise StreamError when it is not a chat completion."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise StreamError("the reply has no choices")
    choice = choices[0]
    message = choice.get("message") or {}
    calls = []
    for i, raw in enumerate(message.get("tool_calls") or ()):
        function = raw.get("function") or {}
        calls.append(
            ToolCall(
                str(raw.get("id") or f"call_{i}"),
                str(function.get("name") or ""),
                _text(function.get("arguments")),
            )
        )
    return Completion(
        text=_text(message.get("content")),
        tool_calls=calls,
        usage=_usage(data.get("usage")),
        finish_reason=choice.get("finish_reason"),
        refusal=message.get("refusal"),
    )


class Accumulator:
    """Builds a :class:`Completion` from streamed chunks; ``feed`` returns new answer text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.calls: dict[int, list[Any]] = {}  # index -> [id, name, argument parts]
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.refusal: str | None = None

    def feed(self, chunk: Any) -> str:
        if not isinstance(chunk, dict):
            return ""
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        choices = chunk.get("choices") or ()
        if not choices:
            return ""
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]
        delta = choice.get("delta") or {}
        for raw in delta.get("tool_calls") or ():
            index = raw.get("index", len(self.calls))
            entry = self.calls.setdefault(index, [None, "", []])
            if raw.get("id"):
                entry[0] = raw["id"]
            function = raw.get("function") or {}
            if function.get("name"):
                entry[1] += function["name"]
            if function.get("arguments"):
                entry[2].append(function["arguments"])
        if delta.get("refusal"):
            self.refusal = (self.refusal or "") + delta["refusal"]
        text = delta.get("content")
        if text:
            self.parts.append(text)
            return text
        return ""

    def result(self) -> Completion:
        if self.finish_reason is None:
            raise StreamError("the stream ended before the reply was complete")
        calls = [
            ToolCall(entry[0] or f"call_{index}", entry[1], "".join(entry[2]))
            for index, entry in sorted(self.calls.items())
        ]
        return Completion(
            "".join(self.parts), calls, self.usage, self.finish_reason, self.refusal
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    try:
        return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))
    except (TypeError, ValueError):
        return None
