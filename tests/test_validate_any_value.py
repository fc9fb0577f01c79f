"""Any value at any place of an assistant file is a problem at its line, never a crash.

``tools[].type`` written as a mapping or a list used to end ``validate`` with "internal error:
unhashable type", losing the other files' reports: values from the file were used as dict keys
or looked up in sets before their type was known. The property puts arbitrary JSON values
(JSON is YAML) at random places of a rich valid file and checks that ``check_file`` returns.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gptkit.loading import check_file

BASE: dict[str, Any] = {
    "version": 1,
    "name": "any-value",
    "model": {"name": "gpt-4o-mini", "base_url": "http://localhost:4000/v1", "extra": {"a": 1}},
    "persona": {"name": "Ada", "traits": ["calm"]},
    "variables": {
        "topic": {"type": "string", "default": "maths", "enum": ["maths", "art"]},
        "depth": {"type": "integer", "default": 2},
    },
    "conversation_starters": ["hi"],
    "tools": [
        {"type": "builtin", "name": "calculator"},
        {"type": "builtin", "name": "remember", "confirm": True},
        {
            "type": "python",
            "name": "lookup",
            "function": "tools_mod.lookup:run",
            "description": "Look a thing up.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}},
                           "required": ["q"], "additionalProperties": False},
        },
    ],
    "memory": {"policy": "window", "max_messages": 10, "long_term": True,
               "redact": ["email", {"pattern": "x+", "replace": "[x]"}]},
    "output": {"format": "json", "schema": {"type": "object", "properties": {"a": {"type":
                                            "string"}}, "required": ["a"],
                                            "additionalProperties": False}},
    "limits": {"max_tool_rounds": 3},
    "metadata": {"owner": "tests"},
    "instructions": "You are {{ persona.name }} on {{ vars.topic }}.",
}

# Words the checks look for, so that grafted mappings reach their code paths.
WORDS = ["type", "name", "function", "parameters", "default", "enum", "required", "pattern",
         "replace", "properties", "items", "format", "schema", "policy", "strict", "builtin",
         "python", "string", "object", "array", "calculator", "remember", "extends", "x", ""]
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=False),
                   st.sampled_from(WORDS), st.text(max_size=4))
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=4)), inner, max_size=3),
    max_leaves=8,
)


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path of ``data`` (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(
        data, list) else []
    for key, value in items:
        out.append((*path, key))
        out.extend(_places(value, (*path, key)))
    return out


@st.composite
def grafted(draw: st.DrawFn) -> dict[str, Any]:
    """BASE with one to three values replaced (or keys added) by arbitrary JSON values."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(_places(data)))
        parent: Any = data
        for part in place[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.booleans()):
            parent[draw(st.sampled_from(WORDS))] = draw(VALUE)
        else:
            parent[place[-1]] = draw(VALUE)
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("any-value")
    (path / "tools_mod").mkdir()
    (path / "tools_mod" / "__init__.py").write_text("")
    (path / "tools_mod" / "lookup.py").write_text("def run(q: str) -> str:\n    return q\n")
    return path


def _check(folder: Path, data: Any) -> None:
    file = folder / "assistant.yaml"
    file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    report = check_file(file, environ={})  # raising here is the crash
    for problem in report.problems:
        assert problem.code != "internal-error", problem
        assert problem.line >= 0 and problem.column >= 0, problem


def test_the_base_file_is_valid(folder: Path) -> None:
    file = folder / "assistant.yaml"
    file.write_text(json.dumps(BASE), encoding="utf-8")
    assert [p.describe() for p in check_file(file, environ={}).problems] == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=grafted())
@example(data={**BASE, "tools": [{"type": {"a": 1}, "name": "f"}]})
@example(data={**BASE, "tools": [{"type": ["builtin"], "name": "f"}]})
@example(data={**BASE, "variables": {"v": {"type": {"a": 1}}}})
@example(data={**BASE, "variables": {"v": {"type": "string", "default": "a", "enum": [[1]]}}})
def test_any_value_anywhere_is_a_problem_not_a_crash(folder: Path, data: dict[str, Any]) -> None:
    _check(folder, data)


@pytest.mark.parametrize("value", [{"a": 1}, ["builtin"], [], {}])
def test_a_tool_type_that_is_not_text_is_a_type_error_at_its_line(
    tmp_path: Path, value: Any
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: t\nmodel: {name: gpt-4o-mini}\ninstructions: Hi.\n"
                   f"tools:\n  - name: f\n    type: {json.dumps(value)}\n")
    hot = tmp_path / "hot.yaml"
    hot.write_text("version: 1\nname: h\nmodel: {name: m, temperature: hot}\ninstructions: Hi.\n")
    result = subprocess.run([sys.executable, "-m", "gptkit", "validate", "bad.yaml", "hot.yaml"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={"NO_COLOR": "1", "PATH": ""})
    assert (result.returncode, result.stderr) == (1, "")
    described = "a mapping" if isinstance(value, dict) else "a list"
    assert result.stdout.startswith(
        f"bad.yaml:7:11: error: tools[0].type: expected a string, got {described} [type]\n"
        "    = hint: a tool's type is one of: "), result.stdout
    assert 'hot.yaml:3:31: error: model.temperature: expected a number, got "hot"' in result.stdout


def test_a_bug_on_one_file_still_prints_the_other_files_reports(tmp_path: Path) -> None:
    """The last line of defence: a crash checking one file is that file's error (exit 1)."""
    (tmp_path / "a.yaml").write_text("version: 1\nname: a\nmodel: {name: m}\ninstructions: Hi.\n")
    (tmp_path / "b.yaml").write_text("version: 1\nname: b\nmodel: {name: m, top_p: 9}\n"
                                     "instructions: Hi.\n")
    probe = (
        "import sys\n"
        "import gptkit.loading as loading\n"
        "real = loading.check_file\n"
        "def check_file(path, root=None, environ=None):\n"
        "    if path.name == 'a.yaml':\n"
        "        raise TypeError(\"unhashable type: 'dict'\")\n"
        "    return real(path, root, environ)\n"
        "loading.check_file = check_file\n"
        "from gptkit.cli.main import main\n"
        "sys.exit(main(['validate', 'a.yaml', 'b.yaml']))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120, env={"NO_COLOR": "1", "PATH": ""})
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        "a.yaml: error: gptkit failed while checking this file: TypeError: unhashable type: "
        "'dict' [internal-error]",
        "    = hint: this is a bug in gptkit; run again with GPTKIT_DEBUG=1 to see where, and "
        "report it",
        "b.yaml:3:25: error: model.top_p: 9 is too large; the most allowed is 1 [range]",
        "2 errors, 0 warnings in 2 files",
    ]


CASSETTE = Path(__file__).resolve().parents[1] / "examples" / "extends" / "extends.cassette.yaml"


def _cassette_data() -> dict[str, Any]:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(CASSETTE.read_text(encoding="utf-8"))
    return data


@st.composite
def grafted_cassettes(draw: st.DrawFn) -> dict[str, Any]:
    """The example cassette with one to three values replaced by arbitrary JSON values."""
    data = _cassette_data()
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(_places(data)))
        parent: Any = data
        for part in place[:-1]:
            parent = parent[part]
        parent[place[-1]] = draw(VALUE)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=grafted_cassettes())
def test_any_value_anywhere_in_a_cassette_is_a_problem_not_a_crash(
    folder: Path, data: dict[str, Any]
) -> None:
    file = folder / "any.cassette.yaml"
    file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    for problem in check_file(file).problems:
        assert problem.line >= 0 and problem.column >= 0, problem


def test_a_reply_with_both_body_and_stream_says_to_keep_one(tmp_path: Path) -> None:
    """It fits both forms of a reply (a oneOf); that used to crash on an empty max()."""
    data = _cassette_data()
    data["exchanges"][0]["response"]["body"] = {"id": "x"}
    file = tmp_path / "both.cassette.yaml"
    file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    problems = [(p.location, p.code, p.message, p.hint) for p in check_file(file).problems]
    assert problems == [("exchanges[0].response", "one-of", "give one of 'body' or 'stream', not "
                         "more", "remove the others")]
