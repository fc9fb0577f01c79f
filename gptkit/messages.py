"""The conversation as gptkit keeps it: provider-neutral, immutable messages.

The one data type shared by the runtime, the providers and the memory stores, so it sits below
all of them (it imports nothing of gptkit).

The providers translate these to and from the Chat Completions and Responses wire formats; the
memory stores persist them with :meth:`Message.to_dict` / :meth:`Message.from_dict`. A turn is the
user's message, then any number of (assistant message with tool calls, one tool message per call),
then the assistant's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for; ``arguments`` is the model's raw JSON text."""

    id: str
    name: str
    arguments: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one model call (or a sum of calls) used."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )

    def to_dict(self) -> dict[str, int]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation.

    - ``user``: ``content`` is what the person wrote.
    - ``assistant``: ``content`` is the text (may be empty when it only calls tools);
      ``tool_calls`` the calls it asked for; ``usage`` what the call cost, when known.
    - ``tool``: ``content`` is the result text sent back; ``tool_call_id`` and ``name`` say
      which call it answers.
    """

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    usage: Usage | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict holding only the fields that are set."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            data["name"] = self.name
        if self.usage is not None:
            data["usage"] = self.usage.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        """The inverse of :meth:`to_dict`."""
        usage = data.get("usage")
        return cls(
            role=data["role"],
            content=data.get("content") or "",
            tool_calls=tuple(ToolCall(**call) for call in data.get("tool_calls") or ()),
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
            usage=Usage(**usage) if usage else None,
        )
