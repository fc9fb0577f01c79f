"""Replaying a case's cassette strictly, and saying exactly what changed when it does not fit.

:class:`CaseReplay` is a transport (:mod:`gptkit.runtime.transport`) for ``gptkit test``: each
model call must be the recorded one, compared as a transcript (the system prompt with its clock
masked, the tools offered, the user's messages, the tool calls and the tool results, the
assistant's answers). When it is not, :class:`CassetteMismatch` carries a unified diff of the
recorded request against this run's, which is what a person reads to see why a case needs
recording again (an edited prompt, a tool that returns something else, a changed message).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gptkit.config.paths import temporary_sibling
from gptkit.errors import GptkitError
from gptkit.providers.cassette import load_cassette, same_prompt, system_prompt, without_clock
from gptkit.providers.errors import redact
from gptkit.runtime.transport import Network, Record

if TYPE_CHECKING:
    from gptkit.providers.client import Endpoint, Transport


class CassetteMismatch(GptkitError):
    """The run asks the cassette for a call it does not hold; ``diff`` says what changed."""

    def __init__(self, summary: str, diff: str = "") -> None:
        super().__init__(summary + (f"\n{diff}" if diff else ""))
        self.summary = summary
        self.diff = diff


class CaseReplay(Network):
    """Answer a case's model calls from its cassette, each only for the recorded request."""

    cassette: str | None = "replay"  # as gptkit.runtime.transport.Replay: no embeddings call goes out

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document = load_cassette(path)  # CassetteError: the file is not a usable cassette
        self.replayer: _Replayer | None = None

    def connect(self, endpoint: Endpoint, secrets: Iterable[str]) -> Transport:
        self.replayer = _Replayer(self.path, self.document["exchanges"], tuple(secrets))
        return self.replayer


class CaseRecord(Record):
    """Record a case's cassette (``gptkit test --record``); the header says so."""

    def finish(self, *, assistant: str, api: str, base_url: str, **header: Any) -> None:
        if self._recorder is None:
            return
        self._recorder.save(self.path, assistant=assistant, api=api, base_url=base_url)
        text = self.path.read_text(encoding="utf-8")
        # through a temporary file: Ctrl-C or a full disk midway leaves the cassette whole
        tmp = temporary_sibling(self.path)
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                handle.write(text.replace("`gptkit run --record`", "`gptkit test --record`", 1))
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)


class _Replayer:
    def __init__(self, path: Path, exchanges: list[dict[str, Any]], secrets: tuple[str, ...]) -> None:
        self.path = path
        self.exchanges = exchanges
        self.secrets = secrets
        self.position = 0

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        index = self.position
        if self.secrets:  # the recording holds *** where a secret was
            body = json.loads(redact(json.dumps(body, ensure_ascii=False), self.secrets))
        if index >= len(self.exchanges):
            raise CassetteMismatch(
                f"this run makes model call {index + 1}, and the cassette holds only "
                f"{len(self.exchanges)}; the request of call {index + 1} ends:",
                "\n".join("+ " + line for line in transcript(body)[-6:]),
            )
        request = self.exchanges[index].get("request") or {}
        if request.get("path") != path:
            raise CassetteMismatch(
                f"model call {index + 1} was recorded for {request.get('path')}, this run sends "
                f"{path} (model.api changed?)"
            )
        recorded = transcript(request.get("body") or {})
        sent = transcript(body, like=request.get("body") or {})
        if recorded != sent:
            raise CassetteMismatch(
                f"model call {index + 1} is not the recorded one (- recorded, + this run):",
                request_diff(recorded, sent),
            )
        self.position += 1
        response = self.exchanges[index].get("response") or {}
        if "stream" in response:
            return list(response["stream"])
        return response.get("body")

    async def aclose(self) -> None:
        return None


def request_diff(recorded: list[str], sent: list[str]) -> str:
    """A unified diff of two transcripts, without its file header."""
    lines = list(difflib.unified_diff(recorded, sent, lineterm="", n=2))
    return "\n".join(line for line in lines[2:])


def transcript(body: dict[str, Any], like: dict[str, Any] | None = None) -> list[str]:
    """A request body as lines a person reads and a diff can compare.

    The system prompt is shown with dates and times masked; when ``like`` (the recorded body)
    has a prompt that matches this one (its ``***`` standing for a redacted secret), the
    recorded prompt's text is used, so only real changes show.
    """
    lines: list[str] = []
    prompt = system_prompt(body)
    if prompt is not None:
        recorded = system_prompt(like) if like is not None else None
        if recorded is not None and same_prompt(recorded, prompt):
            prompt = recorded
        lines.append("system prompt:")
        lines += _block(without_clock(prompt))
    names = sorted(_tool_names(body))
    if names:
        lines.append("tools offered: " + ", ".join(names))
    calls: dict[str, str] = {}
    for item in body.get("messages") or body.get("input") or ():
        if not isinstance(item, dict):
            continue
        role, kind = item.get("role"), item.get("type")
        if role in ("system", "developer"):
            continue
        if role == "user":
            lines.append("user:")
            lines += _block(_content(item.get("content")))
        elif role == "assistant":
            text = _content(item.get("content"))
            if text:
                lines.append("assistant:")
                lines += _block(text)
            for call in item.get("tool_calls") or ():
                function = call.get("function") or {}
                calls[str(call.get("id"))] = str(function.get("name"))
                lines.append(f"tool call: {function.get('name')}({function.get('arguments')})")
        elif role == "tool":
            name = item.get("name") or calls.get(str(item.get("tool_call_id")), "?")
            lines.append(f"tool result of {name}:")
            lines += _block(without_clock(_content(item.get("content"))))
        elif kind == "function_call":
            calls[str(item.get("call_id"))] = str(item.get("name"))
            lines.append(f"tool call: {item.get('name')}({item.get('arguments')})")
        elif kind == "function_call_output":
            name = calls.get(str(item.get("call_id")), "?")
            lines.append(f"tool result of {name}:")
            lines += _block(without_clock(_content(item.get("output"))))
    return lines


def _tool_names(body: dict[str, Any]) -> list[str]:
    names = []
    for tool in body.get("tools") or ():
        if isinstance(tool, dict):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else tool.get("name")
            if isinstance(name, str):
                names.append(name)
    return names


def _block(text: str) -> list[str]:
    return ["  | " + line for line in (text.splitlines() or [""])]


def _content(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(str(p.get("text", "")) for p in value if isinstance(p, dict))
    return "" if value is None else json.dumps(value, ensure_ascii=False)
