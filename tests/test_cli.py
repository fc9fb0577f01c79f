"""The command line as a user meets it: exact output, exit codes, and what it must never import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gptkit.cli.main import main
from gptkit.config.schema import render

REPO = Path(__file__).resolve().parents[1]
GOOD = "version: 1\nname: good\nmodel: {name: gpt-4o-mini}\ninstructions: Hi {{ persona.name }}.\n"
BAD = "version: 1\nname: bad\nmodel:\n  name: gpt-4o-mini\n  temperature: hot\ninstructin: Hi.\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.yml").write_text(BAD)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "ignored.yaml").write_text("not: [valid")
    (tmp_path / "notes.txt").write_text("not yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_text_report_lists_every_problem_and_a_summary(project: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate")
    assert code == 1
    assert err == ""
    assert out == (
        "sub/bad.yml:5:16: error: model.temperature: expected a number, got \"hot\" [type]\n"
        "sub/bad.yml:6:1: error: instructin: unknown key 'instructin' [unknown-key]\n"
        "    = hint: did you mean 'instructions'?\n"
        "2 errors, 0 warnings in 2 files\n"
    )


def test_valid_files_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", "good.yaml") == (0, "0 errors, 0 warnings in 1 file\n", "")


def test_json_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--format", "json", ".")
    report = json.loads(out)
    assert code == 1
    assert (report["errors"], report["warnings"]) == (2, 0)
    assert [(f["path"], f["valid"]) for f in report["files"]] == [("good.yaml", True),
                                                                  ("sub/bad.yml", False)]
    first = report["files"][1]["problems"][0]
    assert first == {"severity": "error", "path": "sub/bad.yml", "line": 5, "column": 16,
                     "location": "model.temperature", "code": "type",
                     "message": "expected a number, got \"hot\"", "hint": None}


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--format", "github", "sub")
    assert code == 1
    assert out.splitlines() == [
        "::error file=sub/bad.yml,line=5,col=16,title=gptkit type::model.temperature: expected "
        "a number, got \"hot\"",
        "::error file=sub/bad.yml,line=6,col=1,title=gptkit unknown-key::instructin: unknown key "
        "'instructin'%0Adid you mean 'instructions'?",
        "2 errors, 0 warnings in 1 file",
    ]


def test_strict_turns_warnings_into_errors(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "a.yaml"
    file.write_text(GOOD.replace("{name: gpt-4o-mini}", "\n  name: ${GPTKIT_UNSET_MODEL}"))
    code, out, _ = run(capsys, "validate", str(file))
    assert code == 0 and out.endswith("0 errors, 1 warning in 1 file\n")
    code, out, _ = run(capsys, "validate", "--strict", str(file))
    assert code == 1 and out.endswith("1 error, 0 warnings in 1 file\n")


def test_exclude(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", "--exclude", "sub") == (0, "0 errors, 0 warnings in 1 file\n",
                                                           "")
    assert run(capsys, "validate", "--exclude", "*.yml")[0] == 0


def test_missing_path_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", "nope.yaml") == (
        2, "", "gptkit validate: no such file or folder: nope.yaml\n")


def test_bad_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--format", "xml"])
    assert caught.value.code == 2


@pytest.mark.parametrize("kind", ["assistant", "cassette", "test"])
def test_schema_command_prints_the_committed_file(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", kind)
    assert code == 0
    committed = (REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert out == committed == render(kind), (
        f"schemas/{kind}.schema.json drifted from the models: "
        f"run `gptkit schema {kind} > schemas/{kind}.schema.json`")


def test_every_property_is_described() -> None:
    schema = json.loads(render())
    missing = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                if key not in ("if", "then", "not"):  # conditions, not properties
                    walk(value, f"{where}/{key}")

    walk(schema, "#")
    assert missing == []


def test_shipped_assistants_and_examples_are_valid(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run(capsys, "validate", "--strict", "assistants", "examples")
    assert code == 0, out
    assert len(list((REPO / "assistants").glob("*/assistant.yaml"))) >= 3


def _gptkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=120)


def test_version() -> None:
    from gptkit import __version__

    result = _gptkit("--version")
    assert (result.returncode, result.stdout) == (0, f"gptkit {__version__}\n")


# What `import openai` brings into a fresh interpreter (itself, its HTTP library, pydantic...),
# and the HTTP library its client really sends with: the guard follows the client when it
# changes libraries (it moved from httpx to httpx2), instead of watching a name it left behind.
_CLIENT_PROBE = """
import json, sys
before = set(sys.modules)
import openai
brought = {m.split(".")[0] for m in set(sys.modules) - before}
brought = sorted(m for m in brought - set(sys.stdlib_module_names) if not m.startswith("_"))
client = openai.OpenAI(api_key="sk-probe", base_url="http://127.0.0.1:9/v1")
http = next(c for c in type(client._client).__mro__ if not c.__module__.startswith("openai"))
print(json.dumps({"brought": brought, "http": http.__module__.split(".")[0]}))
"""


@pytest.fixture(scope="module")
def client() -> dict[str, Any]:
    """``brought``: the modules `import openai` brings; ``http``: the client's HTTP library."""
    result = subprocess.run([sys.executable, "-c", _CLIENT_PROBE], capture_output=True,
                            text=True, cwd=REPO, timeout=120, check=True)
    found: dict[str, Any] = json.loads(result.stdout)
    assert "openai" in found["brought"] and found["http"] in found["brought"], found
    return found


@pytest.fixture(scope="module")
def client_modules(client: dict[str, Any]) -> set[str]:
    """Every top-level module the API client brings, and httpx and httpx2 whatever it brings."""
    return {"openai", "httpx", "httpx2", *client["brought"]}


@pytest.mark.parametrize("argv", [["validate", "assistants", "examples"], ["--version"]])
def test_validate_and_version_never_import_the_api_client(
    argv: list[str], client_modules: set[str]
) -> None:
    probe = ("import json, sys, runpy\n"
             f"sys.argv = ['gptkit', *{argv!r}]\n"
             "try:\n    runpy.run_module('gptkit', run_name='__main__')\n"
             "except SystemExit as e:\n    code = e.code\n"
             f"banned = set({sorted(client_modules)!r})\n"
             "heavy = sorted({m.split('.')[0] for m in sys.modules} & banned)\n"
             "print(code, heavy, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == "0 []"


def test_the_import_guard_catches_the_client_by_its_http_library_too(
    client: dict[str, Any], client_modules: set[str]
) -> None:
    """The guard above can fail: a run that loads the client is caught, and so is its HTTP
    library on its own (the library gptkit's client sends with, whatever its name)."""
    probe = ("import json, sys\nimport gptkit.providers.client, openai\n"
             f"banned = set({sorted(client_modules)!r})\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & banned)))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=REPO, timeout=120, check=True)
    caught = set(json.loads(result.stdout))
    assert {"openai", "pydantic", client["http"]} <= caught
    assert client["http"] in client_modules


def test_no_traceback_on_unreadable_input(tmp_path: Path) -> None:
    file = tmp_path / "binary.yaml"
    file.write_bytes(b"\x00\xff\xfe" * 100)
    result = _gptkit("validate", str(file))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "not valid UTF-8" in result.stdout


def test_readme_quickstart_and_ci_run_the_same_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert commands, ".ci/run must run the README's commands"
    for command in commands:
        assert command in readme
