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
    finish_reason: str | None = None
    refusal: str | None = None


class StreamError(Exception):
    """The stream ended in a way that makes the reply unusable (an error event, no end)."""


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
