"""The request as the fake server recorded it, read the same way for both wire formats.

:class:`RecordedRequest` is what a script function receives and what ``server.requests`` holds.
Only the standard library is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["RecordedRequest", "ToolResult"]


@dataclass(frozen=True)
class ToolResult:
    """A tool result the client sent back: which call it answers and its output text."""

    call_id: str
    output: str


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake server received.

    ``headers`` has lower-case names; ``body`` is the parsed JSON body, or ``None`` when there was
    none (or it was not JSON). The methods read the conversation the same way for both APIs.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def api(self) -> Literal["chat", "responses"] | None:
        """``"chat"`` for ``/v1/chat/completions``, ``"responses"`` for ``/v1/responses``."""
        if self.path.endswith("/chat/completions"):
            return "chat"
        if self.path.endswith("/responses"):
            return "responses"
        return None

    @property
    def model(self) -> str | None:
        """The ``model`` the client asked for."""
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def stream(self) -> bool:
        """Whether the client asked for a streamed (SSE) answer."""
        return isinstance(self.body, dict) and self.body.get("stream") is True

    def items(self) -> list[dict[str, Any]]:
        """The conversation sent, API-neutral, oldest first.

        Each item is ``{"kind": "message", "role": ..., "text": ...}``,
        ``{"kind": "tool_call", "call_id": ..., "name": ..., "arguments": ...}`` or
        ``{"kind": "tool_result", "call_id": ..., "output": ...}``. Responses API
        ``instructions`` come first as a ``system`` message.
        """
        body = self.body if isinstance(self.body, dict) else {}
        items: list[dict[str, Any]] = []
        if self.api == "responses":
            if isinstance(body.get("instructions"), str):
                items.append({"kind": "message", "role": "system", "text": body["instructions"]})
            raw = body.get("input")
            if isinstance(raw, str):
                raw = [{"role": "user", "content": raw}]
            for item in raw if isinstance(raw, list) else []:
                if not isinstance(item, dict):
                    continue
                kind = item.get("type", "message")
                if kind == "function_call":
                    items.append({"kind": "tool_call", "call_id": item.get("call_id"),
                                  "name": item.get("name"), "arguments": item.get("arguments")})
                elif kind == "function_call_output":
                    items.append({"kind": "tool_result", "call_id": item.get("call_id"),
                                  "output": _text_of(item.get("output"))})
                elif kind == "message" and "role" in item:
                    items.append({"kind": "message", "role": item["role"],
                                  "text": _text_of(item.get("content"))})
            return items
        for message in body.get("messages") or []:
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            if role == "tool":
                items.append({"kind": "tool_result", "call_id": message.get("tool_call_id"),
                              "output": _text_of(message.get("content"))})
                continue
            if message.get("content") is not None or not message.get("tool_calls"):
                items.append({"kind": "message", "role": role,
                              "text": _text_of(message.get("content"))})
            for tool_call in message.get("tool_calls") or []:
                function = tool_call.get("function") or {}
                items.append({"kind": "tool_call", "call_id": tool_call.get("id"),
                              "name": function.get("name"), "arguments": function.get("arguments")})
        return items

    def last_user_text(self) -> str | None:
        """The text of the last user message, or ``None`` when there is none."""
        for item in reversed(self.items()):
            if item["kind"] == "message" and item["role"] == "user":
                text = item["text"]
                return text if isinstance(text, str) else None
        return None

    def ends_with_user(self) -> bool:
        """Whether the last item sent is a user message (not a tool result)."""
        items = self.items()
        return bool(items) and items[-1]["kind"] == "message" and items[-1]["role"] == "user"

    def tool_results(self) -> list[ToolResult]:
        """Every tool result in the conversation, oldest first."""
        return [ToolResult(str(item["call_id"]), item["output"])
                for item in self.items() if item["kind"] == "tool_result"]

    def tools(self) -> dict[str, dict[str, Any]]:
        """The function tools offered: name -> JSON schema of the parameters (both APIs)."""
        body = self.body if isinstance(self.body, dict) else {}
        offered: dict[str, dict[str, Any]] = {}
        for tool in body.get("tools") or []:
            if not isinstance(tool, dict) or tool.get("type", "function") != "function":
                continue
            function = tool.get("function")
            spec: dict[str, Any] = function if isinstance(function, dict) else tool
            if isinstance(spec.get("name"), str):
                offered[spec["name"]] = spec.get("parameters") or {"type": "object"}
        return offered

    def tool_names(self) -> list[str]:
        """The names of the function tools offered, in the order sent."""
        return list(self.tools())


def _text_of(content: Any) -> str:
    """The text of a message content: a string, or the joined ``text`` of its parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, dict) and isinstance(part.get("text"), str))
    return str(content)
