"""One line per request on stderr: method, path, assistant, conversation, status, duration,
tokens (``--log-format json``: one JSON object a line, for log collectors).

The line is written when the answer is over (a streamed answer included). It holds no query
string, no header and no body, so no key or message text; routes add the assistant, the
conversation and the tokens through :func:`log_info`.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_KEY = "gptkit.log"


def log_info(request: Request) -> dict[str, Any]:
    """The mutable record of this request's log line."""
    info = request.scope.get(_KEY)
    if info is None:
        info = request.scope[_KEY] = {}
    return info


class RequestLog:
    """The logging middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, log_format: str = "text") -> None:
        self.app = app
        self.json = log_format == "json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info: dict[str, Any] = {}
        scope[_KEY] = info
        start = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            self.write(scope, info, status, elapsed)

    def write(self, scope: Scope, info: dict[str, Any], status: int, elapsed_ms: float) -> None:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": scope.get("method", ""),
            "path": _printable(scope.get("path", "")),
            "assistant": info.get("assistant"),
            "conversation": info.get("conversation"),
            "status": status,
            "duration_ms": round(elapsed_ms, 2),
            "input_tokens": info.get("input_tokens"),
            "output_tokens": info.get("output_tokens"),
        }
        if info.get("error"):
            record["error"] = info["error"]
        if self.json:
            line = json.dumps(record)
        else:
            tokens = (
                f"{record['input_tokens']}/{record['output_tokens']}"
                if record["input_tokens"] is not None else "-"
            )
            line = (
                f"{record['time']} {record['method']} {record['path']} "
                f"assistant={record['assistant'] or '-'} "
                f"conversation={record['conversation'] or '-'} status={status} "
                f"{record['duration_ms']:.1f}ms tokens={tokens}"
            )
            if info.get("error"):
                line += f" error={info['error']}"
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed: the request still succeeded
            pass


def _printable(path: str) -> str:
    """The path, at most 200 characters, control characters escaped (no forged log lines)."""
    text = path[:200]
    return "".join(c if c.isprintable() and c != " " else f"%{ord(c):02X}" for c in text)
