"""The package's types hold: ``py.typed`` ships, so ``mypy`` (strict, as configured in
pyproject.toml) must report no errors for ``gptkit/``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: ``path:line: error: message  [code]``, mypy's line for one error.
ERROR_LINE = re.compile(r"^(?P<path>[^:\s][^:]*):\d+(?::\d+)?: error: ")


def test_mypy_reports_no_errors() -> None:
    pytest.importorskip("mypy", reason="mypy comes with the dev extra")
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],  # files, strictness and plugins: [tool.mypy]
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), f"mypy did not run (exit {done.returncode}):\n{output}"
    paths = [m["path"].replace("\\", "/") for m in map(ERROR_LINE.match, output.splitlines()) if m]
    assert paths or done.returncode == 0, f"mypy failed without naming an error:\n{output}"
    assert not paths, f"mypy reports {len(paths)} error(s):\n{output}"
