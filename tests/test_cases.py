"""Data-driven checks: every file in cases/valid validates; every case in cases/invalid fails
with exactly the text in its ``.expected`` file (regenerate with ``pytest --update-goldens``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gptkit.cli.report import render_text
from gptkit.loading import check_file, load

CASES = Path(__file__).parent / "cases"
VALID = sorted(p.name for p in (CASES / "valid").glob("*.yaml") if not p.name.startswith("_"))
INVALID = sorted(p.name for p in (CASES / "invalid").glob("*.yaml") if not p.name.startswith("_"))
ENVIRON = {"GPTKIT_TEST_SET": "set"}


@pytest.mark.parametrize("name", VALID)
def test_valid_case_has_no_problems(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / "valid")
    report = check_file(Path(name), environ=ENVIRON)
    assert [p.describe() for p in report.problems] == []
    assert load(name, environ=ENVIRON).name


@pytest.mark.parametrize("name", INVALID)
def test_invalid_case_matches_golden(name: str, monkeypatch: pytest.MonkeyPatch,
                                     update_goldens: bool) -> None:
    monkeypatch.chdir(CASES / "invalid")
    report = check_file(Path(name), environ=ENVIRON)
    text = render_text([report])
    expected = Path(name).with_suffix(".expected")
    if update_goldens:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
    assert report.problems, "an invalid case must report at least one problem"


def test_enough_distinct_problems_are_covered() -> None:
    codes_and_messages = set()
    for name in INVALID:
        for line in (CASES / "invalid" / name).with_suffix(".expected").read_text().splitlines():
            if ": error: " in line or ": warning: " in line:
                codes_and_messages.add(line.split(": ", 1)[1])
    assert len(INVALID) >= 40
    assert len(codes_and_messages) >= 40


def test_no_golden_is_orphaned() -> None:
    stems = {Path(n).stem for n in INVALID}
    orphans = [p.name for p in (CASES / "invalid").glob("*.expected") if p.stem not in stems]
    assert orphans == []


def test_file_over_ten_mib_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)
    report = check_file(big)
    assert [(p.code, p.line, p.message) for p in report.problems] == [
        ("file-too-large", 0, "the file is 10.0 MiB; gptkit reads files up to 10 MiB")]


def test_extends_deeper_than_ten_is_refused(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"_p{i}.yaml").write_text(f"extends: _p{i + 1}.yaml\n" if i < 11 else
                                               "model: {name: gpt-4o-mini}\n")
    main = tmp_path / "main.yaml"
    main.write_text("extends: _p0.yaml\nversion: 1\nname: deep\ninstructions: Hi.\n")
    codes = [p.code for p in check_file(main).problems]
    assert "extends-depth" in codes


def test_unset_variable_is_an_error_at_run(tmp_path: Path) -> None:
    from gptkit.errors import ConfigError

    file = tmp_path / "a.yaml"
    file.write_text("version: 1\nname: a\nmodel: {name: '${GPTKIT_TEST_MODEL}'}\ninstructions: Hi.\n")
    assert [p.severity for p in check_file(file, environ={}).problems] == ["warning"]
    with pytest.raises(ConfigError) as caught:
        load(file, environ={})
    assert [(p.code, p.severity, p.line) for p in caught.value.problems] == [
        ("unset-variable", "error", 3)]
    assert load(file, environ={"GPTKIT_TEST_MODEL": "gpt-4o"}).model.name == "gpt-4o"


def test_symlinked_tool_module_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("def run() -> None:\n    '''Run.'''\n")
    project = tmp_path / "project"
    project.mkdir()
    os.symlink(outside / "evil.py", project / "evil.py")
    file = project / "a.yaml"
    file.write_text("version: 1\nname: a\nmodel: {name: m}\ninstructions: Hi.\n"
                    "tools:\n  - {name: run, type: python, function: 'evil:run'}\n")
    assert [p.code for p in check_file(file).problems] == ["tool-outside"]
