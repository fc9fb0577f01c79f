"""`gptkit validate --profile custom-gpt|m365` checks the limits of the platform."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAD = "version: 1\nname: p\nmodel:\n  name: gpt-4o-mini\ninstructions_format: plain\n"


def validate(path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", "validate", str(path), *flags],
                          capture_output=True, text=True, timeout=60)


def project(tmp_path: Path, instructions: str, extra: str = "") -> Path:
    (tmp_path / "instructions.md").write_text(instructions, encoding="utf-8")
    path = tmp_path / "assistant.yaml"
    path.write_text(HEAD + "instructions_file: instructions.md\n" + extra, encoding="utf-8")
    return path


def test_instructions_over_8000_characters(tmp_path: Path) -> None:
    path = project(tmp_path, "x" * 8000)
    for profile in ("custom-gpt", "m365"):
        assert validate(path, "--profile", profile).returncode == 0
    path = project(tmp_path, "x" * 8001)
    assert validate(path).returncode == 0  # only a warning without a profile
    result = validate(path, "--profile", "m365")
    assert result.returncode == 1
    assert ("instructions_file: the instructions: 8,001 characters; Microsoft 365 allows at "
            "most 8,000 [profile-limit]") in result.stdout


def test_m365_allows_ten_actions_and_gpt_action_texts_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "actions").mkdir()
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {
        "summary": "s" * 301, "parameters": [{"name": "q", "in": "query",
                                               "description": "d" * 701}],
        "responses": {"200": {"description": "ok"}}}}}}
    (tmp_path / "actions" / "a.json").write_text(json.dumps(spec))
    listed = "".join("\n    - actions/a.json" for _ in range(11))
    path = project(tmp_path, "Hi.", "x-imported:\n  actions:" + listed + "\n")
    m365 = validate(path, "--profile", "m365")
    assert m365.returncode == 1
    assert "x-imported.actions: 11 actions; Microsoft 365 allows at most 10" in m365.stdout
    gpt = validate(path, "--profile", "custom-gpt")
    assert gpt.returncode == 1
    assert "actions/a.json: GET /a: the summary: 301 characters; a custom GPT allows at most " \
        "300" in gpt.stdout
    assert "the description of parameter 'q': 701 characters" in gpt.stdout
    assert validate(path).returncode == 0


def test_an_unknown_profile_is_a_command_line_error(tmp_path: Path) -> None:
    result = validate(project(tmp_path, "Hi."), "--profile", "gemini")
    assert result.returncode == 2 and "invalid choice" in result.stderr
