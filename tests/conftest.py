"""Shared fixtures: a clean environment for every test, and the golden-file switch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/cases/invalid/*.expected from the current output")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No OPENAI_* variables leak in; gptkit's data folder is the test's own."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "GPTKIT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GPTKIT_HOME", str(tmp_path / "gptkit-home"))
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
