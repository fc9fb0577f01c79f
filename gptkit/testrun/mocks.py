"""Tool mocks (``tools:`` of a test file): a named tool answers a fixed result or fails, and does
not run. The model sees the same tool (name, description, parameters); its arguments are still
checked by the real tool's rules, so a call the real tool would refuse is refused here too."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gptkit.config.testsuite import Mock
from gptkit.tools.base import Tool, ToolContext, ToolFailure


@dataclass
class MockTool(Tool):
    """A stand-in for a tool: ``mock.result`` or ``mock.error``, whatever the arguments."""

    real: Tool | None = None
    mock: Mock | None = None

    def parse(self, arguments: str) -> dict[str, Any]:
        assert self.real is not None
        return self.real.parse(arguments)

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        assert self.mock is not None
        if self.mock.error is not None:
            raise ToolFailure(self.mock.error)
        result = self.mock.result
        return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)


def overrides(mocks: Mapping[str, Mock]) -> Callable[[Tool], Tool] | None:
    """The ``tool_override`` of :class:`gptkit.Session` that puts ``mocks`` in (None: none)."""
    if not mocks:
        return None

    def override(tool: Tool) -> Tool:
        mock = mocks.get(tool.name)
        if mock is None:
            return tool
        # confirm: a mock has no side effect to confirm; the timeout is the real tool's
        return MockTool(tool.spec, confirm=False, timeout_s=tool.timeout_s, real=tool, mock=mock)

    return override
