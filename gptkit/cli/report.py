"""How ``validate`` prints problems: text for people, JSON for tools, GitHub annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from gptkit.config.problems import Problem
from gptkit.loading import Report


def _unique(reports: list[Report]) -> list[Problem]:
    """Every problem once, even when several files extend the same broken partial."""
    seen: dict[tuple[object, ...], Problem] = {}
    for report in reports:
        for p in report.problems:
            seen.setdefault((p.path, p.line, p.column, p.code, p.message), p)
    return list(seen.values())


def _counts(problems: list[Problem], strict: bool) -> tuple[int, int]:
    errors = sum(p.severity == "error" or strict for p in problems)
    return errors, len(problems) - errors


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _shown(path: Path) -> str:
    return os.path.normpath(path)


def render_text(
    reports: list[Report],
    *,
    strict: bool = False,
    color: bool = False,
    sources: bool = False,
    notices: Sequence[Problem] = (),
) -> str:
    """``path:line:col: error: location: message [code]`` lines, hints, and a summary.

    ``notices`` are problems of the run rather than of one file (a folder with no assistant
    file): printed after the files' problems and counted in the totals, not as files.
    """
    red, yellow, cyan, bold, reset = (
        ("\033[31m", "\033[33m", "\033[36m", "\033[1m", "\033[0m") if color else ("",) * 5
    )
    lines: list[str] = []
    cache: dict[Path, list[str]] = {}
    problems = _unique(reports) + list(notices)
    for p in problems:
        severity = "error" if strict else p.severity
        tint = red if severity == "error" else yellow
        where = f"{_shown(p.path)}:{p.line}:{p.column}" if p.line else _shown(p.path)
        location = f"{p.location}: " if p.location else ""
        lines.append(
            f"{bold}{where}{reset}: {tint}{severity}{reset}: {location}{p.message} [{p.code}]"
        )
        if sources and p.line:
            text = _source_line(p.path, p.line, cache)
            if text is not None:
                gutter = " " * len(str(p.line))
                lines.append(f"{cyan}{p.line} |{reset} {text}")
                lines.append(f"{cyan}{gutter} |{reset} {' ' * max(p.column - 1, 0)}{tint}^{reset}")
        if p.hint:
            lines.append(f"    = hint: {p.hint}")
    errors, warnings = _counts(problems, strict)
    lines.append(
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in "
        f"{_plural(len(reports), 'file')}"
    )
    return "\n".join(lines) + "\n"


def _source_line(path: Path, line: int, cache: dict[Path, list[str]]) -> str | None:
    if path not in cache:
        try:
            cache[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    text = cache[path]
    return text[line - 1].expandtabs() if 0 < line <= len(text) else None


def render_json(
    reports: list[Report], *, strict: bool = False, notices: Sequence[Problem] = ()
) -> str:
    """One JSON document: files with their problems, the run's own problems, and the totals."""
    files = []
    for report in reports:
        files.append(
            {
                "path": _shown(report.path),
                "kind": report.kind,
                "valid": not any(p.severity == "error" or strict for p in report.problems),
                "problems": [_problem_json(p, strict) for p in report.problems],
            }
        )
    errors, warnings = _counts(_unique(reports) + list(notices), strict)
    document: dict[str, object] = {"files": files}
    if notices:  # only then: the document stays the same for every run that finds files
        document["problems"] = [_problem_json(p, strict) for p in notices]
    document.update(errors=errors, warnings=warnings)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _problem_json(p: Problem, strict: bool) -> dict[str, object]:
    return {
        "severity": "error" if strict else p.severity,
        "path": _shown(p.path),
        "line": p.line,
        "column": p.column,
        "location": p.location,
        "code": p.code,
        "message": p.message,
        "hint": p.hint,
    }


def render_github(
    reports: list[Report], *, strict: bool = False, notices: Sequence[Problem] = ()
) -> str:
    """GitHub Actions workflow commands: ``::error file=PATH,line=L,col=C::MESSAGE``."""
    lines = []
    problems = _unique(reports) + list(notices)
    for p in problems:
        severity = "error" if strict else p.severity
        props = f"file={_property(_shown(p.path))}"
        if p.line:
            props += f",line={p.line},col={p.column}"
        props += f",title={_property('gptkit ' + p.code)}"
        text = f"{p.location}: {p.message}" if p.location else p.message
        if p.hint:
            text += f"\n{p.hint}"
        lines.append(f"::{severity} {props}::{_data(text)}")
    errors, warnings = _counts(problems, strict)
    lines.append(
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in "
        f"{_plural(len(reports), 'file')}"
    )
    return "\n".join(lines) + "\n"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
