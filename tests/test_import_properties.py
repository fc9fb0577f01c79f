"""Hypothesis: arbitrary JSON- and YAML-shaped input never crashes an importer. Each input
either imports to a project that validates with no errors, or fails with ImportFailed (a clear
one-line reason) that is not "the imported assistant would not validate"."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gptkit.formats import import_source
from gptkit.formats.common import ImportFailed
from gptkit.formats.writer import write
from gptkit.loading import check_file

TEXT = st.text(max_size=40) | st.sampled_from(
    ["", "{{user}}", "{{firstName}}", "{% if %}", "$5 ${HOME}", "日本語", "sk-", "a" * 400,
     "$[file('instruction.txt')]", "../x", "/etc/passwd", "g-abc", "---", "null"]
)
SCALAR = st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(
    allow_nan=False, allow_infinity=False) | TEXT
JSONISH = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The right shape most of the time, anything now and then."""
    return st.one_of(value, value, value, JSONISH)


def record(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in fields.items()})


TOOL = record({"type": st.sampled_from(["browser", "dalle", "python", "plugins_prototype",
                                         "function", "file_search", "code_interpreter", "x"]),
               "metadata": record({"domain": TEXT, "raw_spec": TEXT | st.just(
                   "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")}),
               "function": record({"name": TEXT, "description": TEXT, "strict": st.booleans(),
                                   "parameters": JSONISH | st.just(
                                       {"type": "object", "properties": {"a": {"type": "string"}}}
                                   )})})
GIZMO = record({
    "gizmo": record({"id": TEXT, "instructions": TEXT, "short_url": TEXT, "model": TEXT,
                     "display": record({"name": TEXT, "description": TEXT,
                                        "prompt_starters": st.lists(TEXT, max_size=14)})}),
    "tools": st.lists(TOOL, max_size=4),
    "files": st.lists(record({"name": TEXT}), max_size=3),
})
ASSISTANT = record({
    "object": st.just("assistant"), "id": TEXT, "name": TEXT, "description": TEXT,
    "model": TEXT, "instructions": TEXT, "tools": st.lists(TOOL, max_size=4),
    "temperature": SCALAR, "top_p": SCALAR, "metadata": st.dictionaries(TEXT, TEXT, max_size=3),
    "tool_resources": JSONISH,
    "response_format": st.sampled_from(["auto", {"type": "json_object"}]) | st.just(
        {"type": "json_schema", "json_schema": {"strict": True, "schema": {
            "type": "object", "properties": {"a": {"type": "string"}}}}}),
})
M365 = record({
    "version": st.sampled_from(["v1.0", "v1.4", "v1.8"]), "name": TEXT, "description": TEXT,
    "instructions": TEXT,
    "conversation_starters": st.lists(record({"title": TEXT, "text": TEXT}), max_size=14),
    "capabilities": st.lists(record({"name": st.sampled_from(
        ["WebSearch", "GraphicArt", "EmbeddedKnowledge", "Email", "Nope"]),
        "files": st.lists(record({"file": TEXT}), max_size=2)}), max_size=3),
    "actions": st.lists(record({"id": TEXT, "file": TEXT}), max_size=2),
    "disclaimer": JSONISH,
})
FRONT = record({
    "name": TEXT, "description": TEXT, "authors": st.lists(TEXT, max_size=2),
    "model": record({"api": TEXT, "id": TEXT,
                     "configuration": record({"azure_deployment": TEXT}),
                     "parameters": st.dictionaries(st.sampled_from(
                         ["temperature", "max_tokens", "top_p", "seed", "stop"]), SCALAR)}),
    "inputs": st.dictionaries(TEXT, JSONISH, max_size=3) | st.lists(
        record({"name": TEXT, "kind": TEXT, "default": SCALAR}), max_size=3),
    "sample": st.dictionaries(TEXT, SCALAR, max_size=3),
})
BODY = st.lists(st.sampled_from(["system:\n", "user:\n", "Hello {{name}}.\n", "{{ x }}\n",
                                 "{% for a in b %}\n", "{# c\n", "}}\n", "plain text\n", "$$\n"])
                | TEXT.map(lambda t: t + "\n"), max_size=8).map("".join)


def check(name: str, content: str, kind: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / name
        source.write_text(content, encoding="utf-8")
        (Path(tmp) / "instruction.txt").write_text("From a file.", encoding="utf-8")
        try:
            results = import_source(source, kind)
            if not results:
                return
            written = write(results, Path(tmp) / "out")
        except ImportFailed as exc:
            message = str(exc)
            assert "would not validate" not in message, message
            assert "\n" not in message.strip(), message
            return
        for path in written:
            errors = [p.describe() for p in check_file(path, environ={}).problems
                      if p.severity == "error"]
            assert errors == []


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(GIZMO | JSONISH)
def test_gpt_records(value: Any) -> None:
    check("gpt.json", json.dumps(value), "gpt")


@FAST
@given(ASSISTANT | st.fixed_dictionaries({"object": st.just("list"),
                                          "data": st.lists(ASSISTANT, max_size=3)}))
def test_assistants_api_objects(value: Any) -> None:
    check("assistant.json", json.dumps(value), "assistants-api")


@FAST
@given(M365)
def test_m365_manifests(value: Any) -> None:
    check("declarativeAgent.json", json.dumps(value), "m365")


@FAST
@given(FRONT | JSONISH, BODY)
def test_prompty_files(front: Any, body: str) -> None:
    check("a.prompty", "---\n" + json.dumps(front) + "\n---\n" + body, "prompty")


@FAST
@given(st.text(max_size=200) | BODY)
def test_any_text_as_gpt_instructions(text: str) -> None:
    check("instructions.md", text, None)
