"""What the fake server answers: replies, the scripted model, and the request it reads.

A *reply* is one answer to one request, whatever the API (Chat Completions or Responses) and
whether the client asked for a stream; the server renders it in the wire format the request
needs. Build replies with the small functions below:

==========================================  =====================================================
``text("Sunny.")``                          an assistant message
``json_answer({"ok": True})``               an assistant message whose text is JSON
``text("...", finish="length")``            an answer cut at the output-token limit
``refusal("I can't help with that.")``      the model refuses
``tool_calls(call("f", {"a": 1}), ...)``    one or more (parallel) function calls
``status(429, headers={...})``              an HTTP error with an OpenAI-style error body
``delay(2.0, then=text("late"))``           sleep, then answer (to trigger client timeouts)
``cut(then=text("..."), after=3)``          start answering, then drop the connection
``raw("not json")``                         a body sent exactly as given (malformed replies)
``trickle(every=1.0)``                      hold the connection: keep-alives, or a byte a second
==========================================  =====================================================

A :class:`ScriptedModel` hands them out in order (or asks a function for each one)::

    model = ScriptedModel([tool_calls(call("get_weather", {"city": "Porto"})), text("Sunny.")])
    model = ScriptedModel(lambda request: text(f"you said {request.last_user_text()}"))

The built-in modes :func:`echo` and :func:`tool_round` are such functions. Every function here
uses only the standard library.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from gptkit.testing.request import RecordedRequest, ToolResult

__all__ = [
    "Answer", "Call", "Cut", "Delay", "Raw", "RecordedRequest", "Reply", "ScriptedModel",
    "Status", "ToolResult", "Trickle", "call", "cut", "delay", "echo", "json_answer", "raw",
    "refusal", "status", "text", "tool_calls", "tool_round", "trickle",
]

Usage = tuple[int, int]
"""``(input_tokens, output_tokens)``."""

_call_ids = itertools.count(1)


# --------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------

class Reply:
    """Base class of everything a script can answer with."""

    __slots__ = ()


@dataclass(frozen=True)
class Call:
    """One function call in an answer. ``arguments`` is the raw JSON text sent (maybe invalid)."""

    name: str
    arguments: str
    id: str


@dataclass(frozen=True)
class Answer(Reply):
    """A successful answer: text, function calls, or both. ``usage`` is ``(input, output)``;
    ``finish`` overrides the finish reason (``"length"``, ``"content_filter"``); ``refusal``
    is the model's refusal text."""

    text: str | None = None
    calls: tuple[Call, ...] = ()
    usage: Usage | None = None
    finish: str | None = None
    refusal: str | None = None


@dataclass(frozen=True)
class Status(Reply):
    """An HTTP error answer with body ``{"error": {"message", "type", "code", "param"}}``."""

    code: int
    message: str
    error_type: str
    error_code: str | None
    headers: tuple[tuple[str, str], ...] = ()
    echo_auth: bool = False


@dataclass(frozen=True)
class Delay(Reply):
    """Sleep ``seconds`` before sending ``then``."""

    seconds: float
    then: Reply


@dataclass(frozen=True)
class Cut(Reply):
    """Send the start of ``then`` and drop the connection (see :func:`cut`)."""

    then: Reply
    after: int


@dataclass(frozen=True)
class Stall(Reply):
    """Stream the start of ``then``, pause, then the rest (see :func:`stall`)."""

    then: Reply
    after: int
    seconds: float


@dataclass(frozen=True)
class Raw(Reply):
    """Send ``body`` as it is, with ``code`` and ``content_type`` (see :func:`raw`)."""

    body: bytes
    code: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Trickle(Reply):
    """Keep the answer coming slowly, forever or a byte at a time (see :func:`trickle`)."""

    then: Reply
    every: float
    keepalive: bool


def call(name: str, arguments: dict[str, Any] | str | None = None, *, id: str | None = None) -> Call:
    """A function call to put in :func:`tool_calls`.

    ``arguments`` is a dict (sent as compact JSON) or a raw string sent as is, so a test can send
    invalid JSON such as ``'{"city": '``. ``id`` defaults to a fresh ``call_fake_N``.
    """
    if arguments is None:
        arguments = {}
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"))
    return Call(name, raw, id if id is not None else f"call_fake_{next(_call_ids)}")


def text(content: str, *, usage: Usage | None = None, finish: str | None = None) -> Answer:
    """An assistant message with ``content``.

    ``usage`` is ``(input_tokens, output_tokens)``; by default the server reports about one token
    per four characters of the request and of the answer. ``finish="length"`` marks the answer
    as cut at the output-token limit (a Responses API answer is then ``incomplete``),
    ``finish="content_filter"`` as stopped by a filter.
    """
    return Answer(text=content, usage=usage, finish=finish)


def refusal(content: str, *, usage: Usage | None = None) -> Answer:
    """The model refuses: ``message.refusal`` (Chat Completions) or a ``refusal`` content part
    (Responses API), with no answer text."""
    return Answer(usage=usage, refusal=content)


def json_answer(obj: Any, *, usage: Usage | None = None) -> Answer:
    """An assistant message whose text is ``obj`` as JSON (for structured-output tests)."""
    return Answer(text=json.dumps(obj), usage=usage)


def tool_calls(*calls: Call, text: str | None = None, usage: Usage | None = None) -> Answer:
    """An answer asking for the given calls; several calls are parallel calls in one answer.

    ``text`` optionally adds assistant text beside the calls.
    """
    if not calls:
        raise ValueError("tool_calls() needs at least one call(...)")
    return Answer(text=text, calls=tuple(calls), usage=usage)


_ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout", None),
    409: ("conflict", None),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}
_DEFAULT_MESSAGES = {
    400: "Bad request (fake server).",
    401: "Incorrect API key provided.",
    403: "You are not allowed to use this model (fake server).",
    404: "The model does not exist or you do not have access to it (fake server).",
    408: "Request timed out (fake server).",
    409: "Conflict (fake server).",
    429: "Rate limit reached (fake server). Please try again later.",
}


def status(code: int, message: str | None = None, *, headers: dict[str, str] | None = None,
           echo_auth: bool = False, error_type: str | None = None,
           error_code: str | None | Literal[False] = False) -> Status:
    """An HTTP error ``code`` with an OpenAI-style JSON error body.

    ``headers`` are added to the answer, e.g. ``{"retry-after": "0"}`` or
    ``{"retry-after-ms": "10"}`` (the openai client honours both; ``0`` means its own short
    backoff). With ``echo_auth=True`` the message ends with the request's ``Authorization``
    header value, as some servers do, to test that a client redacts its key in errors.
    ``error_type`` / ``error_code`` override the body's ``type`` and ``code`` (``error_code=None``
    sends ``"code": null``); by default they follow OpenAI's for that status (401:
    ``invalid_api_key``, 404: ``model_not_found``, 429: ``rate_limit_exceeded``, ...).
    """
    kind, default_code = _ERROR_KINDS.get(code, ("server_error" if code >= 500 else
                                                 "invalid_request_error", None))
    if message is None:
        message = _DEFAULT_MESSAGES.get(code, f"Error {code} (fake server).")
    return Status(code, message, error_type or kind,
                  default_code if error_code is False else error_code,
                  tuple((headers or {}).items()), echo_auth)


def delay(seconds: float, then: Reply | str = "ok") -> Delay:
    """Wait ``seconds`` before sending ``then`` (a reply, or a string meaning ``text(...)``).

    The wait ends early when the server closes, so a test whose client timed out does not wait.
    """
    return Delay(float(seconds), as_reply(then))


def cut(then: Reply | str = "this answer is cut short", after: int = 2) -> Cut:
    """Start sending ``then`` and drop the connection part-way.

    For a streamed request: the first ``after`` SSE events of ``then`` are sent, then the
    connection closes without ending the chunked body (no ``[DONE]``, no ``response.completed``).
    For a non-streamed request: the headers (with the full ``Content-Length``) and half the body
    are sent, then the connection closes. ``then`` must be an answer (text or tool calls).
    """
    then = as_reply(then)
    if not isinstance(then, Answer):
        raise TypeError("cut(then=...) needs text(...), json_answer(...) or tool_calls(...)")
    return Cut(then, max(0, int(after)))


def stall(then: Reply | str = "this answer takes a while", *, after: int = 3,
          seconds: float = 30) -> Stall:
    """Stream the first ``after`` SSE events of ``then``, wait ``seconds``, then the rest.

    For testing what happens mid-answer (a person pressing Ctrl-C while text streams). The wait
    ends early when the server closes. Non-streamed requests get ``then`` after the wait.
    """
    then = as_reply(then)
    if not isinstance(then, Answer):
        raise TypeError("stall(then=...) needs text(...), json_answer(...) or tool_calls(...)")
    return Stall(then, max(0, int(after)), float(seconds))


def raw(body: bytes | str, *, code: int = 200, content_type: str = "application/json") -> Raw:
    """Answer with ``body`` exactly (a malformed reply: ``raw("")``, ``raw("<html>")``,
    ``raw('{"choices": [{"message": {"content": 5}}]}')``), streamed request or not."""
    return Raw(body.encode() if isinstance(body, str) else bytes(body), int(code), content_type)


def trickle(then: Reply | str = "this answer never ends", *, every: float = 1.0,
            keepalive: bool = True) -> Trickle:
    """A server that holds the connection without finishing.

    With ``keepalive`` (the default) it never answers: a streamed request gets an SSE comment
    (``: keep-alive``) every ``every`` seconds, a non-streamed one a space (JSON allows leading
    whitespace) in a chunked body. With ``keepalive=False`` it sends ``then``, rendered as the
    request needs, one byte every ``every`` seconds. Either ends when the server closes or the
    client goes away.
    """
    then = as_reply(then)
    if not isinstance(then, Answer):
        raise TypeError("trickle(then=...) needs text(...), json_answer(...) or tool_calls(...)")
    return Trickle(then, float(every), bool(keepalive))


def as_reply(value: Reply | str) -> Reply:
    """``value`` as a reply: replies pass through, a string becomes :func:`text`."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return text(value)
    raise TypeError(f"a script reply must be text(...), tool_calls(...), status(...), delay(...), "
                    f"cut(...) or a string, not {type(value).__name__}: {value!r}")


# --------------------------------------------------------------------------------------------
# The scripted model and the built-in modes
# --------------------------------------------------------------------------------------------

ReplyFunction = Callable[[RecordedRequest], Reply | str]


class ScriptedModel:
    """Answers each model request with the next reply of a script.

    ``ScriptedModel([text("a"), text("b")])`` answers the first request with ``a``, the second
    with ``b`` (whatever the API, streamed or not), and every later one with HTTP 500
    ``fake server: script exhausted after 2 requests`` so a test that makes one call too many
    fails clearly. ``ScriptedModel(function)`` calls ``function(request)`` for each request
    instead; it returns a reply (or a string, meaning :func:`text`) and never runs out.
    Thread-safe.
    """

    def __init__(self, replies: Iterable[Reply | str] | ReplyFunction) -> None:
        self._lock = threading.Lock()
        self._function: ReplyFunction | None = None
        self._replies: list[Reply] = []
        if callable(replies):
            self._function = replies
        else:
            self._replies = [as_reply(reply) for reply in replies]
        self.served = 0
        """How many requests the model has answered."""

    @property
    def remaining(self) -> int | None:
        """Replies not used yet (``None`` for a function)."""
        return None if self._function is not None else len(self._replies) - min(
            self.served, len(self._replies))

    def reply(self, request: RecordedRequest) -> Reply:
        """The reply to ``request``."""
        if self._function is not None:
            with self._lock:
                self.served += 1
            try:
                return as_reply(self._function(request))
            except Exception as exc:  # the test's own function failed: say so in the answer
                return status(500, f"fake server: the script function raised "
                                   f"{type(exc).__name__}: {exc}")
        with self._lock:
            index = self.served
            self.served += 1
        if index < len(self._replies):
            return self._replies[index]
        return status(500, f"fake server: script exhausted after {len(self._replies)} requests")

    def __repr__(self) -> str:
        source = self._function if self._function is not None else self._replies
        return f"ScriptedModel({source!r})"


def echo(request: RecordedRequest) -> Reply:
    """Mode ``echo``: answer ``echo: TEXT`` where TEXT is the last user message."""
    return text(f"echo: {request.last_user_text() or ''}")


def tool_round(request: RecordedRequest) -> Reply:
    """Mode ``tool-round``: one tool round per user message.

    When the request offers tools and ends with the user's message, call the first tool with
    minimal valid arguments built from its JSON schema (the first string property gets the
    user's text, other strings ``"x"``, integers ``1``, numbers ``1.0``, booleans ``true``,
    enums their first value, objects recursively). Otherwise answer ``done``.
    """
    tools = request.tools()
    if not tools or not request.ends_with_user():
        return text("done")
    name, schema = next(iter(tools.items()))
    user_text = [request.last_user_text() or "x"]
    return tool_calls(call(name, _example(schema, schema, user_text)))


def _example(schema: Any, root: Any, user_text: list[str], depth: int = 0) -> Any:
    """A small value valid for ``schema``; ``user_text`` is used once, for the first string."""
    if not isinstance(schema, dict) or depth > 20:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return _example(target, root, user_text, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            options = [s for s in schema[key] if not (isinstance(s, dict) and s.get("type") == "null")]
            return _example((options or schema[key])[0], root, user_text, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        properties = schema.get("properties") or {}
        names = schema["required"] if isinstance(schema.get("required"), list) else list(properties)
        return {name: _example(properties.get(name, {}), root, user_text, depth + 1)
                for name in names}
    if kind == "array":
        count = int(schema.get("minItems", 0) or 0)
        return [_example(schema.get("items", {}), root, user_text, depth + 1) for _ in range(count)]
    if kind == "string":
        value = user_text.pop() if user_text else "x"
        return value * max(1, int(schema.get("minLength", 1) or 1)) if value == "x" else value
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1.0, float(schema.get("minimum", 1.0)))
    if kind == "boolean":
        return True
    return None


MODES: dict[str, ReplyFunction] = {"echo": echo, "tool-round": tool_round}
"""The built-in modes by name, as ``python -m gptkit.testing serve --mode`` accepts them."""
