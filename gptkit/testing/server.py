"""A fake OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks without a network.

``FakeOpenAI`` serves the Chat Completions API (``POST /v1/chat/completions``), the Responses API
(``POST /v1/responses``) and ``GET /v1/models``, streamed (SSE) and not, in the wire formats the
official ``openai`` package parses. What it answers comes from a :class:`ScriptedModel`
(see :mod:`gptkit.testing.script`); every request is recorded in ``server.requests``.

The wire renderers live in :mod:`gptkit.testing.wire`. It is a standard-library ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive and
``TCP_NODELAY``; each answer is rendered once and written in one ``send``.
"""

from __future__ import annotations

import itertools
import json
import socket
import socketserver
import threading
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gptkit.testing.script import (
    MODES,
    Answer,
    Cut,
    Delay,
    Raw,
    RecordedRequest,
    Reply,
    ReplyFunction,
    ScriptedModel,
    Stall,
    Status,
    Trickle,
    status,
)
from gptkit.testing.shapes import SHAPES, check
from gptkit.testing.wire import (
    DEFAULT_MODEL,
    answer_usage,
    chat_chunks,
    chat_completion,
    error_body,
    response_events,
    response_object,
)

__all__ = ["FakeOpenAI"]

_ids = itertools.count(1)
_dumps = json.dumps

# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        self.server.fake._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read requests instead
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self) -> None:
        try:
            self.server.fake._handle(self)
        except OSError:  # the client went away (timed out, or a test closed it)
            self.close_connection = True
        except Exception as exc:  # a bug here: answer it loudly rather than hang up
            self.close_connection = True
            try:
                self.send(500, error_body(f"fake server: internal error: {type(exc).__name__}: "
                                          f"{exc}", "server_error", None))
            except OSError:
                pass

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            parts = []
            while (size := int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)):
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, code: int, body: bytes, *, headers: Iterable[tuple[str, str]] = (),
             content_type: str = "application/json", partial: bool = False) -> None:
        """Write a whole answer in one send; ``partial`` writes half the body and drops it."""
        self.wfile.write(self._head(code, content_type, headers, f"content-length: {len(body)}")
                         + (body[: len(body) // 2] if partial else body))
        if partial:
            self.abort()

    def send_stream(self, events: list[bytes], *, cut_after: int | None = None,
                    pause: tuple[int, float, Any] | None = None) -> None:
        """Write an SSE answer as a chunked body; with ``cut_after``, drop it after N events;
        with ``pause`` (after, seconds, closing event), stop after N events for a while."""
        if pause is not None:
            after, seconds, closing = pause
            first = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events[:after])
            rest = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events[after:])
            try:
                self.wfile.write(self._head(200, "text/event-stream; charset=utf-8", (),
                                            "transfer-encoding: chunked\r\ncache-control: no-cache")
                                 + first)
                self.wfile.flush()
                if closing.wait(seconds):
                    self.abort()
                    return
                self.wfile.write(rest + b"0\r\n\r\n")
            except OSError:  # the client went away during the pause (cancelled)
                self.abort()
            return
        if cut_after is not None:
            events = events[:cut_after]
        data = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events)
        self.wfile.write(self._head(200, "text/event-stream; charset=utf-8", (),
                                    "transfer-encoding: chunked\r\ncache-control: no-cache")
                         + data + (b"0\r\n\r\n" if cut_after is None else b""))
        if cut_after is not None:
            self.abort()

    def send_slowly(self, pieces: Iterable[bytes], stream: bool, every: float,
                    closing: threading.Event) -> None:
        """Write a chunked 200 answer one piece every ``every`` seconds, until the pieces run
        out (then end the body), the server closes or the client goes away."""
        content_type = "text/event-stream; charset=utf-8" if stream else "application/json"
        try:
            self.wfile.write(self._head(200, content_type, (), "transfer-encoding: chunked"))
            self.wfile.flush()
            for piece in pieces:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                if closing.wait(every):
                    break
            else:
                self.wfile.write(b"0\r\n\r\n")
                return
        except OSError:
            pass
        self.abort()

    def abort(self) -> None:
        """Close the connection now, whatever the client expects next."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _head(self, code: int, content_type: str, headers: Iterable[tuple[str, str]],
              framing: str) -> bytes:
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        lines = [f"HTTP/1.1 {code} {phrase}", f"content-type: {content_type}", framing,
                 f"x-request-id: req_fake{next(_ids)}", "server: gptkit.testing"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    fake: FakeOpenAI

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (socket.getfqdn), which can stall
        # for seconds on a machine without DNS; the fake server never needs the name.
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = host.decode() if isinstance(host, (bytes, bytearray)) else host

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


ModelLike = ScriptedModel | ReplyFunction | Iterable[Reply | str] | Reply | str | None


def _as_model(model: ModelLike) -> ScriptedModel:
    if model is None:
        return ScriptedModel(MODES["echo"])
    if isinstance(model, ScriptedModel):
        return model
    if isinstance(model, str):
        if model not in MODES:
            raise ValueError(f"unknown fake server mode {model!r}; use one of: "
                             f"{', '.join(sorted(MODES))}, or pass a list of replies")
        return ScriptedModel(MODES[model])
    if isinstance(model, Reply):
        return ScriptedModel([model])
    return ScriptedModel(model)  # a function or an iterable of replies


class FakeOpenAI:
    """A fake OpenAI-compatible server on ``127.0.0.1`` (a free port), run in a daemon thread.

    ``model`` says what it answers: a :class:`ScriptedModel`, a list of replies (answered in
    order), a function ``request -> reply``, a mode name (``"echo"``, ``"tool-round"``), or
    ``None`` for ``echo``. Use it as a context manager::

        with FakeOpenAI([text("Hello!")]) as server:
            client = OpenAI(base_url=server.url, api_key="test")
            ...
            assert server.requests[0].body["model"] == "gpt-4o-mini"

    Options:

    - ``usage_in_stream``: when ``False``, streamed answers carry no usage (no usage chunk even
      with ``stream_options.include_usage``; ``response.completed`` has ``usage: null``), as
      some compatible servers do. Non-streamed answers always carry usage.
    - ``responses_api``: when ``False``, ``POST /v1/responses`` answers 404 like a server that
      only speaks Chat Completions (Ollama, older vLLM).
    - ``api_key``: when set, a request whose ``Authorization: Bearer ...`` differs gets 401 with
      a message that echoes the key it received (as OpenAI does), to test redaction.
    - ``strict``: a server shape (``"openai"``, ``"ollama"``, ``"vllm"``, ``"llama.cpp"``,
      ``"litellm"``): refuse what that real server refuses, with its status and words, before
      the script answers (see :mod:`gptkit.testing.shapes`). A refused request does not use up
      a reply of the script.
    - ``host`` / ``port``: where to listen (port ``0`` picks a free one).

    Every answer says where it came from: the ``server: gptkit.testing`` header, and
    ``system_fingerprint: "fp_gptkit.testing"`` in each body, chunk and ``response`` object.

    Attributes: ``url`` (``http://127.0.0.1:PORT/v1``, for ``base_url``), ``port``,
    ``requests`` (every :class:`RecordedRequest`, in arrival order), ``model`` (the
    :class:`ScriptedModel`), ``env`` (``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` for a subprocess).
    """

    def __init__(self, model: ModelLike = None, *, usage_in_stream: bool = True,
                 responses_api: bool = True, api_key: str | None = None,
                 strict: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        if strict is not None and strict not in SHAPES:
            raise ValueError(f"unknown server shape {strict!r}; use one of: "
                             f"{', '.join(sorted(SHAPES))}")
        self.strict = strict
        self.model = _as_model(model)
        self.usage_in_stream = usage_in_stream
        self.responses_api = responses_api
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind and start serving (``with`` does this); returns the server."""
        if self._server is None:
            self._closing.clear()
            self._server = _Server(self._address, _Handler)
            self._server.fake = self
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name=f"gptkit-fake-openai:{self.port}", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, drop open connections and wake any delayed answers."""
        if self._server is None:
            return
        self._closing.set()
        self._server.shutdown()
        for connection in list(self._connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._server = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (what ``python -m gptkit.testing`` does)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what tests read -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake server is not running; use `with FakeOpenAI(...)` "
                               "or call start() first")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to give a client: ``http://127.0.0.1:PORT/v1``."""
        host = self._server.server_name if self._server else "?"
        return f"http://{host}:{self.port}/v1"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point an openai client (or ``gptkit run``) here."""
        return {"OPENAI_BASE_URL": self.url, "OPENAI_API_KEY": self.api_key or "test"}

    @property
    def model_requests(self) -> list[RecordedRequest]:
        """The requests to the two model endpoints (what the script answered, plus refusals)."""
        return [r for r in self.requests if r.api is not None]

    def __repr__(self) -> str:
        where = self.url if self._server else "not running"
        return f"<FakeOpenAI {where} requests={len(self.requests)} model={self.model!r}>"

    # -- answering -------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        path = handler.path.split("?", 1)[0]
        raw = handler.read_body()
        body, bad_json = None, False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        headers: dict[str, str] = {}
        for name, value in handler.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        request = RecordedRequest(handler.command, path, headers, body)
        self.requests.append(request)
        self._answer(handler, request, raw, self._route(request, bad_json))

    def _route(self, request: RecordedRequest, bad_json: bool) -> Reply | bytes:
        """The reply for ``request``, or the bytes of a JSON answer for the non-model endpoints."""
        if self.api_key is not None:
            given = request.headers.get("authorization", "")
            if given != f"Bearer {self.api_key}":
                if not given:
                    return status(401, "You didn't provide an API key. You need to provide your "
                                       "API key in an Authorization header using Bearer auth.",
                                  error_code=None)
                key = given.removeprefix("Bearer ").strip()
                return status(401, f"Incorrect API key provided: {key}. You can find your API "
                                   f"key at https://platform.openai.com/account/api-keys.")
        method, path = request.method, request.path.rstrip("/")
        if method == "GET" and path == "/v1/models":
            return _dumps({"object": "list", "data": [_model_card(DEFAULT_MODEL)]}).encode()
        if method == "GET" and path.startswith("/v1/models/"):
            return _dumps(_model_card(path[len("/v1/models/"):])).encode()
        if method == "POST" and path == "/v1/embeddings":
            return _embeddings(request.body)
        api = request.api if method == "POST" else None
        if api is None or (api == "responses" and not self.responses_api):
            return status(404, f"Invalid URL ({method} {request.path})", error_code=None)
        if bad_json or not isinstance(request.body, dict):
            return status(400, "We could not parse the JSON body of your request. The body "
                               "must be a JSON object (fake server).", error_code=None)
        if self.strict is not None:
            refusal = check(self.strict, request)
            if refusal is not None:
                return refusal
        return self.model.reply(request)

    def _answer(self, handler: _Handler, request: RecordedRequest, raw: bytes,
                reply: Reply | bytes) -> None:
        if isinstance(reply, bytes):
            handler.send(200, reply)
            return
        while isinstance(reply, Delay):
            if self._closing.wait(reply.seconds):
                handler.abort()
                return
            reply = reply.then
        if isinstance(reply, Status):
            message = reply.message
            if reply.echo_auth:
                message += f" (received Authorization: {request.headers.get('authorization', '')})"
            handler.send(reply.code, error_body(message, reply.error_type, reply.error_code),
                         headers=reply.headers)
            return
        if isinstance(reply, Raw):
            handler.send(reply.code, reply.body, content_type=reply.content_type)
            return
        trickle: Trickle | None = None
        if isinstance(reply, Trickle):
            trickle, reply = reply, reply.then
            if trickle.keepalive:
                handler.send_slowly(iter(lambda: b": keep-alive\n\n" if request.stream else b" ",
                                         None), request.stream, trickle.every, self._closing)
                return
        cut_after = None
        pause: tuple[int, float] | None = None
        if isinstance(reply, Cut):
            cut_after, reply = reply.after, reply.then
        elif isinstance(reply, Stall):
            pause, reply = (reply.after, reply.seconds), reply.then
            if not request.stream and self._closing.wait(pause[1]):
                handler.abort()
                return
        if not isinstance(reply, Answer):  # a custom Reply subclass the server cannot render
            reply = Answer(text=f"fake server: cannot render {reply!r}")
        body = request.body
        model = body.get("model") or DEFAULT_MODEL
        usage = answer_usage(reply, raw)
        if trickle is not None:
            whole = (b"".join(self._events(reply, request, usage)) if request.stream
                     else self._payload(reply, request, usage))
            handler.send_slowly((whole[i:i + 1] for i in range(len(whole))), request.stream,
                                trickle.every, self._closing)
        elif request.stream:
            if request.api == "chat":
                wanted = (body.get("stream_options") or {}).get("include_usage") is True
                events = chat_chunks(reply, model, usage if wanted and self.usage_in_stream
                                     else None)
            else:
                events = response_events(reply, body, model,
                                         usage if self.usage_in_stream else None)
            if pause is not None:
                handler.send_stream(events, pause=(pause[0], pause[1], self._closing))
            else:
                handler.send_stream(events, cut_after=cut_after)
        else:
            payload = (chat_completion(reply, model, usage) if request.api == "chat"
                       else response_object(reply, body, model, usage))
            handler.send(200, payload, partial=cut_after is not None)


    def _events(self, reply: Answer, request: RecordedRequest,
                usage: tuple[int, int]) -> list[bytes]:
        body, model = request.body, request.body.get("model") or DEFAULT_MODEL
        if request.api == "chat":
            wanted = (body.get("stream_options") or {}).get("include_usage") is True
            return chat_chunks(reply, model, usage if wanted and self.usage_in_stream else None)
        return response_events(reply, body, model, usage if self.usage_in_stream else None)

    def _payload(self, reply: Answer, request: RecordedRequest, usage: tuple[int, int]) -> bytes:
        body, model = request.body, request.body.get("model") or DEFAULT_MODEL
        return (chat_completion(reply, model, usage) if request.api == "chat"
                else response_object(reply, body, model, usage))


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "gptkit.testing"}


EMBEDDING_DIMENSIONS = 64


def fake_embedding(text: str) -> list[float]:
    """The fake server's embedding of ``text``: its words hashed into 64 buckets, unit length,
    so texts that share words are near each other (deterministic, no model)."""
    import math
    import re
    import zlib

    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[^\W_]+", text.lower()):
        vector[zlib.crc32(word.encode()) % EMBEDDING_DIMENSIONS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]


def _embeddings(body: Any) -> Reply | bytes:
    """``POST /v1/embeddings``: a fake vector for each input (see :func:`fake_embedding`)."""
    given = body.get("input") if isinstance(body, dict) else None
    inputs = [given] if isinstance(given, str) else given
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        return status(400, "input must be a string or a list of strings (fake server)",
                      error_code=None)
    data = [{"object": "embedding", "index": i, "embedding": fake_embedding(text)}
            for i, text in enumerate(inputs)]
    model = body.get("model", "")
    return _dumps({"object": "list", "data": data, "model": model,
                   "usage": {"prompt_tokens": 0, "total_tokens": 0}}).encode()
