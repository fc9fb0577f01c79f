"""`gptkit validate` checks test files: the schema, the assistant they name, its tools and
variables, unique case names, and (a warning) missing cassettes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from testrun_project import gptkit, make_project

REPO = Path(__file__).resolve().parents[1]


def _problems(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, list[tuple[int, str, str, str]]]:
    code, out, _ = gptkit(capsys, "validate", "--format", "json", str(path))
    report = json.loads(out)
    return code, [(p["line"], p["severity"], p["code"], p["message"])
                  for f in report["files"] for p in f["problems"]]


def test_a_good_test_file_warns_only_of_its_missing_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = make_project(tmp_path, """\
        tools:
          save_note: {result: ok}
        cases:
          - name: first
            vars: {tone: Be kind.}
            turns:
              - user: Hi
                expect: {tool_calls: [{name: lookup}, {name: remember}]}
        """)
    code, problems = _problems(capsys, test_file)
    assert code == 0
    assert problems == [(6, "warning", "missing-cassette",
                         "case 'first' has no cassette yet (cassettes/notes/first.cassette.yaml, "
                         "beside the test file)")]


def test_names_that_the_assistant_does_not_have_are_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = make_project(tmp_path, """\
        tools:
          send_email: {result: sent}
        cases:
          - name: first
            vars: {colour: red}
            turns:
              - user: Hi
                expect: {tool_calls: [{name: delete_all}]}
          - name: First!
            turns:
              - user: Hi
        """)
    code, problems = _problems(capsys, test_file)
    assert code == 1
    errors = [(line, code_, message) for line, severity, code_, message in problems
              if severity == "error"]
    assert errors == [
        (4, "unknown-tool", "the mocked tool 'send_email' is not a tool of assistant.yaml (its "
                            "tools: forget, lookup, remember, save_note)"),
        (7, "unknown-variable", "'colour' is not a variable of assistant.yaml (its variables: tone)"),
        (10, "unknown-tool", "the expected tool 'delete_all' is not a tool of assistant.yaml (its "
                             "tools: forget, lookup, remember, save_note)"),
        (11, "duplicate-case", "case 'First!' has the same cassette name (first) as case 'first'"),
    ]


def test_a_missing_assistant_and_schema_errors(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    test_file = tmp_path / "x.test.yaml"
    test_file.write_text("version: 1\nassistant: nope.yaml\ncases:\n  - name: a\n    turns:\n"
                         "      - user: Hi\n", encoding="utf-8")
    code, problems = _problems(capsys, test_file)
    assert code == 1
    assert problems[0][:3] == (2, "error", "unknown-assistant")
    test_file.write_text("version: 1\nassistant: nope.yaml\ncases:\n  - name: a\n    turns:\n"
                         "      - user: Hi\n        expect: {contain: x}\n", encoding="utf-8")
    code, problems = _problems(capsys, test_file)
    assert code == 1
    assert [(p[0], p[2]) for p in problems] == [(7, "unknown-key")]


def test_every_key_of_the_test_schema_is_in_the_format_reference() -> None:
    schema = json.loads((REPO / "schemas" / "test.schema.json").read_text(encoding="utf-8"))
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys.update(definition.get("properties", {}))
    text = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    section = text[text.index("## Test files"):]
    missing = sorted(k for k in keys if not re.search(rf"[`.]{k}`", section))  # `k` or `a[].k`
    assert not missing, f"docs/format.md's Test files section does not name: {', '.join(missing)}"


def test_the_new_problem_codes_are_in_the_command_reference() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in [
        REPO / "gptkit" / "lint" / "testsuite.py", REPO / "gptkit" / "config" / "testsuite_file.py"])
    codes = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', source)) - {"utf-8-sig"}
    table = (REPO / "docs" / "cli.md").read_text(encoding="utf-8").split("## Problem codes")[1]
    assert codes >= {"unknown-assistant", "unknown-tool", "missing-cassette", "duplicate-case"}
    assert not [c for c in codes if f"`{c}`" not in table]
