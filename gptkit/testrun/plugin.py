"""The pytest plugin (entry point ``pytest11: gptkit``): ``*.test.yaml`` files become test items.

A file is collected when it is named ``*.test.yaml`` (or ``.test.yml``) and its top level has
both ``assistant:`` and ``cases:`` (so other YAML files named so are left alone); each case is one
item, named after the case, failing with the same lines ``gptkit test`` prints (the request diff
included). The cases replay their cassettes; ``--gptkit-mode record`` (or ``live``) runs them
against the model API instead. ``-p no:gptkit`` turns the plugin off.

Only pytest is imported when pytest starts; gptkit's runner is imported on the first test file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gptkit.testrun.runner import CaseResult, Runner
    from gptkit.testrun.suite import Suite

_TOP = re.compile(r"^(assistant|cases)\s*:", re.M)
_SUFFIXES = (".test.yaml", ".test.yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gptkit", "gptkit conversation tests (*.test.yaml)")
    group.addoption("--gptkit-mode", choices=("replay", "record", "live"), default="replay",
                    help="replay the cassettes (default), record them against the model API, "
                    "or run live writing nothing")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(_SUFFIXES) and _looks_like_suite(file_path):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


def _looks_like_suite(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False
    return {m.group(1) for m in _TOP.finditer(text)} == {"assistant", "cases"}


_RUNNER = pytest.StashKey["Runner"]()


def _runner(config: pytest.Config) -> Runner:
    runner = config.stash.get(_RUNNER, None)
    if runner is None:
        from gptkit.testrun.runner import Runner

        runner = Runner(config.getoption("--gptkit-mode"))
        config.stash[_RUNNER] = runner
    return runner


class SuiteFile(pytest.File):
    """One test file; its items are its cases."""

    def collect(self) -> Iterator[CaseItem]:
        from gptkit.testrun.suite import load_suite

        suite = load_suite(self.path)
        for index, case in enumerate(suite.spec.cases):
            yield CaseItem.from_parent(self, name=case.name, suite=suite, index=index)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        from gptkit.errors import ConfigError

        if isinstance(excinfo.value, ConfigError):
            from gptkit.testrun.report import problem_lines

            return "the test file cannot be run:\n" + "\n".join(
                problem_lines(excinfo.value.problems))
        return super().repr_failure(excinfo)


class CaseFailed(Exception):
    """A case failed; its result holds the lines to show."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.case_id)
        self.result = result


class CaseItem(pytest.Item):
    """One case of a test file."""

    def __init__(self, *, suite: Suite, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.index = index

    def runtest(self) -> None:
        result = _runner(self.config).run_case(self.suite, self.index)
        if result.status != "passed":
            raise CaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailed):
            result = excinfo.value.result
            lines = [f"{result.case_id} failed:", *result.details]
            if result.needs_recording:
                lines.append(f"record it with: {result.record_command}")
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.suite.lines[self.index] - 1, 0), f"case: {self.name}"
