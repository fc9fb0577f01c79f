#!/usr/bin/env python3
"""The example's API: a tiny pet shelter on 127.0.0.1, standard library only.

    python examples/openapi-action/pets_api.py            # listens on 127.0.0.1:8765
    PETS_API_PORT=9000 python examples/openapi-action/pets_api.py

Every request must carry an ``X-API-Key`` header; when ``PETS_API_KEY`` is set here, the key
must equal it. Endpoints (see actions/pets.yaml): ``GET /pets?species=``, ``GET /pets/{id}``,
``POST /pets/{id}/adoptions``.
"""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

PETS = {
    "1": {"id": "1", "name": "Biscuit", "species": "dog", "age": 3, "adopted": False},
    "2": {"id": "2", "name": "Miso", "species": "cat", "age": 1, "adopted": False},
    "3": {"id": "3", "name": "Pepper", "species": "cat", "age": 7, "adopted": False},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def allowed(self) -> bool:
        key = self.headers.get("X-API-Key", "")
        expected = os.environ.get("PETS_API_KEY")
        if not key or (expected and key != expected):
            self.answer(401, {"error": "missing or wrong X-API-Key"})
            return False
        return True

    def do_GET(self) -> None:
        if not self.allowed():
            return
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        if parts == ["pets"]:
            species = parse_qs(url.query).get("species", [None])[0]
            found = [p for p in PETS.values() if species in (None, p["species"])]
            return self.answer(200, {"pets": found})
        if len(parts) == 2 and parts[0] == "pets" and parts[1] in PETS:
            return self.answer(200, PETS[parts[1]])
        return self.answer(404, {"error": "no such pet"})

    def do_POST(self) -> None:
        if not self.allowed():
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
        if len(parts) == 3 and parts[0] == "pets" and parts[2] == "adoptions" and parts[1] in PETS:
            pet = PETS[parts[1]]
            if pet["adopted"]:
                return self.answer(409, {"error": f"{pet['name']} is already adopted"})
            pet["adopted"] = True
            return self.answer(201, {"pet": pet, "adopter": body.get("adopter", "")})
        return self.answer(404, {"error": "no such pet"})


def main() -> None:
    port = int(os.environ.get("PETS_API_PORT", "8765"))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        raise SystemExit(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}). Choose another port: "
            f"PETS_API_PORT=8766 python {__file__}, and run gptkit with "
            "PETS_API_URL=http://127.0.0.1:8766"
        ) from None
    print(f"pets API on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
