"""The results of a ``gptkit test`` run as text, JUnit XML, GitHub annotations or JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gptkit.config.problems import Problem
from gptkit.testrun.runner import CaseResult


@dataclass(frozen=True)
class FileError:
    """A test file that cannot be run (it does not parse, or fails its schema)."""

    path: Path
    line: int
    details: tuple[str, ...]


def problem_lines(problems: Sequence[Problem]) -> tuple[str, ...]:
    """The errors among ``problems``, one a line, each followed by its hint as validate shows it
    (``did you mean 'expect'?``)."""
    lines: list[str] = []
    for problem in problems:
        if problem.severity == "error":
            lines.append(problem.describe())
            if problem.hint:
                lines.append(f"  = hint: {problem.hint}")
    return tuple(lines)


def case_line(result: CaseResult) -> str:
    """``PASS  file::name (0.01 s)``, then each detail indented."""
    word = "PASS" if result.status == "passed" else "FAIL"
    head = f"{word}  {result.case_id} ({result.seconds:.2f} s)"
    shown = result.details if result.status == "failed" else [
        d for d in result.details if d.startswith("recorded ")]
    return "\n".join([head, *(f"      {d}" for d in shown)])


def file_error_line(error: FileError) -> str:
    return "\n".join([f"FAIL  {error.path} (the test file cannot be run)",
                      *(f"      {d}" for d in error.details)])


def summary(results: Sequence[CaseResult], errors: Sequence[FileError]) -> str:
    """``N passed, M failed``, and the commands that record what needs recording."""
    passed = sum(r.status == "passed" for r in results)
    failed = len(results) - passed + len(errors)
    lines = [f"{passed} passed, {failed} failed"]
    stale = [r for r in results if r.needs_recording]
    if stale:
        lines.append(f"{len(stale)} case{'s' if len(stale) != 1 else ''} to record (where the "
                     "change is intended):")
        lines += [f"  {r.record_command}" for r in stale]
    return "\n".join(lines)


def render_junit(results: Sequence[CaseResult], errors: Sequence[FileError]) -> str:
    """JUnit XML: one testsuite per test file, one testcase per case."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="gptkit test")
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        by_file.setdefault(str(result.suite.path), []).append(result)
    total_failed = 0
    for name, group in by_file.items():
        failed = sum(r.status == "failed" for r in group)
        total_failed += failed
        seconds = sum(r.seconds for r in group)
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(group)),
                              failures=str(failed), errors="0", skipped="0", time=f"{seconds:.3f}")
        for result in group:
            case = ET.SubElement(suite, "testcase", classname=name, name=result.case.name,
                                 time=f"{result.seconds:.3f}", file=name, line=str(result.line))
            if result.status == "failed":
                failure = ET.SubElement(case, "failure", message=result.details[0] if result.details else "failed")
                failure.text = "\n".join(result.details)
    for error in errors:
        suite = ET.SubElement(root, "testsuite", name=str(error.path), tests="1", failures="0",
                              errors="1", skipped="0", time="0")
        case = ET.SubElement(suite, "testcase", classname=str(error.path), name="(test file)",
                             time="0", file=str(error.path), line=str(error.line))
        failing = ET.SubElement(case, "error", message=error.details[0] if error.details else "error")
        failing.text = "\n".join(error.details)
    root.set("tests", str(len(results) + len(errors)))
    root.set("failures", str(total_failed))
    root.set("errors", str(len(errors)))
    root.set("time", f"{sum(r.seconds for r in results):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_github(results: Sequence[CaseResult], errors: Sequence[FileError]) -> str:
    """A workflow annotation (``::error file=...,line=...::``) at each failing case's line."""
    out = []
    for result in results:
        if result.status == "failed":
            title = f"gptkit test: {result.case.name}"
            out.append(_annotation(result.suite.path, result.line, title, result.details))
    for error in errors:
        out.append(_annotation(error.path, error.line, "gptkit test: the test file", list(error.details)))
    out.append(summary(results, errors))
    return "\n".join(out) + "\n"


def render_json(results: Sequence[CaseResult], errors: Sequence[FileError]) -> str:
    """One JSON object: every case with its outcome, the file errors, and the counts."""
    document = {
        "cases": [
            {"file": str(r.suite.path), "name": r.case.name, "line": r.line, "status": r.status,
             "seconds": round(r.seconds, 4), "details": r.details,
             "needs_recording": r.needs_recording, "cassette": str(r.suite.cassette(r.case))}
            for r in results
        ],
        "file_errors": [{"file": str(e.path), "line": e.line, "details": list(e.details)}
                        for e in errors],
        "passed": sum(r.status == "passed" for r in results),
        "failed": sum(r.status == "failed" for r in results) + len(errors),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _annotation(path: Path, line: int, title: str, details: list[str]) -> str:
    where = f"file={_property(os.path.normpath(path).replace(os.sep, '/'))}"
    if line:
        where += f",line={line}"
    message = "\n".join(details) or "failed"
    return f"::error {where},title={_property(title)}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
