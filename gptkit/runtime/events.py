"""What a turn reports while it runs, for the CLI and for ``Session.stream()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gptkit.knowledge.passages import Passage
from gptkit.messages import Message, ToolCall, Usage


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer text, as it arrives."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    """The model asked for a tool call; it is about to run (or be refused)."""

    call: ToolCall


@dataclass(frozen=True)
class ToolFinished:
    """A tool call's result, as sent back to the model; ``error`` when it failed or was refused."""

    call: ToolCall
    result: str
    error: bool = False


@dataclass
class Answer:
    """The outcome of one turn."""

    text: str
    output: Any = None  # the parsed JSON answer, for output.format: json
    tool_calls: list[ToolFinished] = field(default_factory=list)
    usage: Usage | None = None  # every model call of the turn, the summary's included
    cost_usd: float | None = None
    messages: list[Message] = field(default_factory=list)  # the turn, as stored
    warnings: list[str] = field(default_factory=list)  # what went wrong without failing the turn
    passages: list[Passage] = field(default_factory=list)  # knowledge given to the model, cited

    def __str__(self) -> str:
        return self.text


Event = TextDelta | ToolStarted | ToolFinished | Answer
