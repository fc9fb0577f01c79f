"""Checks of the instructions template and the files it includes, at YAML or template lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.problems import Problem
from gptkit.config.yamlfile import is_within, read_text
from gptkit.lint.pasted import pasted_hint, whole_objects

CUSTOM_GPT_LIMIT = 8000
MAX_INCLUDES = 50


def check_templates(composed: Composed) -> str | None:
    """Check the instructions (inline or file) and their includes; return the template text."""
    data = composed.data
    variables = data.get("variables")
    declared = frozenset(variables) if isinstance(variables, dict) else frozenset()
    folder = composed.path.parent
    inline = data.get("instructions")
    plain = data.get("instructions_format") == "plain"  # text, not a template: nothing to check
    if isinstance(inline, str) and plain:
        return inline
    if isinstance(inline, str):
        node = composed.node(("instructions",))
        lines: list[str] = []  # the YAML file's lines, split only when a problem needs them

        def place(line: int) -> tuple[Path, int, int]:
            if node.style in ("|", ">"):
                if not lines:
                    lines.extend(_document_text(composed, node.path).splitlines())
                yaml_line = node.line + line
                text = lines[yaml_line - 1] if 0 < yaml_line <= len(lines) else ""
                return node.path, yaml_line, len(text) - len(text.lstrip()) + 1
            return node.path, node.line + line - 1, node.column

        _check_source(composed, inline, declared, folder, place, "instructions", set())
        return inline
    name = data.get("instructions_file")
    if not isinstance(name, str) or not name:
        return None
    from gptkit.prompts.sandbox import template_path

    path = template_path(composed.path.parent, name)
    if path is None or not is_within(path, composed.root):
        composed.problem(
            ("instructions_file",),
            "path-outside",
            f"'{name}' leads outside the assistant's folder",
            "keep template files inside the folder of the assistant file",
        )
        return None
    if not path.is_file():
        composed.problem(
            ("instructions_file",), "missing-file", f"the template file '{name}' does not exist"
        )
        return None
    text = read_text(path, composed.problems, "template file")
    if text is None or plain:
        return text
    _check_source(composed, text, declared, folder, lambda line: (path, line, 1), "", set())
    return text


def _check_source(
    composed: Composed,
    source: str,
    declared: frozenset[str],
    folder: Path,
    place: Any,
    label: str,
    seen: set[Path],
) -> None:
    from gptkit.prompts.analysis import analyze
    from gptkit.prompts.sandbox import template_path

    result = analyze(source, declared)
    for issue in result.issues:
        path, line, column = place(issue.line)
        hint = pasted_hint(source, issue.code, issue.message) or issue.hint
        composed.problems.append(Problem(path, line, column, label, issue.code, issue.message, hint))
    for line, code, message, hint in whole_objects(source):
        path, line, column = place(line)
        composed.problems.append(
            Problem(path, line, column, label, code, message, hint, severity="warning")
        )
    for name, line in result.includes:
        path, yaml_line, column = place(line)
        target = template_path(folder, name)

        def report(code: str, message: str, hint: str | None = None) -> None:
            composed.problems.append(  # noqa: B023 - used at once, inside this iteration
                Problem(path, yaml_line, column, label, code, message, hint)  # noqa: B023
            )

        if target is None:
            report(
                "path-outside",
                f"the include '{name}' leads outside the assistant's folder",
                "includes name files inside the assistant's folder, without '..'",
            )
            continue
        if not target.is_file():
            report(
                "missing-file",
                f"the included template '{name}' does not exist",
                "include names are relative to the assistant's folder",
            )
            continue
        if target in seen or len(seen) >= MAX_INCLUDES:
            continue
        seen.add(target)
        text = read_text(target, composed.problems, "template file")
        if text is not None:
            _check_source(composed, text, declared, folder, lambda n, t=target: (t, n, 1), "", seen)


def _document_text(composed: Composed, path: Path) -> str:
    for doc in composed.documents:
        if doc.path == path:
            return doc.text
    return ""
