"""The server's guards: the Host header, the API key, the body size limit, safe headers.

- **Host** (against DNS rebinding: a web page whose name now points at 127.0.0.1 must not reach
  the server): the Host header must name the server as ``localhost``, ``127.0.0.1`` or ``[::1]``,
  the address it is bound to (unless that is every interface), or a name given with
  ``--allowed-host`` (``*`` allows any). Else 400.
- **API key**: with ``--api-key-env``, every ``/v1/`` and ``/ui/api/`` request carries
  ``Authorization: Bearer <key>`` (compared in constant time); else 401. The page, its static
  files, ``/healthz`` and ``/openapi.json`` need none (they hold nothing private).
- **Body size**: a body over ``--max-body-bytes`` is refused with 413, from its
  ``content-length`` or as it arrives.
- Every answer carries a strict Content-Security-Policy (no inline script or style, nothing from
  elsewhere), ``nosniff``, no referrer and no framing.
- An exception no route handled becomes a 500 in OpenAI's shape, without a traceback.
"""

from __future__ import annotations

import hmac
import sys
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gptkit.serve.errors import ApiError
from gptkit.serve.options import LOOPBACK_NAMES, ServeOptions, is_wildcard

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SAFE_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
PRIVATE = ("/v1/", "/ui/api/")


def allowed_hosts(options: ServeOptions) -> set[str] | None:
    """The host names the Host header may carry (lower case, no port); None: any."""
    if "*" in options.allowed_hosts:
        return None
    names = set(LOOPBACK_NAMES) | {host_name(h) for h in options.allowed_hosts}
    if not is_wildcard(options.host):
        names.add(options.host.lower().strip("[]"))
    return names


def host_name(header: str) -> str:
    """``example.com`` of ``example.com:8000``, ``::1`` of ``[::1]:8000``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


async def send_error(send: Send, error: ApiError) -> None:
    headers = [(k.encode(), v.encode()) for k, v in error.headers().items()]
    body = error.json_bytes()
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": error.status,
                "headers": headers + SAFE_HEADERS})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """``part="host"``: the Host check (outside CORS); ``part="request"``: the key, the body
    limit, the safe headers and the last-resort 500 (inside CORS, so a refused request still
    carries CORS headers a browser can read)."""

    def __init__(self, app: ASGIApp, options: ServeOptions,
                 part: Literal["host", "request"]) -> None:
        self.app = app
        self.part = part
        self.hosts = allowed_hosts(options)
        self.key = options.api_key.encode() if options.api_key else None
        self.limit = options.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.part == "host":
            problem = self.host_problem(scope)
            if problem is not None:
                await send_error(send, problem)
                return
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if self.key is not None and path.startswith(PRIVATE) and scope.get("method") != "OPTIONS":
            problem = self.key_problem(scope)
            if problem is not None:
                await send_error(send, problem)
                return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await send_error(send, self.too_large())
            return
        await self.guarded(scope, self.limited(receive), send)

    def host_problem(self, scope: Scope) -> ApiError | None:
        if self.hosts is None:
            return None
        header = _header(scope, b"host")
        name = host_name(header) if header else ""
        if name in self.hosts:
            return None
        return ApiError(
            400,
            f"the Host header {name[:100]!r} is not one this server answers to (a guard against "
            "DNS rebinding); start gptkit serve with --allowed-host NAME to allow it",
            "host_not_allowed",
        )

    def key_problem(self, scope: Scope) -> ApiError | None:
        assert self.key is not None
        given = _header(scope, b"authorization") or ""
        scheme, _, token = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.key):
            return None
        what = "no API key was given" if not given else "the API key is not the right one"
        return ApiError(401, f"{what}: send 'Authorization: Bearer <key>' with the key the "
                        "server was started with (--api-key-env)", "invalid_api_key")

    def too_large(self) -> ApiError:
        return ApiError(413, f"the request body is over the limit of {self.limit:,} bytes "
                        "(--max-body-bytes)", "body_too_large")

    def limited(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise self.too_large()
            return message

        return counted

    async def guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def safe_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SAFE_HEADERS]}
            await send(message)

        try:
            await self.app(scope, receive, safe_send)
        except ApiError as error:  # raised outside a route (the body limit while reading)
            if not started:
                await send_error(send, error)
        except Exception as exc:  # a store that failed, or a bug: said without a traceback
            from gptkit.errors import GptkitError
            from gptkit.serve.errors import from_turn

            if not isinstance(exc, GptkitError):
                print(f"gptkit serve: internal error: {type(exc).__name__} "
                      f"on {scope.get('method')} {scope.get('path', '')[:200]}", file=sys.stderr)
            if not started:
                await send_error(send, from_turn(exc))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
