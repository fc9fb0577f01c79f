"""What a provider is asked and what it answers, independent of the wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gptkit.runtime.messages import ToolCall, Usage

if TYPE_CHECKING:
    from gptkit.config.models import ModelSettings, Output
    from gptkit.runtime.messages import Message
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


def json_schema_name(schema: dict[str, Any]) -> str:
    """The name sent with a structured-output schema (its title, made safe, else ``answer``)."""
    title = str(schema.get("title") or "answer")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in title)[:64]
    return name or "answer"
