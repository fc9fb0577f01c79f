"""MCP tools: the tools of a Model Context Protocol server, through the official ``mcp`` SDK.

One ``type: mcp`` entry is one :class:`McpServer`. Nothing starts when it is built: the server is
started (a stdio command, or a streamable-HTTP connection) when a session first needs the tool
list, and :meth:`McpServer.aclose` always stops it. Each of the server's tools (after
``include`` / ``exclude``, named ``prefix`` + the server's name) is one :class:`McpServerTool`.

The connection lives in a task of its own (the SDK's transports are anyio task groups, which
must be left by the task that entered them); calls from the turns' tasks go through the
SDK's client session, which serves any task.

A stdio server runs under :mod:`gptkit.tools.mcp_guard`, which ends the server's whole process
group when the server exits, when it is stopped, and when gptkit dies without cleaning up.

Everything a server does wrong reaches the model as an error result naming the tool (a crash,
an error, a hang, text on stdout that is not MCP); a server that cannot be started at all is a
:class:`ToolError` naming it. The ``mcp`` package is imported only here, and only when a server
starts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gptkit.config.names import TOOL_NAME_PATTERN
from gptkit.config.secrets import redact
from gptkit.errors import ToolError
from gptkit.tools.base import Tool, ToolArgumentsError, ToolContext, ToolFailure, ToolSpec
from gptkit.tools.net import AddressRefused, Policy

if TYPE_CHECKING:
    from gptkit.config.models import McpTool as McpToolConfig

#: The SDK's own minimal inherited environment (its stdio client merges ``env`` over it).
_INHERITED = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")
_GUARD = Path(__file__).with_name("mcp_guard.py")
_TOOL_NAME = re.compile(TOOL_NAME_PATTERN)
_STOP_S = 8.0  # the SDK's own bounded shutdown takes at most ~6 s


def mcp_auth(entry: McpToolConfig) -> tuple[Any, str]:
    """The entry's auth (``bearer_env`` read as a bearer auth) and the key that gave it."""
    from gptkit.config.models import BearerAuth

    if entry.bearer_env:
        return BearerAuth(type="bearer", token_env=entry.bearer_env), "bearer_env"
    return (None if entry.auth == "none" else entry.auth), "auth"


def mcp_secrets(entry: McpToolConfig, environ: Mapping[str, str] | None = None) -> set[str]:
    """The secret values an entry sends (its token, key or password), to be hidden everywhere."""
    from gptkit.tools.auth import env_names

    environ = os.environ if environ is None else environ
    auth, _ = mcp_auth(entry)
    values = [environ[name] for name in env_names(auth) if environ.get(name)]
    found = {*values, *(f"Bearer {v}" for v in values)}
    if len(values) == 2:  # basic: the encoded pair too
        found.add(base64.b64encode(f"{values[0]}:{values[1]}".encode()).decode())
    return found


class McpServer:
    """One MCP server of an assistant: started on first need, always stopped by :meth:`aclose`."""

    def __init__(
        self,
        entry: McpToolConfig,
        folder: Path,
        root: Path,
        environ: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.entry = entry
        self.folder = folder
        self.root = root
        self.environ = dict(os.environ if environ is None else environ)
        self.secrets = tuple({*secrets, *mcp_secrets(entry, self.environ)})
        self.label = f"MCP server '{entry.name}'"
        self.tools: list[McpServerTool] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._client: Any = None
        self._errlog: IO[str] | None = None
        self._noise: list[str] = []  # stdout lines that were not MCP messages (the first few)
        self._noise_seen = 0
        self._timeout = 30.0
        self._restarting = asyncio.Lock()
        self._policy: _NotedPolicy | None = None  # over HTTP: where it may connect

    # -- life ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server was started and not stopped since."""
        return self._task is not None

    async def open(self, timeout: float) -> list[McpServerTool]:
        """Start the server (once) and return its tools; :class:`ToolError` when it cannot."""
        if self.tools is not None:
            return self.tools
        listing = await self._start(timeout)
        self.tools = self._select(listing)
        return self.tools

    async def aclose(self) -> None:
        """Stop the server and wait until it is gone (bounded); safe to call at any time."""
        task, self._task = self._task, None
        connected, self._client = self._client is not None, None
        if task is not None and not task.done():
            assert self._stop is not None
            if connected:
                self._stop.set()  # the SDK's shutdown: stdin closed, then the process tree ended
                done, _ = await asyncio.wait({task}, timeout=_STOP_S)
            if not connected or not done:
                task.cancel()  # still starting (or stuck): the SDK's shutdown is shielded
                await asyncio.wait({task}, timeout=_STOP_S)
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    async def _start(self, timeout: float) -> list[Any]:
        """Connect in a task of our own; the server's tool listing, or :class:`ToolError`."""
        if importlib.util.find_spec("mcp") is None:
            raise ToolError(
                f"{self.label}: MCP tools need the mcp package, which is not installed; install "
                "it with: pip install 'gptkit[mcp]'"
            )
        transport = await self._transport()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[list[Any]] = loop.create_future()
        self._stop = asyncio.Event()
        self._task = loop.create_task(self._serve(transport, ready, self._stop))
        self._timeout = timeout
        try:
            return await asyncio.wait_for(asyncio.shield(ready), timeout)
        except asyncio.TimeoutError:
            message = self._hide(
                f"{self.label} did not answer within {timeout:g} s of starting"
                f"{self._clues()}; check that {self._what()} runs an MCP server, or raise "
                "timeout_s in the assistant file"
            )
            await self.aclose()
            raise ToolError(message) from None
        except BaseException:
            await self.aclose()
            raise

    async def _serve(self, transport: Any, ready: asyncio.Future[list[Any]], stop: asyncio.Event) -> None:
        from mcp import Client, Implementation

        _quiet_sdk_logs()
        from gptkit import __version__

        try:
            async with Client(
                transport,
                mode="auto",
                cache=None,
                message_handler=self._on_message,
                client_info=Implementation(name="gptkit", version=__version__),
            ) as client:
                listing = await _list_all(client)
                self._client = client
                if not ready.done():
                    ready.set_result(listing)
                await stop.wait()
        except BaseException as exc:  # the SDK's task groups wrap what failed
            self._client = None
            if isinstance(exc, asyncio.CancelledError):
                ready.cancel()  # nobody waits any more (a start timeout, aclose)
            elif not ready.done():
                ready.set_exception(self._start_failure(exc))
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            self._client = None

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):  # a stdout line that is not JSON-RPC
            self._noise_seen += 1
            if len(self._noise) < 5:
                self._noise.append(_garbage_text(message))

    # -- transports -----------------------------------------------------------------------------

    async def _transport(self) -> Any:
        entry = self.entry
        if entry.command is not None:
            return self._stdio()
        return await self._http()

    def _stdio(self) -> Any:
        from mcp import StdioServerParameters, stdio_client

        entry = self.entry
        assert entry.command is not None
        cwd = self._cwd()
        env = {k: self.environ[k] for k in _INHERITED if k in self.environ}
        env.update(entry.env)
        found = _which(entry.command, env.get("PATH", ""), cwd)
        if found is None:
            raise ToolError(self._hide(
                f"{self.label}: the command {entry.command!r} was not found "
                f"({'in ' + str(cwd) if os.sep in entry.command else 'on PATH'}); install it, "
                "or correct command in the assistant file"
            ))
        self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        command, args = found, list(entry.args)
        if os.name == "posix":  # elsewhere the SDK's own job object ends the process tree
            import threading

            # the kernel's parent-death signal follows the starting thread: only the main one's
            watch = "pdeathsig" if threading.current_thread() is threading.main_thread() else "poll"
            command = sys.executable
            args = ["-I", str(_GUARD), str(os.getpid()), watch, found, *args]
        parameters = StdioServerParameters(
            command=command,
            args=args,
            env=env,
            cwd=cwd,
            encoding_error_handler="replace",
        )
        return stdio_client(parameters, errlog=self._errlog)

    def _cwd(self) -> Path:
        from gptkit.config.paths import inside

        entry = self.entry
        cwd = inside(self.folder, entry.cwd, self.root) if entry.cwd else self.folder
        if cwd is None:
            raise ToolError(
                f"{self.label}: cwd {entry.cwd!r} leads outside the project {self.root}; keep "
                "the server's folder inside the project"
            )
        if not cwd.is_dir():
            raise ToolError(f"{self.label}: cwd {entry.cwd!r} is not a folder ({cwd})")
        return cwd.resolve()

    async def _http(self) -> Any:
        from mcp.client.streamable_http import streamable_http_client

        from gptkit.tools._httplib import httpx
        from gptkit.tools.auth import Credentials, env_names
        from gptkit.tools.net import guarded_transport

        entry = self.entry
        assert entry.url is not None
        headers = dict(entry.headers)
        auth, key = mcp_auth(entry)
        for name in env_names(auth):
            if not self.environ.get(name):
                what = "the server's token" if key == "bearer_env" else "its value"
                raise ToolError(
                    f"{self.label}: the environment variable {name} ({key}) is not set; set it "
                    f"to {what}"
                )
        query: list[tuple[str, str]] = []
        await Credentials(auth, self.label, self.environ).apply(headers, query)
        for key, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in key or "\n" in key:
                raise ToolError(f"{self.label}: header {key!r} holds a line break; refused")
        # Where the client may connect: the URL's host only, public addresses only unless
        # allow_private_network, checked on the resolved address of each connection (net.py).
        # The SDK keeps redirects off (follow_redirects=False below) and on the endpoint's origin.
        policy = self._policy = _NotedPolicy(
            frozenset({urlsplit(entry.url).hostname or ""}),
            allow_private=entry.allow_private_network,
            tool=f"{self.label} at {entry.url}",
        )
        url = entry.url

        @contextlib.asynccontextmanager
        async def transport() -> Any:
            # The SDK leaves a client it was given open: ours is closed with the connection.
            # no proxy from the environment: it would connect on the tool's behalf (net.py's rule)
            async with httpx.AsyncClient(
                headers=headers, timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=False,
                trust_env=False, transport=guarded_transport(policy), params=query,
            ) as client:
                async with streamable_http_client(url, http_client=client) as streams:
                    yield streams

        return transport()

    # -- tools ----------------------------------------------------------------------------------

    def _select(self, listing: list[Any]) -> list[McpServerTool]:
        entry = self.entry
        offered = {tool.name: tool for tool in listing}
        names = ", ".join(sorted(offered)) or "none"
        for key, wanted in (("include", entry.include or []), ("exclude", entry.exclude)):
            missing = [n for n in wanted if n not in offered]
            if missing:
                raise ToolError(self._hide(
                    f"{self.label}: {key} names {', '.join(map(repr, missing))}, which the server "
                    f"does not offer (it offers: {names}); correct {key} in the assistant file"
                ))
        chosen = [
            tool for name, tool in offered.items()
            if (entry.include is None or name in entry.include) and name not in entry.exclude
        ]
        tools: list[McpServerTool] = []
        for tool in chosen:
            name = entry.prefix + tool.name
            if not _TOOL_NAME.match(name):
                fix = "shorten prefix, or " if len(name) > 64 and entry.prefix else ""
                raise ToolError(self._hide(
                    f"{self.label} offers a tool named {tool.name!r}, so its name for the model "
                    f"would be {name!r}, which is not a valid tool name (letters, digits, '_' and "
                    f"'-', 1 to 64 characters); {fix}leave it out with exclude"
                ))
            tools.append(McpServerTool(self, tool, name))
        return tools

    async def call(self, remote: str, arguments: dict[str, Any], shown: str) -> str:
        """Call the server's tool ``remote``; its result as text, or :class:`ToolFailure`."""
        from mcp import MCPError

        client = self._client
        if client is None:
            if self.tools is None:
                raise ToolFailure(f"{shown}: {self.label} is not started")
            async with self._restarting:  # parallel calls after a crash start it once
                if self._client is None:
                    await self._restart(shown)
            client = self._client
            if client is None:
                raise ToolFailure(self._hide(f"{shown} could not run: {self.label} stopped again"))
        limit = self._timeout
        mark = self._mark()
        try:
            result = await _bounded(client.call_tool(remote, arguments), limit)
        except asyncio.TimeoutError:
            raise ToolFailure(self._hide(
                f"{shown} did not answer within {limit:g} s (its timeout){self._clues(mark)}; it was "
                "abandoned and its result will not come"
            )) from None
        except Exception as exc:
            if _is_closed(exc) or self._task is None or self._task.done():
                message = self._stopped(shown, mark)
                await self.aclose()  # the next call starts it again
                raise ToolFailure(self._hide(message)) from None
            if isinstance(exc, MCPError):
                what = f"the server answered with an error: {_short(exc.error.message)}"
            else:
                what = f"{type(exc).__name__}: {_short(str(exc))}"
            raise ToolFailure(self._hide(f"{shown} failed: {what}{self._clues(mark)}")) from None
        text = result_text(result)
        if result.is_error:
            raise ToolFailure(self._hide(f"{shown} failed: {text or 'the server gave no reason'}"))
        return text

    async def _restart(self, shown: str) -> None:
        """After the server stopped: start it again for this call (its tools are kept)."""
        await self.aclose()
        try:
            await self._start(self._timeout)
        except ToolError as exc:
            raise ToolFailure(f"{shown} could not run: {exc}") from None

    # -- messages ------------------------------------------------------------------------------

    def _what(self) -> str:
        entry = self.entry
        if entry.command is not None:
            return " ".join([entry.command, *entry.args])
        return str(entry.url)

    def _refused(self) -> AddressRefused | None:
        """The last connection the network policy refused (the SDK logs it and closes)."""
        return self._policy.refused[-1] if self._policy and self._policy.refused else None

    def _stopped(self, shown: str, mark: tuple[int, int]) -> str:
        refused = self._refused()
        if refused is not None:
            return f"{shown} failed: {refused}"
        return (
            f"{shown} failed: {self.label} stopped during the call{self._clues(mark)}; it is "
            "started again for the next call"
        )

    def _mark(self) -> tuple[int, int]:
        """Where the server's stdout noise and stderr are now (clues are what comes after)."""
        size = 0
        if self._errlog is not None and not self._errlog.closed:
            with contextlib.suppress(OSError, ValueError):
                size = os.fstat(self._errlog.fileno()).st_size
        return self._noise_seen, size

    def _clues(self, mark: tuple[int, int] = (0, 0)) -> str:
        """What the server left since ``mark``: text on stdout that is not MCP, its last stderr line."""
        clues = []
        if self._noise_seen > mark[0] and self._noise:
            first = self._noise[min(mark[0], len(self._noise) - 1)]
            clues.append(f"it wrote text that is not MCP on its stdout: {first!r}")
        tail = self._stderr_tail(mark[1])
        if tail:
            clues.append(f"its stderr ends with: {tail!r}")
        return f" ({'; '.join(clues)})" if clues else ""

    def _stderr_tail(self, offset: int = 0) -> str:
        log = self._errlog
        if log is None or log.closed:
            return ""
        try:
            log.flush()
            size = os.fstat(log.fileno()).st_size
            log.seek(max(offset, size - 4000))
            lines = [line.strip() for line in log.read().splitlines() if line.strip()]
        except (OSError, ValueError):
            return ""
        return _short(lines[-1], 200) if lines else ""

    def _start_failure(self, exc: BaseException) -> ToolError:
        inner = _innermost(exc)
        if isinstance(inner, ToolError):
            return inner
        refused = inner if isinstance(inner, AddressRefused) else self._refused()
        if refused is not None:  # the network policy: its message says what to do
            return ToolError(self._hide(str(refused)))
        if self.entry.command is not None:
            what = "exited before it answered" if _is_closed(inner) else f"failed to start ({_describe(inner)})"
            return ToolError(self._hide(
                f"{self.label} ({self._what()}) {what}{self._clues()}; run the command yourself "
                "to see why, or correct command and args in the assistant file"
            ))
        return ToolError(self._hide(
            f"{self.label} at {self.entry.url} could not be reached ({_describe(inner)}); check "
            "that the server runs and the url is its MCP endpoint"
        ))

    def _hide(self, text: str) -> str:
        return redact(text, self.secrets) if self.secrets else text


@dataclass(frozen=True)
class _NotedPolicy(Policy):
    """net.Policy that keeps what it refused: the SDK's transport swallows the error."""

    refused: list[AddressRefused] = field(default_factory=list, compare=False)

    async def addresses(self, host: str, port: int) -> list[str]:
        try:
            return await super().addresses(host, port)
        except AddressRefused as exc:
            self.refused.append(exc)
            raise


class McpServerTool(Tool):
    """One tool of an MCP server, as the model sees it."""

    def __init__(self, server: McpServer, tool: Any, name: str) -> None:
        from gptkit.config.strict import strict_issues

        schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
        if schema.get("type") != "object":
            schema = {"type": "object", "properties": {}, **{k: v for k, v in schema.items() if k != "type"}}
        strict = not any(True for _ in strict_issues(schema))
        description = (tool.description or tool.title or "")[:1024]
        super().__init__(
            spec=ToolSpec(name, description, schema, strict),
            confirm=server.entry.confirm,
            # the server's own bound (McpServer.call) says more; this one is the dispatcher's backstop
            timeout_s=server._timeout + 1,
        )
        self.server = server
        self.remote = tool.name
        self._arguments = _arguments(schema, name)

    def parse(self, arguments: str) -> dict[str, Any]:
        """Check the model's JSON against the server's input schema."""
        parsed: dict[str, Any] = self._arguments.parse(arguments)
        return parsed

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        """Call the tool on the server."""
        return await self.server.call(self.remote, arguments, self.name)


def _arguments(schema: dict[str, Any], name: str) -> Any:
    from gptkit.tools.arguments import SchemaArguments

    try:
        return SchemaArguments(schema, name)
    except ToolError:  # the server's schema is not valid JSON Schema: check the shape only
        return _ObjectArguments(name)


class _ObjectArguments:
    def __init__(self, name: str) -> None:
        self.name = name

    def parse(self, raw: str) -> dict[str, Any]:
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ToolArgumentsError(f"invalid arguments for {self.name}: not valid JSON") from None
        if not isinstance(data, dict):
            raise ToolArgumentsError(f"invalid arguments for {self.name}: expected a JSON object")
        return data


def result_text(result: Any) -> str:
    """A tool result as the model reads it: its text parts; else its structured content as JSON."""
    parts: list[str] = []
    for block in result.content or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} {getattr(block, 'mime_type', '')}, not shown]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(text if isinstance(text, str) else f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
    if not parts and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False, default=str)
    return "\n".join(parts)


async def _list_all(client: Any) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(100):  # a server that pages forever does not hold the start forever
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


async def _bounded(awaitable: Any, timeout: float) -> Any:
    if sys.version_info >= (3, 11):  # a deadline on this task: no task of its own per call
        async with asyncio.timeout(timeout):
            return await awaitable
    return await asyncio.wait_for(awaitable, timeout)


def _quiet_sdk_logs() -> None:
    """The SDK logs what it survives (a line of garbage, a closed pipe) with tracebacks; gptkit
    reports those in its own words, so without a logging setup of the application they stay quiet."""
    import logging

    for name in ("mcp", "client"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def _which(command: str, path: str, cwd: Path) -> str | None:
    if os.sep in command:
        candidate = (cwd / command) if not os.path.isabs(command) else Path(command)
        return str(candidate) if os.access(candidate, os.X_OK) and candidate.is_file() else None
    found = shutil.which(command, path=path)
    return os.path.abspath(found) if found else None  # a relative PATH entry is gptkit's, not cwd's


def _innermost(exc: BaseException) -> BaseException:
    inner = getattr(exc, "exceptions", None)  # an (anyio) exception group: its first cause
    while isinstance(inner, tuple) and inner and isinstance(inner[0], BaseException):
        exc = inner[0]
        inner = getattr(exc, "exceptions", None)
    return exc


def _is_closed(exc: BaseException) -> bool:
    from mcp import MCPError

    if isinstance(exc, MCPError):
        return _closed(exc)
    import anyio

    return isinstance(exc, (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream))


def _closed(exc: Any) -> bool:
    from mcp_types import CONNECTION_CLOSED

    return getattr(getattr(exc, "error", None), "code", None) == CONNECTION_CLOSED


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {_short(text)}" if text else type(exc).__name__


def _garbage_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        with contextlib.suppress(Exception):
            found = errors()
            if found and isinstance(found[0].get("input"), str):
                return _short(found[0]["input"], 100)
    return _short(str(exc), 100)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

