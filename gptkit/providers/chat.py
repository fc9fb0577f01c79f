"""The Chat Completions wire format: request bodies, replies and streamed chunks."""

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
    """Read a non-streamed reply; raise StreamError when it is not a usable chat completion."""
    if not isinstance(data, dict):
        raise StreamError(f"the reply is {kind_of(data)}, not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise StreamError("the reply has no choices")
    choice = choices[0]
    message = _mapping(choice.get("message"), "choices[0].message")
    calls = []
    raw_calls = message.get("tool_calls")
    if raw_calls is not None and not isinstance(raw_calls, list):
        raise StreamError(f"choices[0].message.tool_calls is {kind_of(raw_calls)}, not a list")
    for i, raw in enumerate(raw_calls or ()):
        where = f"choices[0].message.tool_calls[{i}]"
        raw = _mapping(raw, where)
        function = _mapping(raw.get("function"), f"{where}.function")
        calls.append(
            ToolCall(
                str(raw.get("id") or f"call_{i}"),
                text_of(function.get("name"), f"{where}.function.name"),
                arguments_of(function.get("arguments"), f"{where}.function.arguments"),
            )
        )
    return Completion(
        text=text_of(message.get("content"), "choices[0].message.content"),
        tool_calls=calls,
        usage=_usage(data.get("usage")),
        finish_reason=text_of(choice.get("finish_reason"), "choices[0].finish_reason") or None,
        refusal=text_of(message.get("refusal"), "choices[0].message.refusal") or None,
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
            raise StreamError(f"a chunk of the stream is {kind_of(chunk)}, not a JSON object")
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        choices = chunk.get("choices")
        if choices is None:
            return ""
        if not isinstance(choices, list):
            raise StreamError(f"a chunk's choices is {kind_of(choices)}, not a list")
        if not choices:
            return ""
        choice = _mapping(choices[0], "a chunk's choices[0]")
        finish = text_of(choice.get("finish_reason"), "a chunk's finish_reason")
        if finish:
            self.finish_reason = finish
        delta = _mapping(choice.get("delta"), "a chunk's delta")
        raw_calls = delta.get("tool_calls")
        if raw_calls is not None and not isinstance(raw_calls, list):
            raise StreamError(f"a chunk's delta.tool_calls is {kind_of(raw_calls)}, not a list")
        for raw in raw_calls or ():
            raw = _mapping(raw, "a chunk's tool call")
            index = raw.get("index", len(self.calls))
            if not isinstance(index, int) or isinstance(index, bool):
                raise StreamError(f"a chunk's tool call index is {kind_of(index)}")
            entry = self.calls.setdefault(index, [None, "", []])
            if raw.get("id"):
                entry[0] = str(raw["id"])
            function = _mapping(raw.get("function"), "a chunk's tool call function")
            entry[1] += text_of(function.get("name"), "a chunk's tool call name")
            entry[2].append(arguments_of(function.get("arguments"), "a chunk's tool arguments"))
        refusal = text_of(delta.get("refusal"), "a chunk's refusal")
        if refusal:
            self.refusal = (self.refusal or "") + refusal
        text = text_of(delta.get("content"), "a chunk's content")
        if text:
            self.parts.append(text)
        return text

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


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StreamError(f"{where} is {kind_of(value)}, not an object")
    return value


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    try:
        return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))
    except (TypeError, ValueError, OverflowError):
        return None
