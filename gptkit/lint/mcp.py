"""Checks of ``type: mcp`` entries, by their shape only: validate never starts a server.

The schema already requires command or url (``mcp-transport``), a scheme on the url and valid
names; here: the server's folder stays inside the project (``mcp-cwd``), a command given as a
path exists (``mcp-command``, a warning: it may be built later), include and exclude do not
name the same tool, auth and bearer_env are not both given (``mcp-auth``), and headers hold
no line breaks (``mcp-header``).
"""

from __future__ import annotations

import os
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.paths import inside
from gptkit.config.yamlfile import YPath


def check_mcp_tools(composed: Composed) -> None:
    """Check every ``type: mcp`` entry of ``tools``."""
    tools = composed.data.get("tools")
    if not isinstance(tools, list):
        return
    for index, tool in enumerate(tools):
        if isinstance(tool, dict) and tool.get("type") == "mcp":
            _check(composed, tool, ("tools", index))


def _check(composed: Composed, tool: dict[str, Any], path: YPath) -> None:
    folder = composed.path.parent
    cwd = tool.get("cwd")
    where = folder
    if isinstance(cwd, str) and cwd:
        found = inside(folder, cwd, composed.root)
        if found is None:
            composed.problem(
                (*path, "cwd"),
                "mcp-cwd",
                f"cwd {cwd!r} leads outside the project",
                "give a folder relative to this file, inside the project",
            )
            return
        if not found.is_dir():
            composed.problem(
                (*path, "cwd"),
                "mcp-cwd",
                f"cwd {cwd!r} is not a folder",
                f"create {found}, or correct cwd",
                severity="warning",
            )
            return
        where = found
    command = tool.get("command")
    if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
        if not (where / command).is_file():
            composed.problem(
                (*path, "command"),
                "mcp-command",
                f"the command {command!r} is not a file (relative to the server's folder {where})",
                "correct command, or give a program on PATH such as python or npx",
                severity="warning",
            )
    include, exclude = tool.get("include"), tool.get("exclude")
    if isinstance(include, list) and isinstance(exclude, list):
        both = [n for n in include if n in exclude]
        if both:
            composed.problem(
                (*path, "exclude"),
                "mcp-filter",
                f"{', '.join(map(repr, both))} is both included and excluded",
                "name each tool in include or in exclude, not both",
                severity="warning",
            )
    if "bearer_env" in tool and "auth" in tool:
        composed.problem(
            (*path, "bearer_env"),
            "mcp-auth",
            "an mcp tool has both bearer_env and auth",
            "keep one: auth: {type: bearer, token_env: NAME} is the same as bearer_env: NAME",
        )
    headers = tool.get("headers")
    if isinstance(headers, dict):
        for key, value in headers.items():
            if any(c in f"{key}{value}" for c in "\r\n"):
                composed.problem(
                    (*path, "headers", key),
                    "mcp-header",
                    f"the header {key!r} holds a line break",
                    "a header is one line; remove the line break",
                )
