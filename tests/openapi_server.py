"""A small real HTTP API on 127.0.0.1 for the network tool tests, with its OpenAPI file.

``ApiServer`` runs ``http.server`` in a thread (port 0) and records every request it gets.
Endpoints (all JSON unless said):

- ``GET /pets/{id}``: ``{"id": ...}``; ``GET /echo``: the path, query and headers it got
- ``POST /pets``: the JSON body back, 201
- ``GET /secure/key``, ``/secure/query``, ``/secure/bearer``, ``/secure/basic``, ``/secure/oauth``:
  200 only with the right credential, else 401
- ``POST /token``: OAuth 2 client credentials (``token_fails`` makes it answer 500)
- ``GET /redirect``: 302 to another host; ``GET /redirect-here``: 302 to ``/pets/7``
- ``GET /huge``: an endless body (it counts what it could send); ``GET /slow``: waits 30 s
- ``POST /form``: the form body it got
- ``GET /gzip``: 20 MB of zeros gzipped to about 20 KB
- ``GET /badjson``: says JSON, is not; ``GET /flaky``: 429 with Retry-After: 0 twice, then 200
- ``POST /flaky``: always 503
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "k3y-0123456789-secret"
TOKEN = "bearer-0123456789-token"
USER, PASSWORD = "alice", "pa55word-0123456789"
CLIENT_ID, CLIENT_SECRET = "client-1", "client-secret-0123456789"
GZIP_BOMB = gzip.compress(b"0" * 20_000_000)  # ~20 KB sent, 20 MB unpacked

SPEC = """\
openapi: 3.0.3
info: {title: Test API, version: "1"}
servers:
  - url: %(base)s
paths:
  /pets/{id}:
    get:
      operationId: getPet
      summary: Get one pet by id.
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
  /pets:
    post:
      operationId: createPet
      summary: Create a pet.
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses: {"201": {description: created}}
  /echo:
    get:
      operationId: echo
      summary: Echo the request.
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: X-Note, in: header, schema: {type: string}}
      responses: {"200": {description: ok}}
  /secure/{kind}:
    get:
      operationId: secure
      summary: A protected endpoint.
      parameters:
        - {name: kind, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
  /redirect:
    get: {operationId: redirect, summary: Redirects away., responses: {"302": {description: away}}}
  /redirect-here:
    get: {operationId: redirectHere, summary: Redirects here., responses: {"302": {description: here}}}
  /huge:
    get: {operationId: huge, summary: A huge body., responses: {"200": {description: ok}}}
  /form:
    post:
      operationId: sendForm
      summary: A form body.
      x-openai-isConsequential: false
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema: {type: object, required: [name], properties: {name: {type: string}, count: {type: integer}}}
      responses: {"200": {description: ok}}
  /gzip:
    get: {operationId: gzipBomb, summary: Small on the wire, huge unpacked., responses: {"200": {description: ok}}}
  /slow:
    get: {operationId: slow, summary: A slow answer., responses: {"200": {description: ok}}}
  /badjson:
    get: {operationId: badJson, summary: Not JSON., responses: {"200": {description: ok}}}
  /flaky:
    get: {operationId: flakyGet, summary: Busy twice., responses: {"200": {description: ok}}}
    post: {operationId: flakyPost, summary: Always busy., responses: {"200": {description: ok}}}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        tag: {type: string, nullable: true}
        friends: {type: array, items: {$ref: "#/components/schemas/Pet"}}
"""


class ApiServer:
    """The API in a thread; ``requests`` holds (method, path, headers, body) of each request."""

    def __init__(self, keep_alive: bool = False) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.flaky_left = 2
        self.token_fails = False
        self.tokens_issued = 0
        self.huge_sent = 0
        self.token_lifetime = 3600
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self, "GET")

            def do_POST(self) -> None:
                server.handle(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def write_spec(self, folder: Path, name: str = "api.yaml", base: str | None = None) -> Path:
        path = folder / name
        path.write_text(SPEC % {"base": base or self.base}, encoding="utf-8")
        return path

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _, _ in self.requests if m == method and urlsplit(p).path == path)

    # -- the endpoints ---------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        self.requests.append((method, h.path, dict(h.headers.items()), body))
        url = urlsplit(h.path)
        path, query = url.path, parse_qs(url.query)
        if method == "GET" and path.startswith("/pets/"):
            return self.json(h, 200, {"id": path[len("/pets/"):]})
        if method == "POST" and path == "/pets":
            return self.json(h, 201, {"created": json.loads(body or b"null")})
        if path == "/echo":
            return self.json(h, 200, {"path": h.path, "query": query, "headers": dict(h.headers.items())})
        if path.startswith("/secure/"):
            return self.secure(h, path.rsplit("/", 1)[-1], query)
        if path == "/token" and method == "POST":
            return self.token(h, body)
        if path == "/redirect":
            return self.send(h, 302, b"", {"Location": "http://elsewhere.example/steal"})
        if path == "/redirect-here":
            return self.send(h, 302, b"", {"Location": "/pets/7"})
        if path == "/huge":
            return self.huge(h)
        if path == "/form" and method == "POST":
            return self.json(h, 200, {"type": h.headers.get("Content-Type"), "form": parse_qs(body.decode())})
        if path == "/gzip":
            return self.send(h, 200, GZIP_BOMB, {"Content-Type": "text/plain", "Content-Encoding": "gzip"})
        if path == "/slow":
            time.sleep(30)
            return self.json(h, 200, {"late": True})
        if path == "/badjson":
            return self.send(h, 200, b'{"broken": tru', {"Content-Type": "application/json"})
        if path == "/flaky" and method == "GET":
            if self.flaky_left > 0:
                self.flaky_left -= 1
                return self.send(h, 429, b"slow down", {"Retry-After": "0"})
            return self.json(h, 200, {"ok": True})
        if path == "/flaky" and method == "POST":
            return self.send(h, 503, b"busy", {"Retry-After": "0"})
        return self.json(h, 404, {"error": "no such path"})

    def secure(self, h: BaseHTTPRequestHandler, kind: str, query: dict[str, list[str]]) -> None:
        auth = h.headers.get("Authorization", "")
        good = {
            "key": h.headers.get("X-Api-Key") == API_KEY,
            "query": query.get("api_key") == [API_KEY],
            "bearer": auth == f"Bearer {TOKEN}",
            "basic": auth == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
            "oauth": auth.startswith("Bearer oauth-token-"),
        }.get(kind, False)
        if good:
            sent = auth or h.headers.get("X-Api-Key") or query.get("api_key", [""])[0]
            return self.json(h, 200, {"ok": kind, "you_sent": sent})
        return self.json(h, 401, {"error": "bad credentials"})

    def token(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.token_fails:
            return self.send(h, 500, b"token service down", {})
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(body.decode())
        if h.headers.get("Authorization") != expected or form.get("grant_type") != ["client_credentials"]:
            return self.json(h, 401, {"error": "invalid_client"})
        self.tokens_issued += 1
        return self.json(h, 200, {"access_token": f"oauth-token-{self.tokens_issued:012d}",
                                  "token_type": "bearer", "expires_in": self.token_lifetime,
                                  "scope": form.get("scope", [""])[0]})

    def huge(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(2000):  # up to 128 MiB, if anyone read it all
                h.wfile.write(chunk)
                self.huge_sent += len(chunk)
        except OSError:
            pass

    def json(self, h: BaseHTTPRequestHandler, status: int, data: Any) -> None:
        self.send(h, status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
