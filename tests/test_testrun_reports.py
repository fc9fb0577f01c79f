"""`gptkit test --format junit|github`: JUnit XML that a JUnit parser reads, and annotations at
the line of each failing case; and the pytest plugin, run by pytest itself."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from testrun_project import gptkit, make_project, record

from gptkit.testing import text

SUITE = """\
cases:
  - name: greets
    turns:
      - user: Hello
        expect: {contains: Hello}
  - name: says goodbye, politely
    turns:
      - user: Bye
        expect: {contains: "Farewell"}
"""


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Path:
    test_file = make_project(tmp_path, SUITE)
    record(monkeypatch, capsys, test_file, {"greets": [text("Hello there!")],
                                            "says goodbye": [text("Bye for now.")]})
    return test_file


def test_junit_xml_reads_back_with_a_failure_per_failing_case(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = gptkit(capsys, "test", "--format", "junit", str(recorded))
    assert code == 1
    root = ET.fromstring(out.encode())
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "2", "1")
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == str(recorded)
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"greets", "says goodbye, politely"}
    assert cases["greets"].find("failure") is None
    failure = cases["says goodbye, politely"].find("failure")
    assert failure is not None
    assert failure.get("message") == "turn 1 ('Bye'):"
    assert "the answer does not contain 'Farewell'" in (failure.text or "")
    assert cases["says goodbye, politely"].get("line") == "8"


def test_github_annotations_point_at_the_line_of_the_case(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = gptkit(capsys, "test", "--format", "github", str(recorded))
    assert code == 1
    lines = out.splitlines()
    path = os.path.normpath(recorded)
    assert lines[0] == (
        f"::error file={path},line=8,title=gptkit test%3A says goodbye%2C politely::"
        "turn 1 ('Bye'):%0A  the answer does not contain 'Farewell'%0A"
        "  the answer was: 'Bye for now.'")
    assert lines[1] == "1 passed, 1 failed"


def test_the_pytest_plugin_collects_the_cases_and_shows_the_same_failure(
    recorded: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
         "-rA", str(recorded)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "1 failed, 1 passed" in out
    assert "PASSED notes.test.yaml::greets" in out
    assert "FAILED notes.test.yaml::says goodbye, politely" in out
    assert "the answer does not contain 'Farewell'" in out
    assert "Traceback" not in out


def test_the_pytest_plugin_leaves_other_yaml_files_named_test_alone(tmp_path: Path) -> None:
    (tmp_path / "data.test.yaml").write_text("items: [1, 2]\n", encoding="utf-8")
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    pass\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "."],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


def test_the_pytest_plugin_shows_the_request_diff_after_an_edit(recorded: Path,
                                                                tmp_path: Path) -> None:
    assistant = tmp_path / "assistant.yaml"
    assistant.write_text(assistant.read_text().replace("Be brief.", "Be very brief."))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
         f"{recorded}::greets"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "model call 1 is not the recorded one (- recorded, + this run):" in out
    assert "-  | You keep the user's notes. Be brief.\n+  | You keep the user's notes. Be very brief." in out
    assert f"record it with: gptkit test --record {recorded} -k greets" in out
