"""validate knows the tools an assistant gets from elsewhere than its `tools:` names: one per
operation of an OpenAPI file, `search_knowledge` for knowledge in tool mode; an MCP server's
tools are known only once it runs, so names are not checked against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gptkit.cli.main import main

SPEC = """\
openapi: 3.0.3
info: {title: Pets, version: "1"}
servers: [{url: "https://pets.example.com"}]
paths:
  /pets:
    get:
      operationId: listPets
      responses: {"200": {description: ok}}
"""


def _codes(capsys: pytest.CaptureFixture[str], path: Path) -> list[tuple[str, str]]:
    main(["validate", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)
    return [(p["code"], p["message"]) for f in report["files"] for p in f["problems"]
            if p["code"] != "missing-cassette"]


def _project(tmp_path: Path, tools: str, expected: str, extra: str = "") -> Path:
    (tmp_path / "pets.yaml").write_text(SPEC)
    (tmp_path / "kb.md").write_text("# Hours\nOpen daily.\n")
    (tmp_path / "assistant.yaml").write_text(
        "version: 1\nname: pets\nmodel: {name: gpt-4o-mini}\ninstructions: Help.\n"
        f"tools:\n{tools}{extra}")
    test_file = tmp_path / "pets.test.yaml"
    test_file.write_text(
        "version: 1\nassistant: assistant.yaml\ncases:\n  - name: one\n    turns:\n"
        f"      - user: Hi\n        expect: {{tool_calls: [{{name: {expected}}}]}}\n")
    return test_file


OPENAPI = "  - {type: openapi, spec: pets.yaml}\n"


def test_an_openapi_operation_is_a_known_tool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _codes(capsys, _project(tmp_path, OPENAPI, "listPets")) == []


def test_a_wrong_name_lists_the_operations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems = _codes(capsys, _project(tmp_path, OPENAPI, "listCats"))
    assert [code for code, _ in problems] == ["unknown-tool"]
    assert "(its tools: listPets)" in problems[0][1]


def test_search_knowledge_is_known_in_tool_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    test_file = _project(tmp_path, OPENAPI, "search_knowledge", "knowledge: {files: [kb.md]}\n")
    assert _codes(capsys, test_file) == []


def test_names_are_not_checked_against_an_mcp_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mcp = "  - {type: mcp, name: files, command: python3, args: [server.py]}\n"
    assert _codes(capsys, _project(tmp_path, OPENAPI + mcp, "read_file")) == []
