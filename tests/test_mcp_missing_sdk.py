"""Without the mcp package, an MCP entry is a clear error naming the server and the extra."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from mcp_support import assistant

import gptkit
from gptkit.errors import ToolError


def test_a_missing_mcp_package_is_named_with_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "mcp" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    path = assistant(tmp_path)
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1", environ={}) as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value) == (
        "MCP server 'box': MCP tools need the mcp package, which is not installed; install it "
        "with: pip install 'gptkit[mcp]'"
    )
