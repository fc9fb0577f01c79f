"""The tools of an assistant, ready for the runtime: one :class:`Tool` per entry of ``tools``.

Python tools are located first (:func:`gptkit.tools.resolve.locate`, which imports nothing) and
imported only when the reference is allowed; with ``memory.long_term``, ``remember`` and
``forget`` are added when the file does not list them.
"""

from __future__ import annotations

from pathlib import Path

from gptkit.config.models import Assistant, BuiltinTool, McpTool
from gptkit.config.models import PythonTool as PythonToolConfig
from gptkit.config.names import MEMORY_BUILTINS
from gptkit.errors import ToolError
from gptkit.tools.base import Tool
from gptkit.tools.builtin import builtin_tool
from gptkit.tools.python import PythonTool, load_function
from gptkit.tools.resolve import ResolveError, locate


def build_tools(config: Assistant, root: Path, folder: Path | None = None) -> list[Tool]:
    """Prepare every tool of ``config``.

    Python modules are looked up in ``folder``, the assistant file's folder (by default the
    folder of ``config.source_path``, else ``root``); ``root``, the project folder, only bounds
    where their files may lead (``--root`` widens it, it does not move the lookup).

    Raises:
        ToolError: a reference is refused, or a module fails to import, or a function's
            parameters cannot be described to the model; the message names the tool.
    """
    if folder is None:
        source = config.source_path
        folder = Path(source).parent if source is not None else root
    tools: list[Tool] = []
    for entry in config.tools:
        if isinstance(entry, McpTool):
            continue  # a server's tools are known once it runs: gptkit.tools.servers
        if isinstance(entry, BuiltinTool):
            tools.append(
                builtin_tool(
                    entry.name,
                    description=entry.description,
                    strict=entry.strict,
                    confirm=entry.confirm,
                    timeout_s=entry.timeout_s,
                )
            )
        else:
            tools.append(python_tool(entry, folder, root))
    if config.memory.long_term:
        listed = {tool.name for tool in tools}
        tools.extend(builtin_tool(name) for name in MEMORY_BUILTINS if name not in listed)
    return tools


def python_tool(entry: PythonToolConfig, folder: Path, root: Path | None = None) -> PythonTool:
    """Locate (in ``folder``, kept inside ``root``), import and describe one python tool."""
    try:
        target = locate(entry.function, folder, root)
    except ResolveError as exc:  # refused before anything is imported
        hint = f" ({exc.hint})" if exc.hint else ""
        raise ToolError(
            f"tool '{entry.name}' ({entry.function}) cannot be used: {exc.message}{hint}."
        ) from exc
    function = load_function(target, folder, entry.name, entry.function)
    return PythonTool.from_function(
        function,
        name=entry.name,
        description=entry.description,
        parameters=entry.parameters,
        strict=entry.strict,
        confirm=entry.confirm,
        timeout_s=entry.timeout_s,
    )
