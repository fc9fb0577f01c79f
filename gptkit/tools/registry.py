"""The tools of an assistant, ready for the runtime: one :class:`Tool` per entry of ``tools``.

Python tools are located first (:func:`gptkit.tools.resolve.locate`, which imports nothing) and
imported only when the reference is allowed; with ``memory.long_term``, ``remember`` and
``forget`` are added when the file does not list them.
"""

from __future__ import annotations

from pathlib import Path

from gptkit.config.models import Assistant, BuiltinTool
from gptkit.config.models import PythonTool as PythonToolConfig
from gptkit.config.names import MEMORY_BUILTINS
from gptkit.errors import ToolError
from gptkit.tools.base import Tool
from gptkit.tools.builtin import builtin_tool
from gptkit.tools.python import PythonTool, load_function
from gptkit.tools.resolve import ResolveError, locate


def build_tools(config: Assistant, root: Path) -> list[Tool]:
    """Prepare every tool of ``config``; ``root`` is the project folder.

    Raises:
        ToolError: a reference is refused, or a module fails to import, or a function's
            parameters cannot be described to the model; the message names the tool.
    """
    tools: list[Tool] = []
    for entry in config.tools:
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
            tools.append(python_tool(entry, root))
    if config.memory.long_term:
        listed = {tool.name for tool in tools}
        tools.extend(builtin_tool(name) for name in MEMORY_BUILTINS if name not in listed)
    return tools


def python_tool(entry: PythonToolConfig, root: Path) -> PythonTool:
    """Locate, import and describe one ``type: python`` tool."""
    try:
        target = locate(entry.function, root)
    except ResolveError as exc:  # refused before anything is imported
        hint = f" ({exc.hint})" if exc.hint else ""
        raise ToolError(
            f"tool '{entry.name}' ({entry.function}) cannot be used: {exc.message}{hint}."
        ) from exc
    function = load_function(target, root, entry.name, entry.function)
    return PythonTool.from_function(
        function,
        name=entry.name,
        description=entry.description,
        parameters=entry.parameters,
        strict=entry.strict,
        confirm=entry.confirm,
        timeout_s=entry.timeout_s,
    )
