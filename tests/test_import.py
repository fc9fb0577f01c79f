"""`gptkit import`: every realistic sample becomes a project that validates with no errors,
what was not carried over is reported one line each, bad input fails on one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, call, text, tool_calls

SAMPLES = Path(__file__).parent / "imports"


def gptkit(*args: str, cwd: Path | None = None,
           server: FakeOpenAI | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    env["OPENAI_API_KEY"] = "sk-test-import-000000000000"
    if server is not None:
        env["OPENAI_BASE_URL"] = server.url
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, env=env, timeout=120, input="", cwd=cwd)


def imported(tmp_path: Path, sample: str, *extra: str) -> tuple[Path, str]:
    out = tmp_path / "out"
    result = gptkit("import", str(SAMPLES / sample), "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    checked = gptkit("validate", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " 0 errors" in " " + checked.stdout + checked.stderr
    return out, result.stdout + result.stderr


SAMPLE_NAMES = [
    ("gpt-folder", None), ("gpt-instructions.txt", None), ("gpt-record.json", None),
    ("assistant.json", None), ("assistants-list.json", None), ("support.prompty", None),
    ("summarise.prompty", None), ("m365", None), ("m365-v1.0.json", None),
    ("gpt-record.json", "gpt"), ("m365", "m365"), ("assistant.json", "assistants-api"),
    ("support.prompty", "prompty"), ("gpt-flat-record.json", None),
    ("assistants-bare-list.json", None), ("crlf.prompty", None),
]


@pytest.mark.parametrize(("sample", "kind"), SAMPLE_NAMES)
def test_every_sample_imports_to_a_project_that_validates(tmp_path: Path, sample: str,
                                                          kind: str | None) -> None:
    extra = ("--from", kind) if kind else ()
    out, report = imported(tmp_path, sample, *extra)
    assert "carried over:" in report
    assert list(tmp_path.iterdir()) == [out]  # no staging folder left beside it


def test_a_gpt_folder_keeps_its_text_knowledge_and_actions(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "gpt-folder")
    source = (SAMPLES / "gpt-folder" / "instructions.md").read_text(encoding="utf-8")
    assert (out / "instructions.md").read_text(encoding="utf-8") == source  # byte for byte
    assert (out / "knowledge" / "menu.md").read_bytes() == (
        SAMPLES / "gpt-folder" / "knowledge" / "menu.md").read_bytes()
    assert (out / "knowledge" / "prices.pdf").is_file()
    spec = json.loads((out / "actions" / "bookings.json").read_text(encoding="utf-8"))
    assert spec["paths"]["/orders"]["post"]["operationId"] == "createOrder"
    yaml = (out / "assistant.yaml").read_text(encoding="utf-8")
    assert "instructions_format: plain" in yaml and "display_name: Corner Bakery Helper" in yaml
    assert "x-imported:" in yaml and "- knowledge/menu.md" in yaml
    assert "not carried over: image generation" in report
    assert "carried over: action 'bookings.yaml': actions/bookings.json, a type: openapi tool " \
        "(createOrder)" in report
    assert "- type: openapi\n    spec: actions/bookings.json" in yaml
    body = json.loads(gptkit("render", str(out / "assistant.yaml"), "--format", "json").stdout)
    assert body["messages"][0]["content"] == source  # the braces are sent as written


def test_a_gizmo_record_with_a_unicode_name_and_thirteen_starters(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "gpt-record.json")
    yaml = (out / "assistant.yaml").read_text(encoding="utf-8")
    assert "name: nihongo-sensei" in yaml  # from the share URL: the name has no ASCII letters
    assert "display_name: 日本語の先生" in yaml
    assert yaml.count("\n  - ") >= 12 and "What is katakana for?" not in yaml.split("x-imported")[0]
    assert "conversation starter over the 12 allowed: 'What is katakana for?'" in report
    assert "warning: gizmo.display.description: the description has 438 characters" in report
    for hosted in ("web browsing", "image generation", "code interpreter",
                   "knowledge file 'jlpt-n5-vocabulary.pdf'"):
        assert f"not carried over: {hosted}" in report
    assert "action 'dict.example.org': actions/dict.example.org-4.json, a type: openapi tool " \
        "(lookupWord)" in report
    assert json.loads((out / "actions" / "dict.example.org-4.json").read_text())["openapi"]


def test_an_assistants_api_function_becomes_a_stub_that_says_what_to_implement(
        tmp_path: Path) -> None:
    out, report = imported(tmp_path, "assistant.json")
    assert "not carried over: code interpreter" in report
    assert "not carried over: file_search" in report
    script = [tool_calls(call("lookup_invoice", {"invoice_number": "INV-1",
                                                 "include_lines": False})),
              text("I cannot look that up yet.")]
    with FakeOpenAI(script) as server:
        result = gptkit("run", str(out / "assistant.yaml"), "What is INV-1's total?",
                        server=server)
    assert result.returncode == 0, result.stderr
    assert server.requests[0].tools()["lookup_invoice"]["required"] == [
        "invoice_number", "include_lines"]
    (answer,) = server.requests[1].tool_results()
    assert "lookup_invoice is a stub written by gptkit import" in answer.output


def test_a_list_response_gives_one_project_per_assistant(tmp_path: Path) -> None:
    out, _ = imported(tmp_path, "assistants-list.json")
    folders = sorted(p.name for p in out.iterdir())
    assert folders == ["asst-zx1cv3bn5ml7kj9hg2fd4sa6", "reunion-resume"]
    yaml = (out / "reunion-resume" / "assistant.yaml").read_text(encoding="utf-8")
    assert "display_name: Réunion Résumé" in yaml and "format: json" in yaml


def test_prompty_inputs_become_variables(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "support.prompty")
    body = json.loads(gptkit("render", str(out / "assistant.yaml"), "--var", "firstName=Ana",
                             "--format", "json").stdout)
    prompt = body["messages"][0]["content"]
    assert "You are helping Ana find" in prompt and "TrailMaster X4" in prompt
    assert '{"missing": "<product name>"}' in prompt
    assert "not carried over: the user: section" in report
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.2


def test_an_m365_manifest_reads_its_instruction_file_and_copies_files(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "m365")
    app = SAMPLES / "m365" / "appPackage"
    assert (out / "instructions.md").read_text() == (app / "instruction.txt").read_text()
    assert (out / "knowledge" / "handbook.md").is_file()
    assert (out / "actions" / "repairs-plugin.json").is_file()
    assert json.loads((out / "actions" / "repairs-openapi.json").read_text())["openapi"]
    for line in ("web search (WebSearch)", "code interpreter (CodeInterpreter)",
                 "action 'repairsPlugin'", "disclaimer: Microsoft 365 only"):
        assert f"not carried over: {line}" in report
    yaml = (out / "assistant.yaml").read_text(encoding="utf-8")
    assert "Which repair tickets are still open in Building 2?" in yaml


def test_importing_twice_needs_force(tmp_path: Path) -> None:
    out, _ = imported(tmp_path, "gpt-instructions.txt")
    (out / "notes.txt").write_text("mine")
    again = gptkit("import", str(SAMPLES / "gpt-instructions.txt"), "-o", str(out))
    assert again.returncode == 1
    assert "give --force" in again.stderr and (out / "notes.txt").read_text() == "mine"
    forced = gptkit("import", str(SAMPLES / "gpt-instructions.txt"), "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "notes.txt").exists() and (out / "assistant.yaml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_default_folder_is_the_assistants_id(tmp_path: Path) -> None:
    result = gptkit("import", str(SAMPLES / "m365-v1.0.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "expense-policy-q-a" / "assistant.yaml").is_file()


def _bad(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


BAD = [
    ("truncated.json", '{"gizmo": {"display": {"name": "Cut', ["--from", "gpt"],
     "truncated.json: line 1: not valid JSON"),
    ("latin1.txt", "Café".encode("latin-1"), [], "latin1.txt: line 1: the instructions file is "
     "not UTF-8"),
    ("types.json", json.dumps({"gizmo": {"display": {"name": 42}}}), [],
     "types.json: gizmo.display.name: expected text, got a number"),
    ("starters.json", json.dumps({"gizmo": {"display": {"prompt_starters": "Hi"}}}), [],
     "starters.json: gizmo.display.prompt_starters: expected a list"),
    ("files.json", json.dumps({"gizmo": {"instructions": "Hi"}, "files": [{"name": "../x.pdf"}]}),
     [], "files.json: files[0].name: '../x.pdf' leads outside"),
    ("abs.json", json.dumps({"gizmo": {"instructions": "Hi"}, "files": [{"name": "/etc/passwd"}]}),
     [], "abs.json: files[0].name: '/etc/passwd' leads outside"),
    ("wrong.prompty", "---\nname: x\n---\nsystem:\nHi\n", ["--from", "assistants-api"],
     "wrong.prompty: line 1: not valid JSON"),
    ("asst.json", json.dumps({"object": "assistant", "tools": [{"type": "function"}]}), [],
     "asst.json: tools[0].function: expected an object, got null"),
    ("nofront.prompty", "system:\nHi\n", [], "nofront.prompty: front matter: a .prompty file "
     "starts with a '---' line"),
    ("cut.prompty", "---\nname: x\nmodel: gpt-4o\n", [], "cut.prompty: front matter: no closing"),
    ("agent.json", json.dumps({"version": "v1.6", "name": "A",
                               "instructions": "$[file('../../etc/hosts')]"}), [],
     "agent.json: instructions: '../../etc/hosts' leads outside"),
    ("agent2.json", json.dumps({"version": "v1.2", "name": "A", "instructions": "Hi",
                                "conversation_starters": ["Hello"]}), [],
     "agent2.json: conversation_starters[0]: expected an object, got text"),
    ("noname.json", json.dumps({"version": "v1.0", "instructions": "Hi"}), [],
     "noname.json: name: the manifest has no name"),
    ("list.json", json.dumps([1, 2]), ["--from", "gpt"],
     "list.json: (the record): expected an object, got a list"),
    ("what.json", json.dumps({"hello": "world"}), [], "what.json: cannot tell which kind"),
    ("gizmo.json", json.dumps({"gizmo": {"instructions": "Hi"}}), ["--from", "assistants-api"],
     'gizmo.json: object: not an Assistants API assistant (expected "object": "assistant")'),
]


@pytest.mark.parametrize(("name", "content", "flags", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_fails_on_one_clear_line_and_writes_nothing(
        tmp_path: Path, name: str, content: str | bytes, flags: list[str], message: str) -> None:
    source = _bad(tmp_path, name, content)
    out = tmp_path / "out"
    result = gptkit("import", str(source), "-o", str(out), *flags)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gptkit import: error: "), result.stderr
    assert message in lines[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_a_50_mb_instructions_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "src" / "huge.md"
    big.parent.mkdir()
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = gptkit("import", str(big), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "huge.md: the instructions file is 50.0 MiB; gptkit imports files up to 10 MiB" in (
        result.stderr)
    assert not (tmp_path / "out").exists()


def test_a_gpt_manifest_naming_a_file_outside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "instructions.md").write_text("Hi")
    (folder / "gpt.json").write_text(json.dumps({"name": "x", "knowledge": ["../../secret"]}))
    result = gptkit("import", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "gpt.json: knowledge[0]: '../../secret' leads outside" in result.stderr
    link = folder / "notes.md"
    (folder / "gpt.json").write_text(json.dumps({"name": "x"}))
    os.symlink("/etc/hostname", link)
    result = gptkit("import", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and "notes.md: a link that leads outside" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_from_is_a_command_line_error(tmp_path: Path) -> None:
    result = gptkit("import", str(SAMPLES / "assistant.json"), "--from", "gem")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_a_key_in_the_instructions_is_warned_about_never_printed(tmp_path: Path) -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    source = _bad(tmp_path, "instructions.md", f"Call the API with {key}.\n")
    result = gptkit("import", str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "warning: instructions: they hold what looks like an OpenAI-style API key" in (
        result.stderr)
    assert key not in result.stdout + result.stderr


def test_a_prompty_file_with_windows_line_ends(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "crlf.prompty")
    assert "not carried over: the user: section" in report
    assert "vars.visitor" in (out / "instructions.md.j2").read_text(encoding="utf-8")


def test_a_flat_gpt_record_lists_tools_by_name(tmp_path: Path) -> None:
    out, report = imported(tmp_path, "gpt-flat-record.json")
    assert "display_name: Résumé Reviewer" in (out / "assistant.yaml").read_text(encoding="utf-8")
    assert "not carried over: web browsing" in report and "'cv-checklist.pdf'" in report
