"""A test file read for running: the typed cases, the line of each, and where its cassettes are."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from gptkit.config.testsuite import Case, SuiteSpec
from gptkit.config.testsuite_file import TEST_SUFFIXES, cassette_path, check_test_file
from gptkit.errors import ConfigError


@dataclass(frozen=True)
class Suite:
    """One ``*.test.yaml`` file."""

    path: Path
    spec: SuiteSpec
    lines: tuple[int, ...]  # the line of each case (its "- name:" item), 1-based

    @property
    def assistant_path(self) -> Path:
        """The assistant file under test."""
        return self.path.parent / self.spec.assistant

    def cassette(self, case: Case) -> Path:
        """The cassette of ``case`` (see :func:`gptkit.config.testsuite_file.cassette_path`)."""
        return cassette_path(self.path, case.name)

    def case_id(self, case: Case) -> str:
        """``path/to/x.test.yaml::case name``: how output and ``-k`` name a case."""
        return f"{self.path}::{case.name}"


def load_suite(path: Path) -> Suite:
    """Read and check a test file; raise ConfigError with every problem."""
    from pydantic import ValidationError

    problems, doc = check_test_file(path)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    try:
        spec = SuiteSpec.model_validate(doc.data)
    except ValidationError as exc:  # the schema and the models agree; a safety net
        from gptkit.config.problems import Problem

        raise ConfigError(
            [Problem(path, 0, 0, ".".join(map(str, e["loc"])), "type", e["msg"]) for e in exc.errors()]
        ) from None
    nodes = [doc.nodes.get(("cases", index)) for index in range(len(spec.cases))]
    return Suite(path, spec, tuple(node.line if node is not None else 0 for node in nodes))


def is_test_file(path: Path) -> bool:
    """Whether ``path`` is named like a test file."""
    return path.name.endswith(TEST_SUFFIXES)


def discover(paths: list[str]) -> list[Path]:
    """The test files under ``paths`` (a named file as given), sorted, hidden folders skipped."""
    import os

    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "cassettes")
                found += [Path(folder, f) for f in sorted(files) if is_test_file(Path(f))]
        else:
            found.append(path)
    return list(dict.fromkeys(Path(os.path.normpath(p)) for p in found))


def selected(case_id: str, patterns: list[str]) -> bool:
    """Whether ``-k`` selects the case: a pattern matches when it is part of the case's id
    (``file::name``, ignoring case), or, holding ``*``, ``?`` or ``[``, when it matches it as a
    glob. No pattern selects every case."""
    if not patterns:
        return True
    text = case_id.lower()
    for pattern in patterns:
        lowered = pattern.lower()
        if any(c in lowered for c in "*?[") and fnmatch.fnmatchcase(text, lowered):
            return True
        if lowered in text:
            return True
    return False
