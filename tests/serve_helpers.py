"""A real `gptkit serve` subprocess for the serve tests, against gptkit.testing's fake model.

``write_project(folder, ...)`` writes assistant files (and their tools module) into a folder;
``Serve(paths, model_url, ...)`` starts ``python -m gptkit serve`` on 127.0.0.1 with port 0,
reads the port from its first stderr line, and keeps every later stderr line (the request log).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

KEY = "sk-test-SERVEKEY0123456789abcdef"  # the model API's key: never in an answer or a log

TOOLS = '''
"""Tools of the serve tests' assistants."""
import json
import os


def _log(name, **arguments):
    path = os.environ.get("SERVE_TOOL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"tool": name, "arguments": arguments}) + "\\n")


def add(a: int, b: int) -> int:
    """Add two integers."""
    _log("add", a=a, b=b)
    return a + b


def book(city: str) -> str:
    """Book a hotel in a city (asks the person first)."""
    _log("book", city=city)
    return f"booked a hotel in {city}"


def leak(what: str) -> str:
    """Return the model API key (a tool that leaks a secret)."""
    return "the key is " + os.environ.get("OPENAI_API_KEY", "")
'''


def assistant_yaml(name: str, *, store: str | None = None, policy: str = "window",
                   api: str = "chat", description: str = "Adds numbers.",
                   output_json: bool = False) -> str:
    memory = f"memory:\n  policy: {policy}\n  max_messages: 50\n"
    if store:
        memory += f"  store: {store}\n"
    output = ("output:\n  format: json\n  schema:\n    type: object\n"
              "    required: [sum]\n    additionalProperties: false\n    properties:\n      sum: {type: integer}\n"
              if output_json else "")
    return f"""version: 1
name: {name}
display_name: The {name.title()}
description: {description}
model:
  name: gpt-4o-mini
  api: {api}
  timeout_s: 20
  max_retries: 0
instructions: |
  You help with sums. Tools: {{% for t in tools %}}{{{{ t.name }}}} {{% endfor %}}
conversation_starters:
  - Add 2 and 3
  - What is 6 times 7?
tools:
  - name: add
    type: python
    function: serve_tools:add
  - name: book
    type: python
    function: serve_tools:book
    confirm: true
  - name: leak
    type: python
    function: serve_tools:leak
limits:
  max_tool_rounds: 3
{memory}{output}"""


def write_project(folder: Path, names: tuple[str, ...] = ("adder",), **options: Any) -> Path:
    """Assistant files ``<name>.yaml`` in ``folder`` with their tools; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "serve_tools.py").write_text(TOOLS, encoding="utf-8")
    for name in names:
        (folder / f"{name}.yaml").write_text(assistant_yaml(name, **options), encoding="utf-8")
    return folder


class Serve:
    """``gptkit serve`` as a subprocess; a context manager."""

    def __init__(self, paths: list[str | Path], model_url: str | None, *args: str,
                 env: dict[str, str] | None = None, home: Path | None = None) -> None:
        self._clients: list[Any] = []
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_"))}
        environ.update({"OPENAI_API_KEY": KEY, "NO_COLOR": "1"})
        if model_url:
            environ["OPENAI_BASE_URL"] = model_url
        if home is not None:
            environ["GPTKIT_HOME"] = str(home)
        environ.update(env or {})
        self.command = [sys.executable, "-m", "gptkit", "serve", *map(str, paths), "--port", "0",
                        *args]
        self.environ = environ
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self._reader: threading.Thread | None = None

    def start(self, timeout: float = 60) -> Serve:
        self.process = subprocess.Popen(
            self.command, env=self.environ, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        assert self.process.stderr is not None
        ready = threading.Event()

        def read() -> None:
            assert self.process is not None and self.process.stderr is not None
            for line in self.process.stderr:
                self.lines.append(line.rstrip("\n"))
                found = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
                if found and not self.port:
                    self.port = int(found.group(1))
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        ready.wait(timeout)
        if not self.port:
            self.stop()
            raise AssertionError("gptkit serve did not start:\n" + "\n".join(self.lines))
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, api_key: str = "unused", **options: Any) -> Any:
        from openai import OpenAI

        options.setdefault("max_retries", 0)
        options.setdefault("timeout", 30)
        client = OpenAI(base_url=self.url + "/v1", api_key=api_key, **options)
        self._clients.append(client)  # closed with the server: no socket left to the GC
        return client

    def async_client(self, api_key: str = "unused", **options: Any) -> Any:
        from openai import AsyncOpenAI

        options.setdefault("max_retries", 0)
        options.setdefault("timeout", 60)
        return AsyncOpenAI(base_url=self.url + "/v1", api_key=api_key, **options)

    def log_lines(self, settle: float = 0.0) -> list[str]:
        """The request log so far (the start line left out)."""
        if settle:
            time.sleep(settle)
        return [line for line in self.lines if "gptkit serve:" not in line]

    def wait_log(self, count: int, timeout: float = 10) -> list[str]:
        """The request log once it holds ``count`` lines (a line is written as a request ends)."""
        deadline = time.monotonic() + timeout
        while len(self.log_lines()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.log_lines()

    def kill(self) -> None:
        """kill -9."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.stop()

    def stop(self) -> int:
        for client in self._clients:
            client.close()
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def __enter__(self) -> Serve:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_serve(paths: list[str | Path], *args: str, env: dict[str, str] | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``gptkit serve`` expected to refuse to start: its exit code and output."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_",))}
    environ.update({"OPENAI_API_KEY": KEY, "NO_COLOR": "1", **(env or {})})
    return subprocess.run([sys.executable, "-m", "gptkit", "serve", *map(str, paths), *args],
                          capture_output=True, text=True, env=environ, timeout=timeout,
                          stdin=subprocess.DEVNULL)


class Reply:
    """A raw HTTP answer: ``status``, ``headers`` (lower-case names), ``text``, ``json()``."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = body
        self.text = body.decode("utf-8", "replace")

    def json(self) -> Any:
        import json

        return json.loads(self.content)


def http(method: str, url: str, *, json_body: Any = None, content: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    """One plain HTTP request with exactly these headers (a Host header included when given)."""
    import http.client
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    sent = dict(headers or {})
    if json_body is not None:
        content = json.dumps(json_body).encode()
        sent.setdefault("content-type", "application/json")
    try:
        connection.putrequest(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                              skip_host="host" in {k.lower() for k in sent},
                              skip_accept_encoding=True)
        for name, value in sent.items():
            connection.putheader(name, value)
        if content is not None:
            connection.putheader("content-length", str(len(content)))
        connection.endheaders(content)
        answer = connection.getresponse()
        body = answer.read()
        return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
    finally:
        connection.close()
