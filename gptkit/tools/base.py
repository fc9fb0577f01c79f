"""What the runtime needs from a tool, whatever its type.

A :class:`Tool` knows its definition as the model sees it (:class:`ToolSpec`), checks the model's
raw argument text (:meth:`Tool.parse`), and runs (:meth:`Tool.run`). The runtime's dispatcher
(``gptkit.runtime.dispatch``) does the rest the same way for every type: unknown names, confirm,
timeouts, cutting long output, and turning every failure into a result the model reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it: ``parameters`` is a JSON Schema of type object."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = True


class ToolArgumentsError(Exception):
    """The model's arguments are not valid for the tool; the message is sent back to the model."""


class ToolFailure(Exception):
    """The tool ran and failed in a way worth telling the model; the message is sent back."""


@dataclass
class Tool:
    """Base of every tool type; subclasses implement :meth:`parse` and :meth:`run`."""

    spec: ToolSpec
    confirm: bool = False
    timeout_s: float | None = None  # None: limits.tool_timeout_s
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def parse(self, arguments: str) -> dict[str, Any]:
        """Check the model's raw JSON ``arguments``; return the keyword arguments for :meth:`run`.

        Raises :class:`ToolArgumentsError` with a message the model can act on (invalid JSON,
        a wrong type, a missing or extra field). Never runs the tool.
        """
        raise NotImplementedError

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        """Run with arguments from :meth:`parse`; return the result text for the model."""
        raise NotImplementedError


@dataclass
class ToolContext:
    """What a running tool may know of the turn: who is talking, and the long-term memory."""

    assistant: str
    user: str = "local"
    session: str | None = None
    memory: Any = None  # the long-term facts store of the memory issue; None when disabled
