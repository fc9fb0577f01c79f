"""A corpus of realistic OpenAPI action files (tests/cases/openapi): at least 95 % become tools,
none crashes, and each broken one (tests/cases/openapi/bad) fails with a clear message, at its line.

The maintainers run the same checks on several hundred real GPT action files.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import gptkit
from gptkit.config.names import TOOL_NAME_PATTERN
from gptkit.config.strict import strict_issues
from gptkit.errors import ConfigError, ToolError
from gptkit.loading import check_file
from gptkit.tools.registry import build_tools

CORPUS = Path(__file__).parent / "cases" / "openapi"
GOOD = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".json"))
BAD = sorted(p for p in (CORPUS / "bad").iterdir() if p.suffix in (".yaml", ".json"))


def project(tmp_path: Path, spec: Path) -> Path:
    shutil.copy(spec, tmp_path / spec.name)
    assistant = tmp_path / "assistant.yaml"
    assistant.write_text(
        "version: 1\nname: corpus\nmodel: {name: gpt-4o-mini}\ninstructions: Use the API.\n"
        f"tools:\n  - type: openapi\n    spec: {spec.name}\n", encoding="utf-8")
    return assistant


def tools_of(tmp_path: Path, spec: Path) -> list[object]:
    config = gptkit.load(str(project(tmp_path, spec)))
    return list(build_tools(config, tmp_path, environ={}))


def test_the_corpus_is_big_and_varied() -> None:
    assert len(GOOD) >= 28 and len(BAD) >= 5
    assert {p.suffix for p in GOOD} == {".yaml", ".json"}
    versions = {re.search(r"openapi\W+(3\.\d)", p.read_text()).group(1) for p in GOOD}  # type: ignore[union-attr]
    assert versions == {"3.0", "3.1"}


def test_at_least_95_percent_become_tools(tmp_path: Path) -> None:
    made, failed = 0, []
    for index, spec in enumerate(GOOD):
        folder = tmp_path / str(index)
        folder.mkdir()
        try:
            tools = tools_of(folder, spec)
        except ToolError as exc:
            failed.append(f"{spec.name}: {exc}")
            continue
        assert tools, spec.name
        made += 1
    assert made / len(GOOD) >= 0.95, failed


@pytest.mark.parametrize("spec", GOOD, ids=lambda p: p.name)
def test_names_are_valid_and_unique_and_schemas_strict_or_said_not(tmp_path: Path, spec: Path) -> None:
    tools = tools_of(tmp_path, spec)
    names = [t.name for t in tools]  # type: ignore[attr-defined]
    assert len(set(names)) == len(names)
    assert all(re.match(TOOL_NAME_PATTERN, n) for n in names)
    report = check_file(project(tmp_path, spec))
    assert not [p for p in report.problems if p.severity == "error"], [p.describe() for p in report.problems]
    said = {p.message.split(" is sent without")[0] for p in report.problems if p.code == "openapi-strict"}
    for tool in tools:
        spec_ = tool.spec  # type: ignore[attr-defined]
        if spec_.strict:
            assert list(strict_issues(spec_.parameters)) == [], spec_.name
        else:
            op = tool.operation  # type: ignore[attr-defined]
            assert f"{op.method} {op.path}" in said


@pytest.mark.parametrize("spec", BAD, ids=lambda p: p.name)
def test_broken_files_fail_clearly_at_run_and_in_validate(tmp_path: Path, spec: Path) -> None:
    with pytest.raises((ConfigError, ToolError)) as caught:  # load refuses it, naming the file
        tools_of(tmp_path, spec)
    message = str(caught.value)
    assert spec.name in message and "Traceback" not in message
    report = check_file(project(tmp_path, spec))
    errors = [p for p in report.problems if p.severity == "error"]
    assert errors and all(p.code != "internal-error" for p in errors)
    assert all(Path(p.path).name == spec.name for p in errors)
    if spec.suffix == ".yaml" or "not-openapi" not in spec.name:
        assert any(p.line > 0 for p in errors) or errors[0].location == ""


def test_confirm_follows_is_consequential_then_the_method(tmp_path: Path) -> None:
    confirm = {t.name: t.confirm for t in tools_of(tmp_path, CORPUS / "type-arrays-31.yaml")}  # type: ignore[attr-defined]
    assert confirm == {"updateProfile": False}  # a PUT the file marks not consequential
    (tmp_path / "b").mkdir()
    confirm = {t.name: t.confirm for t in tools_of(tmp_path / "b", CORPUS / "todo.json")}  # type: ignore[attr-defined]
    assert confirm == {"listTodos": False, "createTodo": True, "getTodo": False,
                       "updateTodo": True, "deleteTodo": True}
