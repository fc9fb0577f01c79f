"""The provider: one model call over the official ``openai`` package's async client.

Request bodies are built by gptkit (:mod:`gptkit.providers.chat`, :mod:`gptkit.providers.responses`)
and sent through the client's documented low-level path, ``client.post(path, body=...)``: auth,
base URL, retries (``max_retries``, honouring retry-after), timeouts, error classes and SSE parsing
stay the openai package's, while the per-request cost stays that of serialising JSON (the typed
``create()`` methods walk the whole request first, which grows with the conversation).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gptkit.errors import ProviderError
from gptkit.providers import chat, responses
from gptkit.providers.base import Completion, Request, StreamError
from gptkit.providers.errors import explain, redact

OPENAI_URL = "https://api.openai.com/v1"


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
        env = os.environ if environ is None else environ
        url = base_url or settings.base_url or env.get("OPENAI_BASE_URL") or OPENAI_URL
        org = env.get(settings.organization_env) if settings.organization_env else None
        return cls(url.rstrip("/"), settings.api_key_env, env.get(settings.api_key_env) or None,
                   org, settings.timeout_s, settings.max_retries)


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
    """The real thing: ``AsyncOpenAI.post`` with the file's timeout and retries."""

    def __init__(self, endpoint: Endpoint) -> None:
        import openai
        from openai import AsyncStream

        key = endpoint.api_key
        if key is None:
            if endpoint.is_openai:
                raise ProviderError(
                    f"{endpoint.key_env} is not set: export your API key in it, or name another "
                    "variable in model.api_key_env."
                )
            key = "not-needed"  # local OpenAI-compatible servers often need none
        self.client = openai.AsyncOpenAI(
            api_key=key,
            organization=endpoint.organization,
            base_url=endpoint.base_url,
            timeout=endpoint.timeout_s,
            max_retries=endpoint.max_retries,
        )
        self._stream_cls = AsyncStream[object]
        self._encode = BodyEncoder()

    async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
        # bytes go out as they are (the client sets Content-Type: application/json)
        return await self.client.post(
            path, content=self._encode(body), cast_to=object, stream=stream,
            stream_cls=self._stream_cls,
        )

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

        Raises ProviderError (redacted) for every failure, a cut stream included.
        """
        wire = _wire(self.api)
        body = self.body(request)
        self.last_body = body
        streaming = False
        try:
            reply = await self.transport.send(wire.PATH, body, request.stream)
            if isinstance(reply, dict):
                completion = wire.parse(reply)
                if on_text and completion.text:
                    on_text(completion.text)
                return completion
            streaming = True
            accumulator = wire.Accumulator()
            async for event in _events(reply):
                text = accumulator.feed(event)
                if text and on_text:
                    on_text(text)
            return accumulator.result()
        except ProviderError as exc:
            raise ProviderError(redact(str(exc), self.secrets)) from None
        except Exception as exc:
            if streaming and isinstance(exc, ValueError):  # an event that is not JSON
                exc = StreamError(f"the stream sent something that is not JSON ({exc})")
            elif not _is_api_failure(exc):
                raise
            error = explain(exc, base_url=self.endpoint.base_url, api=self.api,
                            model=request.model, key_env=self.endpoint.key_env,
                            retries=self.endpoint.max_retries, timeout_s=self.endpoint.timeout_s,
                            streaming=streaming)
            raise ProviderError(redact(str(error), self.secrets)) from None

    async def aclose(self) -> None:
        await self.transport.aclose()


def _wire(api: str) -> Any:
    return responses if api == "responses" else chat


async def _events(reply: Any) -> AsyncIterator[Any]:
    if hasattr(reply, "__aiter__"):
        async for event in reply:
            yield event
    else:
        for event in reply:
            yield event


def _is_api_failure(exc: BaseException) -> bool:
    if isinstance(exc, StreamError):
        return True
    import openai

    return isinstance(exc, openai.OpenAIError)
