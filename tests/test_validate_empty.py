"""``gptkit validate`` on a folder with no assistant file warns, and fails under ``--strict``.

It used to pass with "0 files", which hides a mistyped folder in a CI job. Decision: a warning
(exit 0), an error with ``--strict`` (exit 1); files named one by one are never warned about,
so a pre-commit hook given only a changed partial still passes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MESSAGE = ("no assistant file found in this folder (searched for *.yaml and *.yml, skipping "
           "hidden ones, partials named _*, tests and cassettes) [no-assistant-file]")
HINT = "    = hint: name an assistant file or a folder that holds one, or check --exclude"


def _validate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", "validate", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={"NO_COLOR": "1", "PATH": ""})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "_base.yaml").write_text("model: {name: gpt-4o-mini}\n")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "a.yaml").write_text(
        "version: 1\nname: a\nmodel: {name: gpt-4o-mini}\ninstructions: Hi.\n")
    return tmp_path


def test_an_empty_folder_is_a_warning(tree: Path) -> None:
    result = _validate(tree, "empty")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [f"empty: warning: {MESSAGE}", HINT,
                                          "0 errors, 1 warning in 0 files"]


def test_an_empty_folder_fails_under_strict(tree: Path) -> None:
    result = _validate(tree, "--strict", "empty")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"empty: error: {MESSAGE}", HINT,
                                          "1 error, 0 warnings in 0 files"]


def test_each_folder_without_an_assistant_file_is_named(tree: Path) -> None:
    result = _validate(tree, "--format", "json", "good", "parts", "empty")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert [f["path"] for f in document["files"]] == ["good/a.yaml", "parts/_base.yaml"]
    assert [(p["path"], p["code"], p["severity"]) for p in document["problems"]] == [
        ("parts", "no-assistant-file", "warning"), ("empty", "no-assistant-file", "warning")]
    assert (document["errors"], document["warnings"]) == (0, 2)


def test_an_excluded_folder_counts_as_empty(tree: Path) -> None:
    result = _validate(tree, "--exclude", "good", "good")
    assert result.stdout.splitlines()[0] == f"good: warning: {MESSAGE}"


def test_the_current_folder_by_default(tree: Path) -> None:
    result = _validate(tree / "empty", "--format", "github")
    assert result.returncode == 0
    assert result.stdout.startswith("::warning file=.,title=gptkit no-assistant-file::")


def test_named_files_and_folders_with_assistants_are_not_warned(tree: Path) -> None:
    assert _validate(tree, "parts/_base.yaml", "--strict").stdout == (
        "0 errors, 0 warnings in 1 file\n")
    assert _validate(tree, "good", "--strict").stdout == "0 errors, 0 warnings in 1 file\n"
