"""Cassettes: every model exchange of a run, written by ``--record`` and answered by ``--replay``.

A cassette is YAML (``*.cassette.yaml``, schema ``schemas/cassette.schema.json``): a header (which
assistant, which server, when, by which gptkit) and the exchanges in order, each the request body
as sent (secrets redacted) and the reply as received (a JSON body, or a stream's events).

Replay answers the run's model calls in order, without any network or key. It fails clearly when
the run asks for something the cassette does not hold: more calls than were recorded, another API,
another conversation (the user's messages and tool calls differ from the recorded ones), or another
system prompt. The prompt is compared without the clock: dates, times, weekday names and time-zone
names (``now``) may differ, and a ``***`` in the recorded prompt (a redacted secret) stands for any
text; any other change (the instructions, a variable, the persona) is a mismatch. Tools, templates
and memory run for real in both modes.

The header's comment says how to replay the cassette: the command with its message and ``--var``s.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shlex
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gptkit.config.paths import temporary_sibling
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

    def save(
        self,
        path: Path,
        *,
        assistant: str,
        api: str,
        base_url: str,
        source: Path | None = None,
        variables: Mapping[str, Any] | None = None,
        declared: Mapping[str, Any] | None = None,
    ) -> None:
        """Write the cassette; the header says when the server was gptkit's fake one, and, given
        the assistant file ``source``, the command that replays it (the run's message and the
        ``variables`` that differ from their ``declared`` defaults)."""
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
        message = _turn_message(self.exchanges)
        if source is not None and message is not None:
            command = replay_command(source, path, message, variables or {}, declared or {})
            turns = _turns(self.exchanges)
            if turns > 1:
                note += (f"# It holds {turns} turns of one conversation; this command replays the"
                         " first, the Python API (replay=) all of them:\n")
            else:
                note += "# Replay it with:\n"
            note += f"#   {command}\n"
        _write_yaml(path, document, note)


def replay_command(
    source: Path,
    cassette: Path,
    message: str,
    variables: Mapping[str, Any],
    declared: Mapping[str, Any],
) -> str:
    """The one-line shell command that replays ``cassette`` (paths relative to this folder)."""
    words = ["gptkit", "run", _path_word(source), _shell_word(message)]
    for name, value in variables.items():
        variable = declared.get(name)
        if value is None or (variable is not None and value == getattr(variable, "default", None)):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        words += ["--var", _shell_word(f"{name}={text}")]
    words += ["--replay", _path_word(cassette)]
    return " ".join(words)


def _path_word(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        relative = str(path)
    return _shell_word(str(path) if relative.startswith("..") else relative)


def _shell_word(text: str) -> str:
    """``text`` quoted for a POSIX shell on one line: newlines and controls as ``$'\\n'``."""
    if text.isprintable():
        return shlex.quote(text)
    escaped = "".join(
        {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c)
        or (c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
        for c in text
    )
    return f"$'{escaped}'"


def _turns(exchanges: list[dict[str, Any]]) -> int:
    """How many user turns the recorded calls hold (the Python API may record several)."""
    def said(exchange: dict[str, Any]) -> int:
        return sum(kind == "user" for kind, _ in conversation(exchange["request"]["body"]))

    return said(exchanges[-1]) - said(exchanges[0]) + 1


def _turn_message(exchanges: list[dict[str, Any]]) -> str | None:
    """The user's message of the recorded turn: the last one the first request carries."""
    if not exchanges:
        return None
    said = [text for kind, text in conversation(exchanges[0]["request"]["body"]) if kind == "user"]
    return said[-1] if said else None


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
        recorded_prompt, prompt = system_prompt(request.get("body") or {}), system_prompt(body)
        if recorded_prompt is not None and prompt is not None:
            if not same_prompt(recorded_prompt, prompt):
                raise CassetteError(
                    f"{self.path}: call {index + 1} was recorded with another system prompt "
                    f"(dates and times aside): {_prompt_difference(recorded_prompt, prompt)}. "
                    "Give the --var values of the recording (its header says them), or record "
                    "it again with --record."
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
    from gptkit.config.cassette_file import check_cassette

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


def system_prompt(body: dict[str, Any]) -> str | None:
    """The system prompt a request body carries (Chat Completions or Responses), or None."""
    if isinstance(body.get("instructions"), str):
        return str(body["instructions"])
    for item in body.get("messages") or body.get("input") or ():
        if isinstance(item, dict) and item.get("role") in ("system", "developer"):
            return _content(item.get("content"))
    return None


_CLOCK = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b"
)
_STAR = "***"


def without_clock(text: str) -> str:
    """``text`` with what ``now`` renders masked: dates, times, weekdays, time-zone names."""
    text = _CLOCK.sub("<now>", text)
    zones = {name for name in (*time.tzname, "UTC", "GMT") if name}
    return re.sub(r"\b(?:" + "|".join(map(re.escape, sorted(zones))) + r")\b", "<now>", text)


def same_prompt(recorded: str, prompt: str) -> bool:
    """Whether ``prompt`` is the ``recorded`` one, the clock aside, each ``***`` any text."""
    pieces = without_clock(recorded).split(_STAR)
    text = without_clock(prompt)
    if len(pieces) == 1:
        return pieces[0] == text
    first, *middle, last = pieces
    if not text.startswith(first):
        return False
    position = len(first)
    for piece in middle:  # the earliest place of each piece leaves the most room for the rest
        found = text.find(piece, position + 1)
        if found < 0:
            return False
        position = found + len(piece)
    return len(text) - len(last) > position and text.endswith(last)


def _prompt_difference(recorded: str, prompt: str) -> str:
    """The first line where the prompts differ, each shown with its invisible characters."""
    want, got = without_clock(recorded).splitlines(), without_clock(prompt).splitlines()
    for number in range(max(len(want), len(got))):
        a = want[number] if number < len(want) else None
        b = got[number] if number < len(got) else None
        if a != b and not (a is not None and b is not None and same_prompt(a, b)):
            shown_a = _line(a) if a is not None else "nothing"
            shown_b = _line(b) if b is not None else "nothing"
            return f"line {number + 1} was {shown_a}, this run sends {shown_b}"
    return "the prompts differ in their line endings"


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


def _line(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


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
    tmp = temporary_sibling(path)
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(_schema_line(path) + note)
            yaml.dump(document, handle)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


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
