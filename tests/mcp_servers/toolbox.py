"""A small MCP server for gptkit's tests, written with the SDK's MCPServer (FastMCP).

``python toolbox.py [stdio|http] [--garbage-at-start] [--any-host]``: over stdio by default; ``http`` serves
streamable HTTP on 127.0.0.1 at a free port, printed as ``PORT <n>`` on stdout (then flushed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("toolbox", log_level="WARNING")
_WIRE = os.fstat(1)  # the SDK moves the protocol's stdout off fd 1 once it serves


def _wire_fd() -> int:
    for fd in range(3, 256):
        try:
            found = os.fstat(fd)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (_WIRE.st_dev, _WIRE.st_ino):
            return fd
    return 1


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
def whoami() -> str:
    """The server's working folder and the value of MCP_TEST_VALUE in its environment."""
    return f"{os.getcwd()}|{os.environ.get('MCP_TEST_VALUE', '')}|{os.environ.get('OPENAI_API_KEY', '')}"


_SEEN = {"authorization": ""}  # over HTTP: the Authorization header of the latest request


@server.tool()
def authecho() -> str:
    """Say back the Authorization header the server received (over HTTP)."""
    return _SEEN["authorization"]


class _Auth:
    """Refuses requests without ``Bearer $TOOLBOX_TOKEN`` when that variable is set."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            seen = dict(scope["headers"]).get(b"authorization", b"").decode()
            _SEEN["authorization"] = seen
            token = os.environ.get("TOOLBOX_TOKEN")
            if token and seen != f"Bearer {token}":
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await self.app(scope, receive, send)


@server.tool()
def note(text: str) -> str:
    """Append text to the file named by MCP_NOTES (so a test sees that the call really ran)."""
    with open(os.environ["MCP_NOTES"], "a", encoding="utf-8") as file:
        file.write(text + "\n")
    return "noted"


@server.tool()
def crash() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(3)


@server.tool()
def hang() -> str:
    """Never answer."""
    time.sleep(3600)
    return "late"


@server.tool()
def fail() -> str:
    """Raise an error."""
    raise ValueError("the disk is on fire")


@server.tool()
def garbage() -> str:
    """Write text that is not MCP on stdout, then never answer."""
    os.write(_wire_fd(), b"this is not json-rpc\n")  # past the SDK's guard of stdout
    time.sleep(3600)
    return "late"


@server.tool()
def spawn(marker: str) -> str:
    """Start a child process (a sleeper whose command line holds marker) and answer at once."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", marker])
    return str(child.pid)


def main() -> None:
    args = sys.argv[1:]
    if "--garbage-at-start" in args:
        os.write(1, b"hello from a chatty server\n")
    if "--dotted-name" in args:  # a name the SDK allows and OpenAI does not
        server.add_tool(lambda: "x", name="read.file", description="A tool with a dot in its name.")
    if "--exit-at-once" in args:
        sys.stderr.write("toolbox: refusing to start: no config\n")
        sys.exit(2)
    if args[:1] == ["http"]:
        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        # --any-host: answer whatever Host the client names (a test's made-up public name),
        # without the SDK's DNS-rebinding guard for a server on 127.0.0.1
        host = "0.0.0.0" if "--any-host" in args else "127.0.0.1"
        app = _Auth(server.streamable_http_app(host=host))
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        print(f"PORT {port}", flush=True)
        uvicorn.Server(config).run(sockets=[sock])
        return
    server.run("stdio")


if __name__ == "__main__":
    main()
