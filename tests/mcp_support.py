"""Helpers of the MCP tests: an assistant around tests/mcp_servers/toolbox.py, and process checks.

Each test marks its server with a unique word on the command line (the toolbox ignores it, and
the children it spawns carry one too), so "no process left" is: no process whose command line
holds the word. Processes are read from /proc (Linux) or ``ps`` elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

TOOLBOX = Path(__file__).parent / "mcp_servers" / "toolbox.py"


def marker() -> str:
    return f"mcp-test-{uuid.uuid4().hex[:12]}"


def assistant(folder: Path, *server_args: str, extra: str = "", entry: str = "", tools: str = "",
              name: str = "box", limits: str = "") -> Path:
    """Write an assistant whose one mcp entry runs the toolbox with ``server_args``."""
    args = json.dumps([str(TOOLBOX), *server_args])
    text = f"""\
version: 1
name: mcp-test
model:
  name: gpt-4o-mini
instructions: Use the tools.
tools:
  - type: mcp
    name: {name}
    command: {json.dumps(sys.executable)}
    args: {args}
{entry}{tools}{extra}{limits}"""
    path = folder / "assistant.yaml"
    path.write_text(text)
    return path


def http_assistant(folder: Path, url: str, entry: str = "") -> Path:
    """Write an assistant whose one mcp entry, ``remote``, reaches ``url``, plus ``entry`` lines."""
    path = folder / "assistant.yaml"
    path.write_text(f"""\
version: 1
name: mcp-http
model:
  name: gpt-4o-mini
instructions: Use the tools.
tools:
  - type: mcp
    name: remote
    url: {url}
{entry}""")
    return path


def processes_with(word: str) -> list[str]:
    """The command lines of live (not zombie) processes that hold ``word``."""
    found = []
    if Path("/proc").is_dir():
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if word in cmdline and state != "Z":
                found.append(f"{entry.name}: {cmdline.strip()}")
        return found
    out = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if word in line and " Z" not in line[:12]]


def wait_until_gone(word: str, within: float = 30.0) -> list[str]:
    """Poll until no process holds ``word`` (a generous bound); what is left at the end."""
    deadline = time.monotonic() + within
    left = processes_with(word)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = processes_with(word)
    return left


def wait_until_present(word: str, count: int = 1, within: float = 60.0) -> list[str]:
    deadline = time.monotonic() + within
    found = processes_with(word)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        found = processes_with(word)
    return found


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    env.update(extra)
    return env
