"""Property tests: no input crashes the loader, problems stay inside the file, schema and models agree.

See the "Tests" section of the style guide: arbitrary or mutated YAML never produces anything but
a valid config or a ``ConfigError`` whose lines lie inside the file; the JSON Schema and the
pydantic models accept exactly the same documents; unknown keys are always refused.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gptkit.config.models import Assistant
from gptkit.config.names import (
    BUILTIN_TOOLS,
    ENV_NAME_PATTERN,
    FUNCTION_PATTERN,
    NAME_PATTERN,
    REDACT_PATTERNS,
    TOOL_NAME_PATTERN,
    VARIABLE_NAME_PATTERN,
)
from gptkit.config.problems import format_location
from gptkit.config.schema_errors import validator
from gptkit.errors import ConfigError
from gptkit.loading import check_file, load

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted(REPO.glob("examples/*/assistant.yaml")) + sorted(
    REPO.glob("assistants/*/assistant.yaml")
)

# A richer valid file than the examples: every section, builtin tools only (no project code).
RICH = """\
# yaml-language-server: $schema=../../schemas/assistant.schema.json
version: 1
name: rich-sample
description: Every section of the format, with builtin tools only.
x-defaults: &defaults
  confirm: false
model:
  name: gpt-4o-mini
  api: chat
  base_url: https://api.example.com/v1
  api_key_env: OPENAI_API_KEY
  temperature: 0.3
  top_p: 0.9
  max_output_tokens: 800
  seed: 7
  context_window: 128000
  timeout_s: 30
  max_retries: 3
  extra:
    user: tester
persona:
  name: Ada
  role: research helper
  tone: "calm: precise"
  traits: [curious, careful]
  language: en
  style: short paragraphs
variables:
  topic:
    type: string
    default: maths
    description: What to talk about.
  depth:
    type: integer
    enum: [1, 2, 3]
    default: 2
  verbose:
    type: boolean
    default: false
conversation_starters:
  - What is 2 + 2?
  - 'What time is it: now?'
tools:
  - type: builtin
    name: calculator
    <<: *defaults
  - type: builtin
    name: current_time
    description: The current date and time.
    timeout_s: 5
  - type: builtin
    name: remember
    confirm: true
memory:
  policy: tokens
  max_messages: 10
  max_tokens: 3000
  long_term: true
  store: sqlite:///memory.db
  retention_days: 30
  redact:
    - email
    - pattern: "\\\\d{4}-\\\\d{4}"
      replace: "[card]"
output:
  format: json
  strict: true
  schema:
    type: object
    properties:
      answer: {type: string}
    required: [answer]
    additionalProperties: false
limits:
  max_tool_rounds: 4
  tool_timeout_s: 12.5
  max_tool_output_chars: 5000
  max_input_chars: 10000
metadata:
  owner: tests
  tags: [a, b]
instructions: |
  You are {{ persona.name }}, a {{ persona.role }}. Talk about {{ vars.topic }}.
  {% if vars.verbose %}Be thorough.{% else %}Be brief.{% endif %}
"""

SOURCES = [RICH, *(p.read_text(encoding="utf-8") for p in SAMPLES)]

YAMLISH = st.text(
    alphabet=st.sampled_from(list(":-[]{}&*!|>#'\"\n ,?%@`$\t") + list("abcxyz019")), max_size=200
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this module's own, for files written by the properties."""
    return tmp_path_factory.mktemp("properties")


def _line_count(text: str) -> int:
    """Lines of ``text`` counting every character any YAML version or editor treats as a break."""
    return len(text.splitlines()) + 1


def _assert_well_behaved(path: Path, text: str) -> None:
    """``check_file`` never raises and places problems inside the file; ``load`` raises only ConfigError."""
    path.write_bytes(text.encode("utf-8"))
    report = check_file(path, environ={})
    lines = _line_count(text)
    for problem in report.problems:
        assert problem.path == path, problem
        assert 0 <= problem.line <= lines + 1, (problem, lines)
        assert problem.column >= 0, problem
        assert problem.severity in ("error", "warning"), problem
    checked = report.errors == 0 and not any(p.code == "unset-variable" for p in report.problems)
    try:
        assistant = load(path, environ={})
    except ConfigError as exc:
        assert not checked, f"check_file passes but load fails: {exc.problems}"
        for problem in exc.problems:
            assert 0 <= problem.line <= lines + 1, (problem, lines)
            assert problem.column >= 0, problem
        assert any(p.severity == "error" for p in exc.problems), exc.problems
    else:
        assert isinstance(assistant, Assistant)


def test_samples_are_valid(workdir: Path) -> None:
    """The starting points of the mutations load cleanly (the rich one in a folder of its own)."""
    path = workdir / "rich" / "assistant.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(RICH, encoding="utf-8")
    report = check_file(path, environ={})
    assert report.errors == 0, report.problems
    assert isinstance(load(path, environ={}), Assistant)


# --- 1. arbitrary text ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(YAMLISH, st.text(max_size=200)))
@example(text="")
@example(text="version: 1\nname: [\n")
@example(text="a: &a [*a]\n")
@example(text="\u2028\u2029\x85key: [\n")
# The schema takes 1.0 as an integer; models that did not let validate pass and load fail.
@example(
    text="version: 1\nname: a\nmodel: {name: m}\ninstructions: hi\nlimits: {max_tool_rounds: 1.0}\n"
)
def test_arbitrary_text(workdir: Path, text: str) -> None:
    """Any text at all gives problems inside the file, a config, or a ConfigError: nothing else."""
    _assert_well_behaved(workdir / "assistant.yaml", text)


# --- 2. mutated valid files -------------------------------------------------------------------

_SCALARS = [
    "",
    "~",
    "null",
    "yes",
    "no",
    "0",
    "-1",
    "1.5",
    "1e309",
    ".nan",
    "'",
    '"',
    "[",
    "{",
    "*x",
    "&x",
    "!!python/object:os.system",
    "${HOME}",
    "${",
    "$$",
    "{{ x",
    "a: b",
    "\t",
    "- x",
    "|",
    ">",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid file's text after one to five random edits."""
    lines = draw(st.sampled_from(SOURCES)).split("\n")
    for _ in range(draw(st.integers(1, 5))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(
                ["delete", "duplicate", "insert", "indent", "dedent", "swap", "scalar", "truncate"]
            )
        )
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            chars = draw(st.one_of(YAMLISH.filter(bool), st.text(min_size=1, max_size=5)))
            lines[i] = lines[i][:pos] + chars + lines[i][pos:]
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(1, 4)) + lines[i]
        elif kind == "dedent":
            lines[i] = lines[i][draw(st.integers(1, 4)) :]
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "scalar":
            head, colon, _ = lines[i].partition(": ")
            value = draw(st.one_of(st.sampled_from(_SCALARS), st.text(max_size=8)))
            lines[i] = f"{head}{colon or ': '}{value}"
        else:
            lines = lines[: i + 1]
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(text=mutated())
def test_mutated_valid_files(workdir: Path, text: str) -> None:
    """Edited valid files give problems inside the file, a config, or a ConfigError."""
    _assert_well_behaved(workdir / "assistant.yaml", text)


# --- 3. the schema and the models agree -------------------------------------------------------


def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = validator().schema["$defs"]
    return defs


TOP_KEYS = list(validator().schema["properties"])

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
JUNK = st.recursive(
    SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
# Values that sit on a boundary between types or ranges, where validators tend to differ.
TRICKY = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        2,
        11,
        1.0,
        0.0,
        2.5,
        -0.0,
        10**30,
        "1",
        "0",
        "1.5",
        "true",
        "yes",
        "",
        " ",
        "a\n",
        "a",
        "gpt-4o-mini",
        "json",
        "text",
        "window",
        "chat",
        "python",
        "builtin",
        "calculator",
        "email",
        "A_B",
        "mod:fn",
        "mod:fn\n",
        "http://x",
        "http://x\n",
        "sqlite:///x",
        "sqlite:///x\n",
        "x" * 300,
        "x" * 301,
        "x" * 1024,
        "x" * 1025,
        [],
        {},
        ["a"],
        {"a": 1},
        {"type": "string"},
    ]
)
TEXT = st.text(max_size=8)
POSITIVE_INT = st.one_of(st.integers(1, 10), st.integers(min_value=1))
POSITIVE_FLOAT = st.one_of(
    st.integers(1, 100), st.floats(min_value=0, exclude_min=True, allow_infinity=False)
)
JSON_OBJECT = st.dictionaries(st.text(max_size=5), JUNK, max_size=3)
VALUE = st.one_of(
    st.text(max_size=5),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


MODEL = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=8)},
    optional={
        "api": st.sampled_from(["chat", "responses"]),
        "base_url": st.sampled_from(["https://api.example.com/v1", "http://localhost:11434/v1"]),
        "api_key_env": _regex(ENV_NAME_PATTERN),
        "organization_env": _regex(ENV_NAME_PATTERN),
        "temperature": st.one_of(st.integers(0, 2), st.floats(0, 2)),
        "top_p": st.one_of(st.integers(0, 1), st.floats(0, 1)),
        "max_output_tokens": POSITIVE_INT,
        "seed": st.integers(),
        "reasoning_effort": st.sampled_from(["minimal", "low", "medium", "high"]),
        "context_window": POSITIVE_INT,
        "timeout_s": POSITIVE_FLOAT,
        "max_retries": st.integers(0, 10),
        "extra": JSON_OBJECT,
    },
)
PERSONA = st.fixed_dictionaries(
    {},
    optional={
        **{key: TEXT for key in ("name", "role", "tone", "language", "style")},
        "traits": st.lists(TEXT, max_size=3),
    },
)
VARIABLE = st.fixed_dictionaries(
    {"type": st.sampled_from(["string", "integer", "number", "boolean"])},
    optional={
        "description": TEXT,
        "default": VALUE,
        "required": st.booleans(),
        "enum": st.lists(VALUE, max_size=3),
    },
)
_TOOL_COMMON = {
    "description": st.text(max_size=10),
    "confirm": st.booleans(),
    "timeout_s": POSITIVE_FLOAT,
    "strict": st.booleans(),
}
BUILTIN = st.fixed_dictionaries(
    {"type": st.just("builtin"), "name": st.sampled_from(BUILTIN_TOOLS)}, optional=_TOOL_COMMON
)
PYTHON = st.fixed_dictionaries(
    {
        "type": st.just("python"),
        "name": _regex(TOOL_NAME_PATTERN),
        "function": _regex(FUNCTION_PATTERN),
    },
    optional={**_TOOL_COMMON, "parameters": JSON_OBJECT},
)
MEMORY = st.fixed_dictionaries(
    {},
    optional={
        "policy": st.sampled_from(["none", "window", "tokens", "summary"]),
        "max_messages": POSITIVE_INT,
        "max_tokens": POSITIVE_INT,
        "summary_model": st.text(min_size=1, max_size=5),
        "long_term": st.booleans(),
        "store": st.sampled_from(["sqlite:///a.db", "postgresql://u@h/db", "postgres://h/d"]),
        "retention_days": POSITIVE_INT,
        "redact": st.lists(
            st.one_of(
                st.sampled_from(REDACT_PATTERNS),
                st.fixed_dictionaries(
                    {"pattern": st.text(min_size=1, max_size=5)}, optional={"replace": TEXT}
                ),
            ),
            max_size=3,
        ),
    },
)
OUTPUT = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"format": st.just("text"), "schema": JSON_OBJECT, "strict": st.booleans()}
    ),
    st.fixed_dictionaries(
        {"format": st.just("json"), "schema": JSON_OBJECT}, optional={"strict": st.booleans()}
    ),
)
LIMITS = st.fixed_dictionaries(
    {},
    optional={
        "max_tool_rounds": POSITIVE_INT,
        "tool_timeout_s": POSITIVE_FLOAT,
        "max_tool_output_chars": POSITIVE_INT,
        "max_input_chars": POSITIVE_INT,
    },
)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document both validators should accept: random optional keys, values in range."""
    doc: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {"version": st.just(1), "name": _regex(NAME_PATTERN), "model": MODEL},
            optional={
                "description": st.text(max_size=20),
                "persona": PERSONA,
                "variables": st.dictionaries(_regex(VARIABLE_NAME_PATTERN), VARIABLE, max_size=2),
                "conversation_starters": st.lists(TEXT, max_size=10),
                "tools": st.lists(st.one_of(BUILTIN, PYTHON), max_size=3),
                "memory": MEMORY,
                "output": OUTPUT,
                "limits": LIMITS,
                "metadata": JSON_OBJECT,
                "extends": st.one_of(TEXT, st.lists(TEXT, max_size=2)),
            },
        )
    )
    if draw(st.booleans()):
        doc["instructions"] = draw(TEXT)
    else:
        doc["instructions_file"] = draw(st.text(min_size=1, max_size=8))
    for key in draw(st.lists(TEXT, max_size=2)):
        doc["x-" + key] = draw(JUNK)
    return doc


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list inside ``value``, ``value`` itself first."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, (dict, list)):
        out.append(path)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            out.extend(_containers(item, (*path, key)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


# Known keys of each kind of mapping, so that a variation can add a field the document lacks.
_FIELDS = {name: list(d["properties"]) for name, d in _defs().items()}
_SECTIONS = {
    "model": "ModelSettings",
    "persona": "Persona",
    "memory": "Memory",
    "output": "Output",
    "limits": "Limits",
}


def _known_keys(where: tuple[Any, ...], target: dict[str, Any]) -> list[str]:
    """The keys the format defines for the mapping at ``where``; none for free-form mappings."""
    if where == ():
        return TOP_KEYS
    if len(where) == 1 and where[0] in _SECTIONS:
        return _FIELDS[_SECTIONS[where[0]]]
    if len(where) == 2 and where[0] == "tools":
        return _FIELDS["PythonTool" if target.get("type") == "python" else "BuiltinTool"]
    if len(where) == 2 and where[0] == "variables":
        return _FIELDS["Variable"]
    if len(where) == 3 and where[:2] == ("memory", "redact"):
        return _FIELDS["RedactRule"]
    return []


def _twins(value: Any) -> list[Any]:
    """Values that a lenient reader might take for ``value``, though their JSON type differs."""
    if isinstance(value, bool):
        return [int(value), float(value), str(value).lower(), "yes" if value else "no"]
    if isinstance(value, (int, float)):
        return [str(value), float(value), value == 1, [value]]
    if isinstance(value, str):
        return [value + "\n", "\n" + value, value.upper(), [value], value.encode().hex() or "0"]
    return [value, None]


@st.composite
def varied_documents(draw: st.DrawFn) -> Any:
    """A valid document after zero to three edits: a value replaced, a key dropped or added."""
    if draw(st.integers(0, 30)) == 0:
        return draw(JUNK)
    doc = draw(valid_documents())
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
        containers = _containers(doc)
        # Mostly edit the format's own mappings: free-form ones (metadata, schemas) take anything.
        structured = [c for c in containers if isinstance(_get(doc, c), dict)]
        structured = [c for c in structured if _known_keys(c, _get(doc, c))]
        pool = structured if structured and draw(st.integers(0, 3)) else containers
        where = draw(st.sampled_from(pool))
        target = _get(doc, where)
        value = draw(st.one_of(TRICKY, TRICKY, JUNK))
        if isinstance(target, list):
            if target:
                index = draw(st.integers(0, len(target) - 1))
                if draw(st.booleans()):
                    target[index] = value
                else:
                    del target[index]
            continue
        kind = draw(st.sampled_from(["replace", "twin", "delete", "add"]))
        if kind == "add" or not target:
            known = _known_keys(where, target)
            key = draw(st.sampled_from(known) if known else st.text(max_size=5))
            target[key] = value
        elif kind == "delete":
            del target[draw(st.sampled_from(list(target)))]
        elif kind == "twin":
            key = draw(st.sampled_from(list(target)))
            target[key] = draw(st.sampled_from(_twins(target[key])))
        else:
            target[draw(st.sampled_from(list(target)))] = value
    return doc


def _model_accepts(doc: Any) -> tuple[bool, str]:
    try:
        Assistant.model_validate(copy.deepcopy(doc))
    except ValidationError as exc:
        return False, str(exc)
    return True, ""


_BASE = {"version": 1, "name": "a", "model": {"name": "m"}, "instructions": ""}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=varied_documents())
# Counterexamples this property found (all disagreements at the time): JSON Schema's "integer"
# takes 1.0; pydantic's lax mode; Python's "$" before a final newline; schema gaps.
@example(doc={**_BASE, "limits": {"max_tool_rounds": 1.0}})
@example(doc={**_BASE, "memory": {"max_messages": "20"}})  # pydantic lax mode: "20" -> 20
@example(doc={**_BASE, "output": {"strict": "yes"}})  # lax mode: "yes" -> True
@example(doc={**_BASE, "version": True})  # lax mode: True == 1
@example(doc={**_BASE, "name": "a\n"})  # jsonschema's re.search: "$" matches before a final "\n"
@example(doc={**_BASE, "variables": {"1a": {"type": "string"}}})  # no propertyNames in schema
@example(doc={**_BASE, "output": {"schema_": {}}})  # populate_by_name accepts the field name
def test_schema_and_models_agree(doc: Any) -> None:
    """The committed JSON Schema accepts a document exactly when the models do."""
    schema_ok = validator().is_valid(doc)
    model_ok, why = _model_accepts(doc)
    schema_errors = [e.message for e in validator().iter_errors(doc)][:3]
    assert schema_ok == model_ok, (
        f"schema {'accepts' if schema_ok else 'refuses'} and models "
        f"{'accept' if model_ok else 'refuse'}: {doc!r}\nschema: {schema_errors}\nmodels: {why}"
    )


# --- 4. unknown keys are always refused -------------------------------------------------------

_TARGETS: dict[tuple[Any, ...], list[str]] = {
    (): TOP_KEYS,
    ("model",): _FIELDS["ModelSettings"],
    ("persona",): _FIELDS["Persona"],
    ("memory",): _FIELDS["Memory"],
    ("limits",): _FIELDS["Limits"],
    ("output",): _FIELDS["Output"],
    ("tools", 0): _FIELDS["BuiltinTool"],
    ("tools", 1): _FIELDS["PythonTool"],
    ("variables", "topic"): _FIELDS["Variable"],
}


def _near_misses(known: list[str]) -> list[str]:
    """Keys a person might mistype: a field name with a suffix, other case, or spaces."""
    out = {
        f(k) for k in known for f in (lambda k: k + "_", str.upper, str.title, lambda k: k + " ")
    }
    return sorted(out - set(known))


def _base_document() -> dict[str, Any]:
    from ruamel.yaml import YAML

    doc: dict[str, Any] = YAML(typ="safe", pure=True).load(RICH)
    doc.pop("x-defaults")
    doc["tools"][0].pop("<<", None)
    doc["tools"].insert(1, {"type": "python", "name": "lookup", "function": "tools_mod:lookup"})
    return json.loads(json.dumps(doc))


BASE_DOC = _base_document()
# Characters YAML does not allow raw (or reads as line breaks), which JSON leaves unescaped.
_YAML_ESCAPES = {
    c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF]
}


def _as_yaml(doc: Any) -> str:
    """``doc`` as JSON, which is YAML once the characters YAML refuses raw are escaped.

    Characters beyond U+FFFF stay raw: JSON would write them as surrogate pairs, which YAML
    does not combine.
    """
    return json.dumps(doc, ensure_ascii=False, indent=1).translate(_YAML_ESCAPES)


KEY_TEXT = st.text(min_size=1)


@st.composite
def unknown_key_documents(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[Any, ...], str]:
    """A valid document with one key added that its mapping does not know."""
    where = draw(st.sampled_from(sorted(_TARGETS, key=repr)))
    known = _TARGETS[where]
    key = draw(
        st.one_of(KEY_TEXT, st.sampled_from([*_near_misses(known), "knowledge_files"])).filter(
            lambda k: k not in known and not (where == () and k.startswith("x-"))
        )
    )
    doc = copy.deepcopy(BASE_DOC)
    _get(doc, where)[key] = draw(JUNK)
    return doc, where, key


@settings(max_examples=200, deadline=None)
@given(case=unknown_key_documents())
@example(case=(copy.deepcopy(BASE_DOC) | {"knowledge_files": {}}, (), "knowledge_files"))
@example(  # populate_by_name lets the models accept the attribute name of output.schema
    case=({**BASE_DOC, "output": {**BASE_DOC["output"], "schema_": {}}}, ("output",), "schema_")
)
def test_unknown_keys_are_refused(
    workdir: Path, case: tuple[dict[str, Any], tuple[Any, ...], str]
) -> None:
    """A key its mapping does not know is reported at that key, and the models refuse it too."""
    doc, where, key = case
    path = workdir / "unknown" / "assistant.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(_as_yaml(doc), encoding="utf-8")
    report = check_file(path, environ={})
    code = "unknown-key"
    location = format_location((*where, key))
    assert any(p.code == code and p.location == location for p in report.problems), (
        location,
        report.problems,
    )
    model_ok, _ = _model_accepts(doc)
    assert not model_ok, f"the models accept the unknown key {location!r}"
