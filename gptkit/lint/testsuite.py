"""Checks of a test file (``*.test.yaml``) against the assistant it names, for ``gptkit validate``.

After the schema (:mod:`gptkit.config.testsuite_file`): the assistant file exists; every mocked
tool and every tool a turn expects is one of its tools; every ``vars`` key is one of its
variables; and each case's cassette is there (a warning: ``gptkit test --record`` writes it).
Nothing here imports or runs project code, nor pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gptkit.config.compose import Composed, compose
from gptkit.config.names import KNOWLEDGE_TOOL, MEMORY_BUILTINS
from gptkit.config.paths import inside
from gptkit.config.problems import Problem
from gptkit.config.testsuite_file import cassette_path, check_test_file


def check_test_suite(path: Path, root: Path | None = None) -> list[Problem]:
    """Every problem of the test file ``path``."""
    problems, doc = check_test_file(path)
    blocking = [p for p in problems if p.severity == "error" and p.code != "duplicate-case"]
    if blocking or not isinstance(doc.data, dict):
        return problems
    composed = Composed(path, path.parent, doc.data, doc.nodes, problems, [doc])
    data: dict[str, Any] = doc.data
    target = path.parent / data["assistant"]
    if not target.is_file():
        composed.problem(
            ("assistant",), "unknown-assistant",
            f"the assistant file {data['assistant']} does not exist (looked for {target})",
            "name the assistant file relative to this test file",
        )
    else:
        tools, variables = _assistant_names(target, root)
        if tools is not None or variables is not None:
            _check_names(composed, data, tools, variables, data["assistant"])
    for index, case in enumerate(data["cases"]):
        cassette = cassette_path(path, case["name"])
        if not cassette.is_file():
            composed.problem(
                ("cases", index, "name"), "missing-cassette",
                f"case {case['name']!r} has no cassette yet "
                f"({cassette.relative_to(path.parent).as_posix()}, beside the test file)",
                f"record it with `gptkit test --record {path} -k '{case['name']}'`",
                severity="warning",
            )
    return composed.problems


def _assistant_names(target: Path, root: Path | None) -> tuple[set[str] | None, set[str] | None]:
    """The tool names and variable names of the assistant file (None when it cannot be read)."""
    assistant = compose(target, root, mode="validate")
    data = assistant.data
    if not isinstance(data, dict):
        return None, None
    entries = [t for t in data.get("tools") or () if isinstance(t, dict)]
    if any(t.get("type") == "mcp" for t in entries):
        tools_known = False  # an MCP server's tools are known only once it runs
    else:
        tools_known = True
    tools = {t["name"] for t in entries if isinstance(t.get("name"), str)}
    for entry in entries:
        if entry.get("type") == "openapi":
            names = _openapi_names(assistant, entry)
            if names is None:
                tools_known = False
            else:
                tools.update(names)
    memory = data.get("memory")
    if isinstance(memory, dict) and memory.get("long_term") is True:
        tools.update(MEMORY_BUILTINS)
    knowledge = data.get("knowledge")
    if isinstance(knowledge, dict) and knowledge.get("mode", "tool") == "tool":
        tools.add(KNOWLEDGE_TOOL)
    declared = data.get("variables")
    variables = set(declared) if isinstance(declared, dict) else set()
    return (tools if tools_known else None), variables


def _openapi_names(assistant: Composed, entry: dict[str, Any]) -> set[str] | None:
    """The tool names an ``openapi`` entry makes (None when its file cannot be read)."""
    from gptkit.tools.openapi.operations import read_spec

    name = entry.get("spec")
    spec_file = inside(assistant.path.parent, name, assistant.root) if isinstance(name, str) else None
    if spec_file is None or not spec_file.is_file():
        return None
    prefix = entry["prefix"] if isinstance(entry.get("prefix"), str) else ""
    operations = entry.get("operations")
    select = [o for o in operations if isinstance(o, str)] if isinstance(operations, list) else None
    spec = read_spec(spec_file, prefix=prefix, select=select)
    return None if spec.errors else {op.name for op in spec.operations}


def _check_names(
    composed: Composed, data: dict[str, Any], tools: set[str] | None,
    variables: set[str] | None, assistant: str,
) -> None:
    """``tools`` is None when they cannot be known without running anything (MCP servers)."""
    known = ", ".join(sorted(tools or ())) or "none"

    def tool(where: tuple[str | int, ...], name: str, what: str) -> None:
        if tools is not None and name not in tools:
            composed.problem(
                where, "unknown-tool", f"{what} {name!r} is not a tool of {assistant} "
                f"(its tools: {known})", "use the name of one of the assistant's tools",
                at_key=True,
            )

    for name in data.get("tools") or {}:
        tool(("tools", name), name, "the mocked tool")
    for index, case in enumerate(data["cases"]):
        for name in case.get("tools") or {}:
            tool(("cases", index, "tools", name), name, "the mocked tool")
        for key in case.get("vars") or {}:
            if variables is not None and key not in variables:
                composed.problem(
                    ("cases", index, "vars", key), "unknown-variable",
                    f"{key!r} is not a variable of {assistant} "
                    f"(its variables: {', '.join(sorted(variables)) or 'none'})",
                    "declare it under variables: in the assistant file, or remove it here",
                    at_key=True,
                )
        for number, turn in enumerate(case["turns"]):
            for position, call in enumerate((turn.get("expect") or {}).get("tool_calls") or ()):
                tool(("cases", index, "turns", number, "expect", "tool_calls", position, "name"),
                     call["name"], "the expected tool")
