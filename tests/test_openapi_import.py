"""`gptkit import` of a custom GPT: its action schemas become `type: openapi` tools."""

from __future__ import annotations

import json
from pathlib import Path

from test_import import gptkit, imported


def test_an_imported_action_is_a_tool_the_model_is_offered(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "gpt-record.json")
    yaml = (out / "assistant.yaml").read_text(encoding="utf-8")
    assert "- type: openapi\n    spec: actions/dict.example.org-4.json" in yaml
    assert "its authentication, if it has one: add auth: to the tool" in report
    body = json.loads(gptkit("render", str(out / "assistant.yaml"), "--format", "json").stdout)
    (tool,) = [t for t in body["tools"] if t["function"]["name"] == "lookupWord"]
    assert tool["function"]["parameters"]["required"] == ["q"]


def test_an_action_gptkit_cannot_use_stays_a_file_and_says_why(tmp_path: Path) -> None:
    source = tmp_path / "gpt"
    source.mkdir()
    (source / "instructions.md").write_text("Help.\n", encoding="utf-8")
    (source / "gpt.json").write_text(json.dumps({"name": "Old API", "instructions": "Help."}))
    (source / "legacy.yaml").write_text(
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", encoding="utf-8")
    out, report = imported(tmp_path, str(source))
    assert "type: openapi" not in (out / "assistant.yaml").read_text(encoding="utf-8")
    assert "action 'legacy.yaml': kept as actions/legacy.json, not a tool: this is a Swagger 2.0" in report
    assert (out / "actions" / "legacy.json").is_file()
