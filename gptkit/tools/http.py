"""One HTTP call of a network tool: auth, the address policy, caps, retries, and the result text.

Shared by ``type: openapi`` and ``type: http``. Everything the server sends is untrusted:

- the body is read only up to ``limits.max_tool_output_chars`` characters; past that the
  connection is closed, so a huge body is never buffered;
- a JSON or text body goes to the model as text; another type is described, not read; an HTTP
  error (4xx, 5xx) is an error result with the status and the first few hundred characters;
- a redirect is followed only to the same host (and only for GET); to another host it is an error;
- GET is retried on 429 and 5xx (at most :data:`MAX_RETRIES` times), waiting as Retry-After says
  when that is at most :data:`MAX_RETRY_WAIT_S`; any other method is sent exactly once;
- header values with CR or LF are refused; secrets are redacted from everything returned.

httpx is imported when the first call is made, never before.
"""

from __future__ import annotations

import asyncio
import codecs
import copy
import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from gptkit.config.models import Auth, OAuth2Auth
from gptkit.config.secrets import LITERAL_REPLACEMENT, secret_values
from gptkit.tools.auth import Credentials
from gptkit.tools.base import ToolFailure
from gptkit.tools.net import AddressRefused, Policy

MAX_RETRIES = 2
MAX_RETRY_WAIT_S = 10.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
ERROR_BODY_CHARS = 300
DEFAULT_MAX_CHARS = 20000
USER_AGENT = "gptkit-tool"
_TEXT_TYPES = ("json", "xml", "yaml", "javascript", "csv", "x-www-form-urlencoded", "html")


def check_header(name: str, value: str, what: str) -> None:
    """Refuse a header name or value that could split the request (CR, LF or NUL)."""
    if any(c in name or c in value for c in "\r\n\0"):
        raise ToolFailure(f"{what} '{name.strip()[:40]}' holds a line break; it was not sent")


@dataclass
class Request:
    """What to send: ``url`` is absolute and already encoded (path parameters included)."""

    method: str
    url: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    has_body: bool = False
    form: bool = False  # send the body (a mapping) as application/x-www-form-urlencoded


class HttpCaller:
    """Makes one tool's calls; holds its client (keep-alive) and its credentials."""

    def __init__(
        self,
        tool: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Auth | None = None,
        allow_private: bool = False,
        environ: Mapping[str, str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        timeout_s: float = 30,
        resolver: Any = None,
    ) -> None:
        import os

        self.tool = tool
        self.base_url = base_url
        self.host = urlsplit(base_url).hostname or ""
        self.headers = dict(headers or {})
        self.credentials = Credentials(auth, tool, os.environ if environ is None else environ)
        self.policy = Policy(frozenset({self.host}), allow_private, tool, resolver)
        self.max_chars = max_chars
        self.timeout_s = timeout_s
        self._shared: dict[str, Any] = {}  # the client, shared by the copies of :meth:`named`
        self._token_url = auth.token_url if isinstance(auth, OAuth2Auth) else None

    def named(self, tool: str) -> HttpCaller:
        """A caller for another tool of the same API: the same connections and credentials."""
        other = copy.copy(self)
        other.tool = tool
        return other

    @property
    def _client(self) -> Any:
        return self._shared.get("client")

    @property
    def secrets(self) -> set[str]:
        """The secret values this caller has read or fetched so far."""
        return self.credentials.secrets

    def _make_client(self) -> Any:
        from gptkit.tools._httplib import httpx
        from gptkit.tools.net import guarded_transport

        timeout = httpx.Timeout(self.timeout_s)
        self._shared["client"] = httpx.AsyncClient(
            transport=guarded_transport(self.policy),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        if self._token_url is not None:
            token_host = urlsplit(self._token_url).hostname or ""
            token_policy = Policy(
                frozenset({token_host}), self.policy.allow_private, self.tool, self.policy.resolver
            )
            self.credentials.token_client = httpx.AsyncClient(
                transport=guarded_transport(token_policy),
                timeout=timeout,
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the connections (tests and long-lived hosts; a run's process just ends)."""
        for client in (self._shared.pop("client", None), self.credentials.token_client):
            if client is not None:
                await client.aclose()
        self.credentials.token_client = None

    def _redact(self, text: str) -> str:
        secrets = self.secrets
        if not secrets:
            return text
        key = frozenset(secrets)
        if self._shared.get("secrets_key") != key:  # sorted once per set of secrets, not per call
            self._shared["secrets_key"], self._shared["secrets"] = key, secret_values(key)
        for secret in self._shared["secrets"]:
            if secret in text:
                text = text.replace(secret, LITERAL_REPLACEMENT)
        return text

    async def call(self, request: Request) -> str:
        """Send ``request``; return the body for the model, or raise :class:`ToolFailure`."""
        try:
            return self._redact(await self._call(request))
        except ToolFailure as exc:
            raise ToolFailure(self._redact(str(exc))) from None

    async def _call(self, request: Request) -> str:
        for name, value in (*self.headers.items(), *request.headers.items()):
            check_header(name, value, "header")
        if urlsplit(request.url).hostname != self.host:
            raise ToolFailure(f"{self.tool} may call only {self.host}; the URL led elsewhere")
        client = self._client or self._make_client()
        method = request.method.upper()
        retryable = method in ("GET", "HEAD")
        attempt = 0
        refreshed = False
        url = request.url
        redirects = 0
        while True:
            headers = {**self.headers, **request.headers}
            query = list(request.query)
            await self.credentials.apply(headers, query)
            try:
                outcome = await self._send(client, method, url, query, headers, request)
            except AddressRefused as exc:
                raise ToolFailure(str(exc)) from None
            status, response_headers, text = outcome
            if status in (301, 302, 303, 307, 308):
                location = response_headers.get("location", "")
                target = urljoin(url, location)
                if urlsplit(target).hostname != self.host:
                    raise ToolFailure(
                        f"{self.tool}: the server redirected to another host "
                        f"({urlsplit(target).hostname or location[:80]}); the redirect was not "
                        "followed"
                    )
                if not retryable or redirects >= MAX_REDIRECTS:
                    raise ToolFailure(
                        f"{self.tool}: the server answered HTTP {status} (a redirect) to "
                        f"{method}; it was not followed"
                    )
                redirects += 1
                url, request = target, Request(method, target, [], request.headers)
                continue
            if (
                status == 401
                and retryable
                and not refreshed
                and isinstance(self.credentials.auth, OAuth2Auth)
            ):
                self.credentials.forget_token()  # maybe revoked early: one new token, one retry
                refreshed = True
                continue
            if status in RETRY_STATUSES and retryable and attempt < MAX_RETRIES:
                wait = _retry_wait(response_headers.get("retry-after"), attempt)
                if wait is not None:
                    attempt += 1
                    await asyncio.sleep(wait)
                    continue
            if status >= 400:
                short = " ".join(text.split())[:ERROR_BODY_CHARS]
                after = response_headers.get("retry-after")
                note = f" (Retry-After: {after[:40]})" if after and status in RETRY_STATUSES else ""
                raise ToolFailure(
                    f"{self.tool}: HTTP {status} from {method} {_shown_url(url)}{note}: "
                    f"{short or '(no body)'}"
                )
            return text or f"HTTP {status} (no content)"

    async def _send(
        self,
        client: Any,
        method: str,
        url: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        request: Request,
    ) -> tuple[int, Mapping[str, str], str]:
        from gptkit.tools._httplib import httpx

        kwargs: dict[str, Any] = {"params": query or None, "headers": headers}
        if request.has_body and request.form and isinstance(request.json_body, dict):
            kwargs["data"] = request.json_body
        elif request.has_body:
            kwargs["json"] = request.json_body
        try:
            async with client.stream(method, url, **kwargs) as response:
                text = await self._read(response)
                return response.status_code, response.headers, text
        except AddressRefused:
            raise
        except httpx.TimeoutException:
            raise ToolFailure(
                f"{self.tool}: {method} {_shown_url(url)} did not answer within "
                f"{self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, AddressRefused):
                raise cause from None
            raise ToolFailure(
                f"{self.tool}: {method} {_shown_url(url)} failed: {type(exc).__name__}: "
                f"{str(exc)[:200] or 'no detail'}"
            ) from None

    async def _read(self, response: Any) -> str:
        """The body as text, cut at the cap (the rest is never read)."""
        kind = response.headers.get("content-type", "").lower()
        if kind and not (kind.startswith("text/") or any(t in kind for t in _TEXT_TYPES)):
            size = response.headers.get("content-length")
            return (
                f"[a {kind.split(';')[0]} response"
                f"{f' of {size} bytes' if size and size.isdigit() else ''}; not shown]"
            )
        charset = response.charset_encoding or "utf-8"
        size = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if size.isdigit() and int(size) <= self.max_chars and not encoded:  # no char is cut
            text = (await response.aread()).decode(charset if _known(charset) else "utf-8", "replace")
            return _json_note(text, kind, self.max_chars)
        try:
            decoder = codecs.getincrementaldecoder(charset)(errors="replace")
        except LookupError:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        limit = self.max_chars
        parts: list[str] = []
        count = 0
        cut = False
        async for chunk in response.aiter_bytes():
            piece = decoder.decode(chunk)
            parts.append(piece)
            count += len(piece)
            if count > limit:
                cut = True
                break
        if not cut:
            parts.append(decoder.decode(b"", final=True))
        text = "".join(parts)
        if cut:
            note = f"\n[response cut at {limit:,} characters (limits.max_tool_output_chars)]"
            return text[: max(limit - len(note), 0)] + note
        return _json_note(text, kind, limit)


def _known(charset: str) -> bool:
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True


def _json_note(text: str, kind: str, limit: int) -> str:
    """``text``, with a note first when it says it is JSON and is not."""
    if "json" in kind and text.strip():
        try:
            json.loads(text)
        except ValueError:
            return (
                "[the response says it is JSON but is not valid JSON; its text follows]\n" + text
            )[:limit]
    return text


def _retry_wait(header: str | None, attempt: int) -> float | None:
    """Seconds to wait before retry ``attempt`` + 1, or None when Retry-After asks too much."""
    if header:
        header = header.strip()
        wait: float | None = None
        if header.isdigit():
            wait = float(header)
        else:
            try:
                when = email.utils.parsedate_to_datetime(header)
                wait = max(when.timestamp() - time.time(), 0.0)
            except (TypeError, ValueError, IndexError, OverflowError):
                wait = None
        if wait is not None:
            return float(wait) if wait <= MAX_RETRY_WAIT_S else None
    return 0.5 * 2.0**attempt


def _shown_url(url: str) -> str:
    """The URL without its query (an API key may travel there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
