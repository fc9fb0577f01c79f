"""The cassette file (``*.cassette.yaml``), version 1: recorded model exchanges.

Written by ``gptkit run --record``, read by ``--replay``, checked by ``gptkit validate``. These
models are the one source of ``schemas/cassette.schema.json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from gptkit.config.models import _Model
from gptkit.config.names import NAME_PATTERN


class CassetteRequest(_Model):
    """A request as it was sent (secrets replaced by ***)."""

    path: Literal["/chat/completions", "/responses"]
    """The API path, relative to the base URL."""
    body: dict[str, Any]
    """The JSON request body."""


class CassetteResponse(_Model):
    """The reply as it was received: a JSON body, or the events of a stream."""

    model_config = {"json_schema_extra": {"oneOf": [{"required": ["body"]}, {"required": ["stream"]}]}}

    body: dict[str, Any] | None = None
    """The JSON body of a reply that was not streamed."""
    stream: list[dict[str, Any]] | None = None
    """The data of each server-sent event of a streamed reply, in order."""

    @model_validator(mode="after")
    def _one_of(self) -> CassetteResponse:
        if (self.body is None) == (self.stream is None):
            raise ValueError("a response has either body or stream")
        return self


class Exchange(_Model):
    """One model call."""

    request: CassetteRequest
    response: CassetteResponse


class Cassette(_Model):
    """Every model exchange of one ``gptkit run --record``, in order."""

    model_config = {"json_schema_extra": {"title": "gptkit cassette"}}

    version: Literal[1]
    """The cassette format version."""
    assistant: Annotated[str, Field(pattern=NAME_PATTERN)]
    """The name of the assistant that was run."""
    api: Literal["chat", "responses"]
    """The API the exchanges used."""
    server: str
    """Where the answers came from (a base URL, or gptkit.testing's fake server)."""
    recorded_with: str
    """The gptkit version that wrote the cassette."""
    recorded_at: str
    """When it was recorded (ISO 8601, UTC)."""
    exchanges: Annotated[list[Exchange], Field(min_length=1)]
    """The model calls, in the order the run made them."""
