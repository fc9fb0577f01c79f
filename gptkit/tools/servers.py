"""The tools that need a connection first (MCP servers): started on first need, always stopped.

A :class:`ToolServers` is the session's one hook for them: :meth:`ToolServers.open` starts every
server not started yet and adds its tools to the session's tools (each name checked to be unique
across the assistant); :meth:`ToolServers.aclose` stops them all. Building one starts nothing
and imports no SDK, so ``render`` without ``--connect`` and ``validate`` never start a server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from gptkit.config.models import Assistant, McpTool
from gptkit.errors import ToolError
from gptkit.tools.base import Tool
from gptkit.tools.mcp import McpServer, mcp_secrets


class ToolServers:
    """The MCP servers of one assistant, for one session."""

    def __init__(
        self,
        config: Assistant,
        root: Path,
        folder: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if folder is None:
            source = config.source_path
            folder = Path(source).parent if source is not None else root
        self.timeout = config.limits.tool_timeout_s
        self.servers = [
            McpServer(entry, folder, root, environ, tuple(config.secret_values))
            for entry in config.tools
            if isinstance(entry, McpTool)
        ]

    @property
    def pending(self) -> list[str]:
        """The names of the servers not started yet."""
        return [s.entry.name for s in self.servers if s.tools is None]

    @property
    def running(self) -> bool:
        """Whether any server was started (and may need stopping)."""
        return any(s.running for s in self.servers)

    async def open(self, tools: dict[str, Tool]) -> None:
        """Start the servers not started yet (together); add their tools to ``tools``.

        Raises:
            ToolError: a server cannot be started or listed, or one of its tools takes a name
                already used in the assistant; the message names the server.
        """
        waiting = [s for s in self.servers if s.tools is None]
        if not waiting:
            return
        found = await asyncio.gather(
            *(s.open(s.entry.timeout_s or self.timeout) for s in waiting), return_exceptions=True
        )
        for server, result in zip(waiting, found, strict=True):
            if isinstance(result, BaseException):
                raise result
            for tool in result:
                if tool.name in tools:
                    other = tools[tool.name]
                    owner = other.server.label if hasattr(other, "server") else "another tool"
                    raise ToolError(
                        f"{server.label} offers a tool named '{tool.name}', and {owner} already "
                        "uses that name; set prefix on the mcp entry (prefix: "
                        f"{server.entry.name}_), or leave the tool out with exclude"
                    )
                tools[tool.name] = tool

    async def aclose(self) -> None:
        """Stop every server (each waits for its processes to end, bounded)."""
        await asyncio.gather(*(s.aclose() for s in self.servers), return_exceptions=True)


def server_secrets(config: Assistant, environ: Mapping[str, str] | None = None) -> set[str]:
    """The secret values the assistant's MCP entries send (bearer tokens)."""
    found: set[str] = set()
    for entry in config.tools:
        if isinstance(entry, McpTool):
            found |= mcp_secrets(entry, environ)
    return found
