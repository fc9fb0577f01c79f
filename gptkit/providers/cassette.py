"""Cassettes: every model exchange of a run, written by ``--record`` and answered by ``--replay``.

A cassette is YAML (``*.cassette.yaml``, schema ``schemas/cassette.schema.json``): a header (which
assistant, which server, when, by which gptkit) and the exchanges in order, each the request body
as sent (secrets redacted) and the reply as received (a JSON body, or a stream's events).

Replay answers the run's model calls in order, without any network or key. It fails clearly when
the run asks for something the cassette does not hold: more calls than were recorded, another API,
or another conversation (the user's messages and tool calls differ from the recorded ones). Tools,
templates and memory run for real in both modes.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gptkit.errors import GptkitError
from gptkit.providers.errors import redact

#: The system_fingerprint gptkit.testing's fake server puts on every answer (the same constant
#: lives in gptkit.testing.server; importing it here would load the server for every recording).
FAKE_SERVER_FINGERPRINT = "fp_gptkit.testing"


class CassetteError(GptkitError):
    """A cassette cannot be read, or does not hold what the run asks for."""


@dataclass
class Recorder:
    """Wraps a transport and keeps every exchange that passes through it."""

    inner: Any
    secrets: Iterable[str] = ()
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        reply = await self.inner.send(path, body, stream)
        exchange: dict[str, Any] = {"request": {"path": path, "body": _scrub(body, self.secrets)}}
        self.exchanges.append(exchange)
        if isinstance(reply, dict):
            exchange["response"] = {"body": _scrub(reply, self.secrets)}
            return reply
        events: list[Any] = []
        exchange["response"] = {"stream": events}
        return _tee(reply, events, self.secrets)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def save(self, path: Path, *, assistant: str, api: str, base_url: str) -> None:
        """Write the cassette; the header says when the server was gptkit's fake one."""
        from gptkit import __version__

        fake = any(_from_fake_server(e.get("response", {})) for e in self.exchanges)
        server = f"gptkit.testing fake server at {base_url}" if fake else base_url
        document = {
            "version": 1,
            "assistant": assistant,
            "api": api,
            "server": server,
            "recorded_with": f"gptkit {__version__}",
            "recorded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "exchanges": self.exchanges,
        }
        note = (
            "# Recorded with `gptkit run --record` against gptkit.testing's fake OpenAI server\n"
            "# (no real API was reachable where it was made); the answers are scripted.\n"
            if fake
            else "# Recorded with `gptkit run --record`.\n"
        )
        _write_yaml(path, document, note)


class Replayer:
    """Answers model calls from a cassette, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document = load_cassette(path)
        self.exchanges: list[dict[str, Any]] = self.document["exchanges"]
        self.position = 0

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        index = self.position
        if index >= len(self.exchanges):
            raise CassetteError(
                f"{self.path}: the run asks for model call {index + 1}, but the cassette holds "
                f"only {len(self.exchanges)}. Record it again with --record."
            )
        recorded = self.exchanges[index]
        request = recorded.get("request") or {}
        if request.get("path") != path:
            raise CassetteError(
                f"{self.path}: call {index + 1} was recorded for {request.get('path')}, this run "
                f"sends {path} (model.api changed?). Record it again with --record."
            )
        want, got = conversation(request.get("body") or {}), conversation(body)
        if want != got:
            raise CassetteError(
                f"{self.path}: call {index + 1} holds no answer for this conversation: "
                f"{_difference(want, got)}. Record it again with --record."
            )
        self.position += 1
        response = recorded.get("response") or {}
        if "stream" in response:
            return list(response["stream"])
        return response.get("body")

    async def aclose(self) -> None:
        return None


def load_cassette(path: Path) -> dict[str, Any]:
    """Read and check a cassette file; raise CassetteError with every problem."""
    from gptkit.loading import check_cassette

    problems, document = check_cassette(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        lines = "\n".join(p.describe() for p in errors[:10])
        raise CassetteError(f"{path} is not a usable cassette:\n{lines}")
    return document


def conversation(body: dict[str, Any]) -> list[tuple[str, str]]:
    """What must match for a recorded answer to fit: the user's messages and the tool calls.

    The system prompt is left out on purpose: it holds the clock (``now``) and may change
    wording without changing the conversation.
    """
    found: list[tuple[str, str]] = []
    for item in body.get("messages") or body.get("input") or ():
        if not isinstance(item, dict):
            continue
        if item.get("role") == "user":
            found.append(("user", _content(item.get("content"))))
        for call in item.get("tool_calls") or ():
            function = call.get("function") or {}
            found.append(("call", f"{function.get('name')}({function.get('arguments')})"))
        if item.get("type") == "function_call":
            found.append(("call", f"{item.get('name')}({item.get('arguments')})"))
    return found


def _difference(want: list[tuple[str, str]], got: list[tuple[str, str]]) -> str:
    for i in range(max(len(want), len(got))):
        a = want[i] if i < len(want) else None
        b = got[i] if i < len(got) else None
        if a != b:
            recorded = f"{a[0]} {_short(a[1], b[1] if b else '')}" if a else "nothing"
            sent = f"{b[0]} {_short(b[1], a[1] if a else '')}" if b else "nothing"
            return f"recorded {recorded}, this run sends {sent}"
    return "the conversation differs"


def _short(text: str, other: str = "") -> str:
    """``text`` as ``repr`` (a newline or a space of difference shows), long text cut to where
    it first differs from ``other``."""
    if len(text) <= 60:
        return repr(text)
    differs = 0
    while differs < min(len(text), len(other)) and text[differs] == other[differs]:
        differs += 1
    start = max(0, min(differs - 20, len(text) - 57))
    end = start + 57
    return ("..." if start else "") + repr(text[start:end]) + ("..." if end < len(text) else "")


def _content(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p.get("text", "") for p in value if isinstance(p, dict))
    return ""


def _scrub(value: Any, secrets: Iterable[str]) -> Any:
    """A deep copy with every secret value replaced by ``***``."""
    secrets = tuple(secrets)
    if not secrets:
        return json.loads(json.dumps(value))
    return json.loads(redact(json.dumps(value, ensure_ascii=False), secrets))


async def _tee(reply: Any, events: list[Any], secrets: Iterable[str]) -> Any:
    async for event in reply:
        events.append(_scrub(event, secrets))
        yield event


def _from_fake_server(response: dict[str, Any]) -> bool:
    """Whether a recorded reply carries the fake server's fingerprint (a body, a chunk, or
    the ``response`` object of a Responses event)."""
    for part in [response.get("body"), *(response.get("stream") or ())]:
        if isinstance(part, dict):
            inner = part.get("response")
            for candidate in (part, inner if isinstance(inner, dict) else {}):
                if candidate.get("system_fingerprint") == FAKE_SERVER_FINGERPRINT:
                    return True
    return False


def _write_yaml(path: Path, document: dict[str, Any], note: str) -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 1 << 30  # no folding: ruamel can fold a double-quoted line inside an escape
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(_schema_line(path) + note)
        yaml.dump(document, handle)
    tmp.replace(path)


def _schema_line(path: Path) -> str:
    """The editor line, when a ``schemas/cassette.schema.json`` sits in a folder above."""
    import os

    folder = path.resolve().parent
    for parent in (folder, *folder.parents):
        schema = parent / "schemas" / "cassette.schema.json"
        if schema.is_file():
            relative = os.path.relpath(schema, folder).replace(os.sep, "/")
            return f"# yaml-language-server: $schema={relative}\n"
    return ""
