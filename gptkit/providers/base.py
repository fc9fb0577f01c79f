"""What a provider is asked and what it answers, independent of the wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gptkit.messages import ToolCall, Usage

if TYPE_CHECKING:
    from gptkit.config.models import ModelSettings, Output
    from gptkit.messages import Message
    from gptkit.tools.base import ToolSpec


@dataclass
class Request:
    """One model call: everything the wire formats need to build a request body."""

    settings: ModelSettings
    model: str  # model.name, or --model
    system: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    output: Output | None = None
    stream: bool = True
    openai_default: bool = True  # talking to OpenAI itself (not a compatible server)


@dataclass
class Completion:
    """The model's reply to one call."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None  # Chat Completions' words: stop, length, tool_calls, ...
    refusal: str | None = None

    def problem(self) -> str | None:
        """Why this reply cannot stand as the model's answer, or ``None`` when it can.

        A refusal, an answer cut at the output-token limit (``finish_reason: length``, or a
        Responses API reply ``incomplete`` for ``max_output_tokens``), or one stopped by the
        server's content filter: each would otherwise pass for a complete answer.
        """
        if self.refusal:
            return f"the model refused to answer: {' '.join(self.refusal.split())[:300]}"
        if self.finish_reason == "length":
            return ("the model's answer was cut short at the output-token limit (finish_reason: "
                    "length); raise model.max_output_tokens, or ask for a shorter answer")
        if self.finish_reason == "content_filter":
            return ("the server's content filter stopped the model's answer (finish_reason: "
                    "content_filter)")
        return None


class StreamError(Exception):
    """The reply is unusable: not JSON, the wrong shape, an error event, a stream with no end."""


def kind_of(value: Any) -> str:
    """What a JSON value is, for a message: ``5``, ``a string``, ``a list``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


def text_of(value: Any, where: str) -> str:
    """A text field of a reply: a string, ``null`` (as ""), or a list of text parts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(p, dict) and isinstance(p.get("text", ""), str) for p in value
    ):
        return "".join(p.get("text", "") for p in value)
    raise StreamError(f"{where} is {kind_of(value)}, not text")


def arguments_of(value: Any, where: str) -> str:
    """A tool call's arguments as JSON text (some servers send an object instead of text)."""
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return text_of(value, where)


def function_tool(spec: ToolSpec) -> dict[str, Any]:
    """A tool's name, description, parameters and strictness, as both APIs name them."""
    return {
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
        "strict": spec.strict,
    }


def sampling(settings: ModelSettings) -> dict[str, Any]:
    """The sampling settings that both APIs take under the same names, when set."""
    found = {"temperature": settings.temperature, "top_p": settings.top_p}
    return {key: value for key, value in found.items() if value is not None}


def json_schema_name(schema: dict[str, Any]) -> str:
    """The name sent with a structured-output schema (its title, made safe, else ``answer``)."""
    title = str(schema.get("title") or "answer")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in title)[:64]
    return name or "answer"


class WireCache:
    """The wire form of each message, built once: a long conversation is not converted again
    on every request (the dicts are shared between requests and must not be changed)."""

    def __init__(self, convert: Any, limit: int = 8192) -> None:
        self.convert, self.limit = convert, limit
        self.items: dict[Any, Any] = {}

    def __call__(self, message: Any) -> Any:
        # Keyed by identity (hashing a message would read all of it); the entry keeps the
        # message alive, so its id cannot be reused while it is cached.
        found = self.items.get(id(message))
        if found is None or found[0] is not message:
            found = (message, self.convert(message))
            if len(self.items) >= self.limit:
                self.items.clear()  # simple and rare: a new conversation, or a very long one
            self.items[id(message)] = found
        return found[1]
