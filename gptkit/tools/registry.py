"""The tools of an assistant, ready for the runtime: one :class:`Tool` per entry of ``tools``.

Python tools are located first (:func:`gptkit.tools.resolve.locate`, which imports nothing) and
imported only when the reference is allowed; with ``memory.long_term``, ``remember`` and
``forget`` are added when the file does not list them. An ``openapi`` entry becomes one tool per
operation of its file; ``http`` one tool. Their credentials are read from the environment at the
first call (:mod:`gptkit.tools.auth`), and httpx is imported only then.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gptkit.config.models import Assistant, BuiltinTool, HttpTool, McpTool, OpenAPITool
from gptkit.config.models import PythonTool as PythonToolConfig
from gptkit.config.names import MEMORY_BUILTINS
from gptkit.errors import ToolError
from gptkit.tools.base import Tool
from gptkit.tools.builtin import builtin_tool
from gptkit.tools.python import PythonTool, load_function
from gptkit.tools.resolve import ResolveError, locate


def build_tools(
    config: Assistant,
    root: Path,
    folder: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Tool]:
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
        elif isinstance(entry, OpenAPITool):
            from gptkit.tools.remote import openapi_tools

            tools.extend(openapi_tools(entry, config, folder, root, environ))
        elif isinstance(entry, HttpTool):
            from gptkit.tools.remote import http_tool

            tools.append(http_tool(entry, config, environ))
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


def tool_secrets(config: Assistant, environ: Mapping[str, str] | None = None) -> set[str]:
    """The values of the environment variables that network tools' ``auth`` names (if set)."""
    import os

    from gptkit.tools.auth import env_names

    environ = os.environ if environ is None else environ
    found: set[str] = set()
    for entry in config.tools:
        if isinstance(entry, (OpenAPITool, HttpTool)):
            found.update(environ[n] for n in env_names(entry.auth) if environ.get(n))
    return found
