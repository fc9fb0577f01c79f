"""Semantic checks of a composed assistant file, run after the schema check.

Each check reads the composed data defensively (it may have failed the schema), so every
problem of a file is found in one pass. Nothing here imports or runs project code.
"""

from __future__ import annotations

from gptkit.config.compose import Composed
from gptkit.lint.knowledge import check_knowledge
from gptkit.lint.mcp import check_mcp_tools
from gptkit.lint.network import check_network
from gptkit.lint.templates import check_templates
from gptkit.lint.tools import check_json_schema, check_tools
from gptkit.lint.values import (
    check_base_url,
    check_redact,
    check_secrets,
    check_size,
    check_variables,
)


def lint(composed: Composed, *, knowledge_files: bool = True) -> None:
    """Run every semantic check on ``composed``, appending to ``composed.problems``.

    ``knowledge_files=False`` (loading to run) leaves the knowledge files to the runtime, which
    reports one it cannot read and searches the others.
    """
    check_secrets(composed)
    if not isinstance(composed.data, dict):
        return
    template = check_templates(composed)
    check_size(composed, template)
    check_variables(composed)
    check_base_url(composed)
    check_tools(composed)
    check_network(composed)
    check_mcp_tools(composed)
    check_redact(composed)
    if knowledge_files:
        check_knowledge(composed)
    output = composed.data.get("output")
    if isinstance(output, dict) and isinstance(output.get("schema"), dict):
        check_json_schema(
            composed,
            output["schema"],
            ("output", "schema"),
            strict=output.get("strict", True) is True,
            what="output.schema",
        )


__all__ = ["lint"]
