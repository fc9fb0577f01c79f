"""`gptkit validate` on openapi and http tools: problems at their line in the OpenAPI file, no
network, no httpx, and the full check only with the openapi extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import gptkit
from gptkit.cli.report import render_text
from gptkit.loading import check_file

ASSISTANT = "version: 1\nname: v\nmodel: {name: gpt-4o-mini}\ninstructions: Hi.\ntools:\n"
SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /a:
    get:
      operationId: getA
      summary: A.
      responses: {"200": {description: ok}}
"""


def write(folder: Path, tools: str, spec: str = SPEC) -> Path:
    (folder / "api.yaml").write_text(spec, encoding="utf-8")
    path = folder / "assistant.yaml"
    path.write_text(ASSISTANT + tools, encoding="utf-8")
    return path


def codes(path: Path) -> list[tuple[str, int, str]]:
    return [(Path(p.path).name, p.line, p.code) for p in check_file(path).problems]


def test_a_clean_file_has_no_problems(tmp_path: Path) -> None:
    assert codes(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n")) == []


def test_a_misspelt_auth_type_gets_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "  - type: openapi\n    spec: api.yaml\n    auth: {type: apikey, key_env: K}\n")
    text = render_text([check_file(path)])
    assert "assistant.yaml:8:" in text and "did you mean 'api_key'?" in text


def test_a_literal_key_in_headers_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "  - type: openapi\n    spec: api.yaml\n"
                           "    headers: {Authorization: 'Bearer sk-proj-abcdefghijklmnopqrstuvwxyz012345'}\n")
    assert ("assistant.yaml", 8, "secret") in codes(path)


def test_the_spec_must_exist_and_stay_inside(tmp_path: Path) -> None:
    assert ("assistant.yaml", 6, "missing-file") in codes(write(tmp_path, "  - {type: openapi, spec: nope.yaml}\n"))
    assert ("assistant.yaml", 6, "path-outside") in codes(write(tmp_path, "  - {type: openapi, spec: ../x.yaml}\n"))


def test_unknown_operations_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "  - {type: openapi, spec: api.yaml, operations: [getA, getB]}\n")
    (problem,) = check_file(path).problems
    assert problem.code == "openapi-operation" and "getB" in problem.message and "getA" in (problem.hint or "")


def test_duplicate_names_with_another_tool(tmp_path: Path) -> None:
    tools = ("  - {type: builtin, name: calculator}\n  - type: http\n    name: getA\n"
             "    url: https://x.example.com/a\n  - {type: openapi, spec: api.yaml}\n")
    assert ("assistant.yaml", 10, "duplicate-tool") in codes(write(tmp_path, tools))
    assert codes(write(tmp_path, tools.replace("spec: api.yaml", "spec: api.yaml, prefix: x_"))) == []


def test_a_server_override_needs_no_server_in_the_file(tmp_path: Path) -> None:
    spec = SPEC.replace('servers: [{url: "https://api.example.com"}]\n', "")
    assert ("api.yaml", 1, "openapi-server") in codes(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n", spec))
    assert codes(write(tmp_path, "  - {type: openapi, spec: api.yaml, server: 'https://b.example.com'}\n", spec)) == []


def test_gpt_actions_limits_are_warnings_at_their_line(tmp_path: Path) -> None:
    spec = SPEC.replace("summary: A.", "summary: " + "a" * 301 + "\n      parameters:\n"
                        "        - {name: q, in: query, description: " + "b" * 701 + ", schema: {type: string}}")
    report = check_file(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n", spec))
    assert [(p.line, p.code, p.severity) for p in report.problems] == [
        (8, "openapi-limit", "warning"), (10, "openapi-limit", "warning")]


def test_the_validator_finds_what_gptkit_does_not_check(tmp_path: Path) -> None:
    spec = SPEC.replace("info: {title: t, version: \"1\"}", "info: {title: t}")
    problems = check_file(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n", spec)).problems
    assert [(p.code, p.severity, p.line) for p in problems] == [("openapi-invalid", "warning", 2)]
    assert "version" in problems[0].message


def test_without_the_extra_validate_says_the_full_check_needs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "openapi_spec_validator" else real(name, *a))
    problems = check_file(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n")).problems
    assert [(p.code, p.severity) for p in problems] == [("openapi-validator-missing", "warning")]
    assert "gptkit[openapi]" in (problems[0].hint or "")


def test_a_run_does_not_wait_for_the_full_check(tmp_path: Path) -> None:
    spec = SPEC.replace("info: {title: t, version: \"1\"}", "info: {title: t}")
    config = gptkit.load(str(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n", spec)))
    assert config.tools  # loads: the validator's warning is validate's alone


def test_http_url_placeholders_must_be_required_parameters(tmp_path: Path) -> None:
    tools = ("  - type: http\n    name: q\n    url: https://x.example.com/q/{sym}\n"
             "    parameters: {type: object, properties: {}, required: [], additionalProperties: false}\n")
    assert ("assistant.yaml", 8, "http-placeholder") in codes(write(tmp_path, tools))


def test_validate_imports_neither_httpx_nor_openai(tmp_path: Path) -> None:
    path = write(tmp_path, "  - type: openapi\n    spec: api.yaml\n    auth: {type: bearer, token_env: T}\n"
                           "  - {type: http, name: h, url: 'https://x.example.com'}\n")
    code = ("import sys; from gptkit.cli.main import run; sys.argv = ['gptkit', 'validate', sys.argv[1]]\n"
            "try:\n    run()\nexcept SystemExit as e:\n    code = e.code\n"
            "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'httpx', 'httpx2', 'httpcore', 'httpcore2')))")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stdout + result.stderr


def test_more_tools_than_one_request_takes_is_a_warning(tmp_path: Path) -> None:
    paths = "".join(f"  /r{i}:\n    get: {{operationId: op{i}, summary: R., responses: {{'200': {{description: ok}}}}}}\n"
                    for i in range(130))
    spec = SPEC.split("paths:")[0] + "paths:\n" + paths
    problems = check_file(write(tmp_path, "  - {type: openapi, spec: api.yaml}\n", spec)).problems
    assert [(p.code, p.severity, p.line) for p in problems] == [("too-many-tools", "warning", 5)]
    assert "130" in problems[0].message
