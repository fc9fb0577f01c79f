"""The test file (``*.test.yaml``), version 1: conversation tests of one assistant.

Run by ``gptkit test`` (offline, from one cassette per case), checked by ``gptkit validate``.
These models are the one source of ``schemas/test.schema.json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from gptkit.config.models import _Model
from gptkit.config.names import TOOL_NAME_PATTERN, VARIABLE_NAME_PATTERN

ToolName = Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]


class ExpectedCall(_Model):
    """A tool call the turn must make."""

    name: ToolName
    """The tool's name."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """Arguments the call must have; a partial match: other arguments may be there too, and a
    nested object matches when it holds these keys with these values."""


class Expect(_Model):
    """What one turn's answer must satisfy; every key given is checked."""

    contains: str | Annotated[list[str], Field(min_length=1)] | None = None
    """Text (or each text of a list) the answer must contain."""
    not_contains: str | Annotated[list[str], Field(min_length=1)] | None = None
    """Text (or each text of a list) the answer must not contain."""
    matches: Annotated[str, Field(min_length=1)] | None = None
    """A regular expression (Python syntax) that must match somewhere in the answer."""
    equals: str | None = None
    """The whole answer, exactly (surrounding white space aside)."""
    json_schema: dict[str, Any] | None = None
    """A JSON Schema the answer, read as JSON, must match (for output.format: json)."""
    tool_calls: list[ExpectedCall] | None = None
    """Tool calls the turn must make; other calls may come between them."""
    tool_calls_order: Literal["in_order", "any_order"] = "in_order"
    """in_order: the calls of tool_calls are made in that order; any_order: in any order."""
    no_tool_calls: bool | None = None
    """true: the turn calls no tool at all."""
    max_tool_rounds: Annotated[int, Field(ge=0)] | None = None
    """The most rounds of tool calls the turn may take."""
    max_cost_usd: Annotated[float, Field(ge=0)] | None = None
    """The most the turn may cost in US dollars (from gptkit's price table)."""
    max_input_tokens: Annotated[int, Field(ge=0)] | None = None
    """The most input tokens the turn's model calls may use together."""


class Turn(_Model):
    """One message of the user, and what the answer must satisfy."""

    user: Annotated[str, Field(min_length=1)]
    """The user's message."""
    expect: Expect = Field(default_factory=Expect)
    """The checks on the answer."""


class Mock(_Model):
    """A fixed outcome for a tool: it does not run."""

    model_config = {"json_schema_extra": {"oneOf": [{"required": ["result"]}, {"required": ["error"]}]}}

    result: Annotated[Any, Field(json_schema_extra={"not": {"type": "null"}})] = None
    """What the tool returns to the model (text as it is; any other value as JSON)."""
    error: Annotated[str, Field(min_length=1)] | None = None
    """The tool fails with this message (the model reads it as an error result)."""

    @model_validator(mode="after")
    def _one_of(self) -> Mock:
        if (self.result is None) == (self.error is None):
            raise ValueError("a mock has either result or error")
        return self


class Case(_Model):
    """One conversation with the assistant: its turns in order, in one session."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    """The case's name, unique in the file; its cassette is named after it."""
    vars: dict[Annotated[str, Field(pattern=VARIABLE_NAME_PATTERN)], Any] = Field(default_factory=dict)
    """Values of the assistant's variables for this case."""
    user: Annotated[str, Field(min_length=1)] = "local"
    """Who is talking (the user id facts are kept under)."""
    memory: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """Long-term memory facts the user already has when the case starts (memory.long_term)."""
    tools: dict[ToolName, Mock] = Field(default_factory=dict)
    """Mocks for this case, beside (and over) the file's."""
    confirm: bool = False
    """Whether tools with confirm: true are allowed (true) or declined (false) when called."""
    turns: Annotated[list[Turn], Field(min_length=1)]
    """The user's messages, in order."""


class SuiteSpec(_Model):
    """Conversation tests of one assistant."""

    model_config = {"json_schema_extra": {"title": "gptkit test file"}}

    version: Literal[1]
    """The test file format version."""
    assistant: Annotated[str, Field(min_length=1)]
    """The assistant file under test, relative to this file."""
    tools: dict[ToolName, Mock] = Field(default_factory=dict)
    """Tools replaced by a fixed result or error in every case (tools not named here run)."""
    cases: Annotated[list[Case], Field(min_length=1)]
    """The test cases."""
