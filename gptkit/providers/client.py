"""The provider: one model call over the official ``openai`` package's async client.

Request bodies are built by gptkit (:mod:`gptkit.providers.chat`, :mod:`gptkit.providers.responses`)
and sent through the client's documented low-level path, ``client.post(path, body=...)``: auth,
base URL, retries (``max_retries``, honouring retry-after), timeouts, error classes and SSE parsing
stay the openai package's, while the per-request cost stays that of serialising JSON (the typed
``create()`` methods walk the whole request first, which grows with the conversation).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gptkit.errors import ProviderError, SetupError, UsageError
from gptkit.providers import chat, responses
from gptkit.providers.base import Completion, Request, StreamError
from gptkit.providers.errors import deadline, explain, redact

OPENAI_URL = "https://api.openai.com/v1"

ATTEMPTS: contextvars.ContextVar[list[int]] = contextvars.ContextVar("gptkit_attempts")
"""HTTP requests made for the model call in progress (a one-item list the client counts in)."""


class Transport(Protocol):
    """Sends one request body; returns the reply (a dict) or the stream's events."""

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any: ...

    async def aclose(self) -> None: ...


@dataclass
class Endpoint:
    """Where and how to reach the model API, resolved from the file and the environment."""

    base_url: str
    key_env: str
    api_key: str | None
    organization: str | None = None
    timeout_s: float = 60
    max_retries: int = 2

    @property
    def is_openai(self) -> bool:
        return self.base_url.rstrip("/") == OPENAI_URL

    @classmethod
    def from_settings(cls, settings: Any, environ: dict[str, str] | None = None,
                      base_url: str | None = None) -> Endpoint:
        """The endpoint for ``settings``: ``base_url`` (given to the session), else the file's
        ``model.base_url``, else ``OPENAI_BASE_URL``, else OpenAI. A value that is not an
        http(s) URL with a host and a valid port raises: SetupError for the environment
        variable (exit 2), UsageError for the others (exit 1)."""
        env = os.environ if environ is None else environ
        if base_url:
            url = check_base_url(base_url, "the base_url given to the session", UsageError)
        elif settings.base_url:
            url = check_base_url(settings.base_url, "model.base_url in the assistant file",
                                 UsageError)
        elif env.get("OPENAI_BASE_URL"):
            url = check_base_url(env["OPENAI_BASE_URL"], "the environment variable "
                                 "OPENAI_BASE_URL", SetupError)
        else:
            url = OPENAI_URL
        org = env.get(settings.organization_env) if settings.organization_env else None
        return cls(url.rstrip("/"), settings.api_key_env, env.get(settings.api_key_env) or None,
                   org, settings.timeout_s, settings.max_retries)


def check_base_url(url: str, where: str, error: type[Exception]) -> str:
    """``url`` when it is a usable http(s) base URL; else ``error`` saying what is wrong."""
    from gptkit.config.urls import url_problem

    value = url.strip()
    problem = url_problem(value)
    if problem is not None:
        message, fix = problem
        raise error(f"{where} ({value!r}) is not a usable base URL: {message}; {fix}.")
    return value.rstrip("/")


class BodyEncoder:
    """Request bodies as JSON bytes, each conversation item encoded once.

    The items of ``messages`` / ``input`` come from the wire caches and keep their identity
    from one request to the next, so a long conversation costs joining its cached pieces, not
    encoding all of it again on every call.
    """

    LIMIT = 16384

    def __init__(self) -> None:
        self.pieces: dict[int, tuple[Any, bytes]] = {}

    def __call__(self, body: dict[str, Any]) -> bytes:
        key = "messages" if "messages" in body else "input" if "input" in body else None
        items = body.get(key) if key else None
        if not isinstance(items, list) or not items:
            return _dumps(body)
        head = _dumps({**body, key: []})
        # The first '"KEY":[]' is the list's own: any earlier one would be inside a string,
        # where JSON escapes the quotes.
        marker = b'"' + key.encode() + b'":[]'  # type: ignore[union-attr]
        cut = head.index(marker) + len(marker) - 1
        return head[:cut] + b",".join(map(self._piece, items)) + head[cut:]

    def _piece(self, item: Any) -> bytes:
        found = self.pieces.get(id(item))
        if found is None or found[0] is not item:
            if len(self.pieces) >= self.LIMIT:
                self.pieces.clear()
            found = (item, _dumps(item))
            self.pieces[id(item)] = found
        return found[1]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class OpenAITransport:
    """The real thing: ``AsyncOpenAI.post`` with the file's timeout and retries.

    Redirects are not followed (a 3xx is an error that names where it pointed): the request
    carries the conversation, and a redirect could send it to another server. Streamed replies
    are read by :mod:`gptkit.providers.sse`, to the end of the body. Each request the client
    makes is counted in :data:`ATTEMPTS`, so a failure can say how many retries really happened.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        import openai
        from openai import AsyncStream

        from gptkit.providers.pool import cheaper_idle_checks

        key = endpoint.api_key
        if key is None:
            if endpoint.is_openai:
                raise ProviderError(
                    f"{endpoint.key_env} is not set: export your API key in it, or name another "
                    "variable in model.api_key_env."
                )
            key = "not-needed"  # local OpenAI-compatible servers often need none

        class Client(openai.AsyncOpenAI):
            async def _prepare_request(self, request: Any) -> None:  # the documented hook
                counter = ATTEMPTS.get(None)
                if counter is not None:
                    counter[0] += 1

        class Raw(AsyncStream[object]):
            """The streamed response, not read: :func:`gptkit.providers.sse.events` reads it."""

        self.client = Client(
            api_key=key,
            organization=endpoint.organization,
            base_url=endpoint.base_url,
            timeout=endpoint.timeout_s,
            max_retries=endpoint.max_retries,
        )
        # the httpx client openai made; its pool's idle checks, made cheap (gptkit.providers.pool)
        cheaper_idle_checks(getattr(self.client, "_client", None))
        self._stream_cls = Raw
        self._encode = BodyEncoder()

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        from gptkit.providers import sse

        # bytes go out as they are (the client sets Content-Type: application/json)
        reply = await self.client.post(
            path, content=self._encode(body), cast_to=object, stream=stream,
            stream_cls=self._stream_cls, options={"follow_redirects": False},
        )
        if isinstance(reply, self._stream_cls):
            response = reply.response
            kind = response.headers.get("content-type", "")
            if "text/event-stream" in kind:
                return sse.events(response)
            data = await response.aread()  # a server that answers a stream with something else
            await response.aclose()
            if not data.strip():
                raise StreamError("the reply to a streamed request is empty")
            try:
                return json.loads(data)  # a whole reply, as servers without streaming send
            except ValueError:
                raise StreamError(f"the reply to a streamed request is not an event stream "
                                  f"({kind or 'no content type'}: {data[:60]!r})") from None
        if isinstance(reply, str) and not reply.strip():
            raise StreamError("the reply is empty")
        return reply

    async def aclose(self) -> None:
        await self.client.close()


class LazyTransport:
    """Connects on the first send, so rendering needs no key (nor a cassette)."""

    def __init__(self, connect: Callable[[], Transport]) -> None:
        self.connect = connect
        self.inner: Transport | None = None

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        if self.inner is None:
            self.inner = self.connect()
        return await self.inner.send(path, body, stream)

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()


@dataclass
class Provider:
    """Makes model calls for one assistant: builds the body, sends it, reads the reply."""

    endpoint: Endpoint
    api: str  # "chat" | "responses"
    transport: Transport
    secrets: Iterable[str] = ()
    last_body: dict[str, Any] | None = field(default=None, repr=False)

    def body(self, request: Request) -> dict[str, Any]:
        """The exact request body for ``request`` (what ``gptkit render --format json`` prints)."""
        request.openai_default = self.endpoint.is_openai
        return _wire(self.api).build_body(request)

    async def complete(self, request: Request, on_text: Callable[[str], None] | None = None
                       ) -> Completion:
        """One model call; streamed text goes to ``on_text`` as it arrives.

        ``model.timeout_s`` bounds the whole call: the request, its retries and the whole
        streamed answer, so a server that trickles (keep-alives, a byte at a time) cannot hold
        a run. Raises ProviderError (redacted) for every failure, a cut stream included.
        """
        wire = _wire(self.api)
        body = self.body(request)
        self.last_body = body
        attempts = [0]
        token = ATTEMPTS.set(attempts)
        state = {"streaming": False}
        try:
            return await asyncio.wait_for(self._call(wire, body, request, on_text, state),
                                          self.endpoint.timeout_s)
        except asyncio.TimeoutError:  # the deadline (TimeoutError itself from Python 3.11)
            error = deadline(self.endpoint.base_url, self.endpoint.timeout_s, state["streaming"],
                             max(attempts[0] - 1, 0))
            raise ProviderError(redact(str(error), self.secrets)) from None
        except ProviderError as exc:
            raise ProviderError(redact(str(exc), self.secrets)) from None
        except Exception as exc:
            if not _is_api_failure(exc):
                raise
            error = explain(exc, base_url=self.endpoint.base_url, api=self.api,
                            model=request.model, key_env=self.endpoint.key_env,
                            retries=max(attempts[0] - 1, 0), timeout_s=self.endpoint.timeout_s,
                            streaming=state["streaming"])
            raise ProviderError(redact(str(error), self.secrets)) from None
        finally:
            ATTEMPTS.reset(token)

    async def _call(self, wire: _WireFormat, body: dict[str, Any], request: Request,
                    on_text: Callable[[str], None] | None, state: dict[str, bool]) -> Completion:
        try:
            reply = await self.transport.send(wire.PATH, body, request.stream)
        except ValueError as exc:  # a 200 whose body is not JSON (or not UTF-8)
            raise StreamError(f"the reply is not JSON ({exc})") from None
        if isinstance(reply, dict) or not (request.stream or isinstance(reply, list)):
            if not isinstance(reply, dict):
                raise StreamError(f"the reply is not a JSON object (got {_shown(reply)})")
            completion = wire.parse(reply)
            if on_text and completion.text:
                on_text(completion.text)
            return completion
        state["streaming"] = True
        accumulator = wire.Accumulator()
        events = _events(reply)
        try:
            async for event in events:
                text = accumulator.feed(event)
                if text and on_text:
                    on_text(text)
        finally:
            await events.aclose()
        return accumulator.result()

    async def aclose(self) -> None:
        await self.transport.aclose()


class _Accumulator(Protocol):
    def feed(self, event: Any) -> str: ...
    def result(self) -> Completion: ...


class _WireFormat(Protocol):
    """What chat.py and responses.py each offer: one wire format of the model API."""

    PATH: str

    def build_body(self, request: Request) -> dict[str, Any]: ...
    def parse(self, data: Any) -> Completion: ...
    def Accumulator(self) -> _Accumulator: ...  # noqa: N802 (the class in each module)


def _wire(api: str) -> _WireFormat:
    module: Any = responses if api == "responses" else chat  # modules meet the protocol
    return module  # type: ignore[no-any-return]


async def _events(reply: Any) -> AsyncGenerator[Any, None]:
    """The stream's events; closing this closes the stream (and so its response)."""
    if not hasattr(reply, "__aiter__"):
        for event in reply:  # a replayed stream: a list
            yield event
        return
    try:
        async for event in reply:
            yield event
    finally:
        close = getattr(reply, "aclose", None)
        if close is not None:
            await close()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_api_failure(exc: BaseException) -> bool:
    if isinstance(exc, StreamError):
        return True
    import openai

    return isinstance(exc, openai.OpenAIError)
