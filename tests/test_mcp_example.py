"""examples/mcp-server replays offline: its MCP server really runs, the answer is the recorded one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mcp_support import clean_env

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "mcp-server"


def test_the_example_replays_offline_with_its_server() -> None:
    env = clean_env()
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"  # the python with mcp
    result = subprocess.run(
        [sys.executable, "-m", "gptkit", "run", str(EXAMPLE / "assistant.yaml"),
         "Who answers pages, and how fast?", "--replay", str(EXAMPLE / "mcp-server.cassette.yaml")],
        capture_output=True, text=True, env=env, timeout=120, start_new_session=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The on-call engineer answers pages, within 15 minutes.\n"
    assert "← The on-call engineer answers pages within 15 minutes; hand over on Mondays" \
        in result.stderr
