"""Python and builtin tools as the runtime uses them: build, describe, check arguments, run.

Each test writes a small project folder (an assistant's tool modules) into ``tmp_path`` and builds
its tools with :func:`gptkit.tools.registry.build_tools`, as ``gptkit run`` does.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import threading
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic_core import to_jsonable_python

from gptkit.config.models import Assistant
from gptkit.config.strict import strict_issues
from gptkit.errors import ToolError
from gptkit.tools.base import Tool, ToolArgumentsError, ToolContext, ToolFailure
from gptkit.tools.builtin import builtin_tool, evaluate
from gptkit.tools.python import PythonTool, to_text
from gptkit.tools.registry import build_tools

TOOLS_PY = '''
"""Tools of the test project."""
from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Literal, Optional

from pydantic import BaseModel, Field, field_validator
from typing_extensions import TypedDict

from gptkit.tools.base import ToolContext
from helpers import shout


def search(query: str, limit: int = 5, unit: Literal["c", "f"] = "c",
           tags: list[str] | None = None) -> dict:
    """Search the catalogue.

    Longer notes that the model does not need.

    Args:
        query: What to look for.
        limit: How many results,
            at most.
    """
    return {"query": query, "limit": limit, "unit": unit, "tags": tags}


async def weather(city: str) -> str:
    """Tell the weather in a city."""
    await asyncio.sleep(0)
    return shout(f"sunny in {city}")


class Stop(BaseModel):
    """One stop of a trip."""
    city: str
    nights: int = 1


class Picky(BaseModel):
    word: str

    @field_validator("word")
    @classmethod
    def _check(cls, value: str) -> str:
        if value == "value":
            raise ValueError("not that word")
        if value == "key":
            raise KeyError(value)  # a bug of the project's validator
        return value


def picky(p: Picky) -> str:
    """Validated by the project's own model."""
    return p.word


def plan(stops: list[Stop], note: str = "") -> Stop:
    """Plan a trip."""
    return stops[-1]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Window(TypedDict):
    start: str
    end: str


def kinds(color: Color, window: Window, ratio: float, flag: bool = False,
          maybe: Optional[int] = None) -> str:
    """All kinds of parameters."""
    return f"{color.name} {window['start']} {ratio} {flag} {maybe}"


def with_context(question: str, context: ToolContext, /, other: ToolContext | None = None) -> str:
    """Answer with who asks."""
    assert other is context
    return f"{context.user} asked {question}"


def free_form(data: dict) -> str:
    """Take any mapping."""
    return str(sorted(data))


def spread(*values: int) -> int:
    """Sum."""
    return sum(values)


def untyped(x):
    """No hint."""
    return x


def explicit(city, days=1):
    """Forecast by an explicit schema."""
    return f"{city} for {days} days"


def fails(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(reason)


@dataclass
class Point:
    x: int
    label: str


def point() -> Point:
    """A point."""
    return Point(1, "héllo")


def nothing() -> None:
    """Returns nothing."""


def ranged(n: int = Field(3, ge=1, le=10), name: str = Field("x", min_length=1)) -> int:
    """Numbers in a range."""
    return n


VALUE = 3


def vanishing() -> str:
    """Deleted at import time."""
    return ""


del vanishing
'''

HELPERS_PY = """
def shout(text: str) -> str:
    return text.upper()
"""


@pytest.fixture(autouse=True)
def isolated_imports(tmp_path: Path) -> Any:
    """Undo what building tools does to the import system: sys.path and project modules."""
    path = list(sys.path)
    before = set(sys.modules)
    yield
    sys.path[:] = path
    # gptkit's private packages last, deepest first: a namespace package's path is computed
    # from its parent's, so the parent must outlive it here.
    added = set(sys.modules) - before
    for name in sorted(added, key=lambda n: (n.startswith("_gptkit_project_"), -n.count("."))):
        module = sys.modules[name]
        file = getattr(module, "__file__", None) or ""
        locations = [str(p) for p in getattr(module, "__path__", []) or []]
        if name.startswith("_gptkit_project_") or any(
            str(tmp_path) in place for place in [file, *locations]
        ):
            del sys.modules[name]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write(tmp_path / "project", {"tools.py": TOOLS_PY, "helpers.py": HELPERS_PY})


def config(tools: list[dict[str, Any]], **extra: Any) -> Assistant:
    return Assistant.model_validate(
        {
            "version": 1,
            "name": "tester",
            "model": {"name": "gpt-4o-mini"},
            "instructions": "x",
            "tools": tools,
            **extra,
        }
    )


def python(name: str, function: str | None = None, **options: Any) -> dict[str, Any]:
    return {"name": name, "type": "python", "function": function or f"tools:{name}", **options}


def one(root: Path, name: str, function: str | None = None, **options: Any) -> Tool:
    (tool,) = build_tools(config([python(name, function, **options)]), root)
    return tool


def call(tool: Tool, raw: str, context: ToolContext | None = None) -> str:
    arguments = tool.parse(raw)
    return asyncio.run(tool.run(arguments, context or ToolContext("tester")))


def assert_strict(schema: dict[str, Any]) -> None:
    assert list(strict_issues(schema)) == []
    Draft202012Validator.check_schema(schema)


# --- building: what gets imported, and the errors a user sees -----------------------------------


def test_sync_and_async_functions_run_and_siblings_import(project: Path) -> None:
    weather = one(project, "weather")
    assert call(weather, '{"city": "Porto"}') == "SUNNY IN PORTO"
    search = one(project, "search")
    assert json.loads(call(search, '{"query": "tea", "limit": 2, "unit": "f", "tags": null}')) == {
        "query": "tea",
        "limit": 2,
        "unit": "f",
        "tags": None,
    }


def test_spec_takes_yaml_options_and_docstring(project: Path) -> None:
    tool = one(project, "search", timeout_s=2.5, confirm=True)
    assert (tool.timeout_s, tool.confirm, tool.spec.strict) == (2.5, True, True)
    assert tool.spec.description == "Search the catalogue."
    assert tool.spec.parameters["properties"]["query"]["description"] == "What to look for."
    assert (
        tool.spec.parameters["properties"]["limit"]["description"] == "How many results, at most."
    )
    other = one(project, "weather", description="Weather, from the YAML file.")
    assert other.spec.description == "Weather, from the YAML file."
    assert other.timeout_s is None


def test_syntax_error_in_the_tool_module_names_file_and_line(tmp_path: Path) -> None:
    root = write(tmp_path, {"broken.py": "def f(:\n    pass\n"})
    with pytest.raises(ToolError) as caught:
        one(root, "f", "broken:f")
    message = str(caught.value)
    assert "tool 'f'" in message and "broken.py line 1" in message and "syntax error" in message


def test_syntax_error_in_a_sibling_names_that_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"main.py": "import util\n\ndef f() -> str:\n    return ''\n", "util.py": "x = 1\ny = (\n"},
    )
    with pytest.raises(ToolError) as caught:
        one(root, "f", "main:f")
    message = str(caught.value)
    assert "importing main failed at util.py line 2 with a syntax error" in message
    assert "or remove the tool" in message


def test_exception_at_import_time_names_file_and_line(tmp_path: Path) -> None:
    root = write(
        tmp_path, {"pkg/__init__.py": "", "pkg/mod.py": "A = 1\nB = 1 / 0\n\ndef f(): ...\n"}
    )
    with pytest.raises(ToolError) as caught:
        one(root, "f", "pkg.mod:f")
    assert (
        "tool 'f' (pkg.mod:f) cannot be prepared: importing pkg.mod failed at pkg/mod.py line 2 "
        "with ZeroDivisionError: division by zero." in str(caught.value)
    )


def test_missing_dependency_says_what_to_install(tmp_path: Path) -> None:
    root = write(tmp_path, {"mod.py": "import no_such_package_xyz\n\ndef f(): ...\n"})
    with pytest.raises(ToolError) as caught:
        one(root, "f", "mod:f")
    assert "ModuleNotFoundError" in str(caught.value)
    assert "Install 'no_such_package_xyz'" in str(caught.value)


def test_sys_exit_at_import_is_a_tool_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"mod.py": "import sys\nsys.exit(3)\n\ndef f(): ...\n"})
    with pytest.raises(ToolError, match="SystemExit"):
        one(root, "f", "mod:f")


def test_attribute_missing_after_import_or_not_callable(project: Path) -> None:
    with pytest.raises(ToolError, match="has no attribute 'vanishing'"):
        one(project, "vanishing")
    with pytest.raises(ToolError, match="tools:VALUE is a value of type int, not a function"):
        one(project, "value", "tools:VALUE")


def test_standard_library_is_refused_without_importing(tmp_path: Path, capsys: Any) -> None:
    assert "this" not in sys.modules
    with pytest.raises(ToolError) as caught:
        one(tmp_path, "zen", "this:s")
    assert "standard-library module" in str(caught.value)
    assert "this" not in sys.modules and capsys.readouterr().out == ""
    with pytest.raises(ToolError, match="no module 'elsewhere' in the assistant's folder"):
        one(tmp_path, "f", "elsewhere:f")


def test_a_module_already_imported_under_the_same_name_is_not_used(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = types.ModuleType("tools")
    impostor.weather = lambda city: "impostor"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tools", impostor)
    tool = one(project, "weather")
    assert call(tool, '{"city": "Oslo"}') == "SUNNY IN OSLO"
    assert sys.modules["tools"] is impostor  # left alone for whoever imported it


def test_a_same_named_module_earlier_on_sys_path_is_never_imported(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = write(tmp_path / "elsewhere", {"tools.py": "raise RuntimeError('wrong tools')\n"})
    monkeypatch.setattr(sys, "path", [str(elsewhere), *sys.path, str(project)])
    tool = one(project, "weather")
    assert call(tool, '{"city": "Rome"}') == "SUNNY IN ROME"


def test_two_projects_with_the_same_module_name_each_get_their_own(tmp_path: Path) -> None:
    first = write(tmp_path / "a", {"tools.py": "def who() -> str:\n    return 'a'\n"})
    second = write(tmp_path / "b", {"tools.py": "def who() -> str:\n    return 'b'\n"})
    assert call(one(first, "who"), "{}") == "a"
    assert call(one(second, "who"), "{}") == "b"
    assert call(one(first, "who"), "{}") == "a"


def test_private_load_keeps_relative_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(
        tmp_path,
        {
            "kit/__init__.py": "",
            "kit/base.py": "WORD = 'mine'\n",
            "kit/tool.py": "from .base import WORD\n\ndef f() -> str:\n    return WORD\n",
        },
    )
    monkeypatch.setitem(sys.modules, "kit", types.ModuleType("kit"))  # another 'kit' was imported
    assert call(one(root, "f", "kit.tool:f"), "") == "mine"


def test_namespace_packages_and_absolute_sibling_imports(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "lib/words.py": "WORD = 'namespace'\n",
            "lib/tool.py": "from lib.words import WORD\n\ndef f() -> str:\n    return WORD\n",
        },
    )
    assert call(one(root, "f", "lib.tool:f"), "{}") == "namespace"


def test_memory_builtins_are_added_once(project: Path) -> None:
    tools = build_tools(
        config(
            [python("weather"), {"name": "forget", "type": "builtin"}], memory={"long_term": True}
        ),
        project,
    )
    assert [t.name for t in tools] == ["weather", "forget", "remember"]
    assert [t.name for t in build_tools(config([python("weather")]), project)] == ["weather"]


# --- schemas the model sees --------------------------------------------------------------------


def test_strict_schema_of_defaults_literal_and_optional(project: Path) -> None:
    schema = one(project, "search").spec.parameters
    assert schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string", "description": "What to look for."},
            "limit": {"type": ["integer", "null"], "description": "How many results, at most."},
            "unit": {"anyOf": [{"enum": ["c", "f"], "type": "string"}, {"type": "null"}]},
            "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
        },
        "required": ["query", "limit", "unit", "tags"],
    }
    assert_strict(schema)


def test_non_strict_schema_is_the_natural_one(project: Path) -> None:
    tool = one(project, "search", strict=False)
    assert tool.spec.strict is False
    assert tool.spec.parameters == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string", "description": "What to look for."},
            "limit": {"type": "integer", "default": 5, "description": "How many results, at most."},
            "unit": {"enum": ["c", "f"], "type": "string", "default": "c"},
            "tags": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                "default": None,
            },
        },
        "required": ["query"],
    }


def test_strict_schema_of_a_nested_model(project: Path) -> None:
    schema = one(project, "plan").spec.parameters
    assert schema == {
        "$defs": {
            "Stop": {
                "description": "One stop of a trip.",
                "type": "object",
                "properties": {"city": {"type": "string"}, "nights": {"type": ["integer", "null"]}},
                "required": ["city", "nights"],
                "additionalProperties": False,
            }
        },
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "stops": {"type": "array", "items": {"$ref": "#/$defs/Stop"}},
            "note": {"type": ["string", "null"]},
        },
        "required": ["stops", "note"],
    }
    assert_strict(schema)


def test_strict_schema_of_enum_typeddict_and_context(project: Path) -> None:
    schema = one(project, "kinds").spec.parameters
    assert schema["properties"] == {
        "color": {"$ref": "#/$defs/Color"},
        "window": {"$ref": "#/$defs/Window"},
        "ratio": {"type": "number"},
        "flag": {"type": ["boolean", "null"]},
        "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    }
    assert schema["$defs"]["Color"] == {"enum": ["red", "blue"], "type": "string"}
    assert_strict(schema)
    context_schema = one(project, "with_context").spec.parameters
    assert list(context_schema["properties"]) == ["question"]  # injected, not shown
    assert_strict(context_schema)


def test_constraints_are_dropped_from_strict_schema_but_still_checked(project: Path) -> None:
    tool = one(project, "ranged")
    assert tool.spec.parameters["properties"] == {
        "n": {"type": ["integer", "null"], "maximum": 10, "minimum": 1},
        "name": {"type": ["string", "null"]},
    }
    assert_strict(tool.spec.parameters)
    with pytest.raises(ToolArgumentsError, match="name: string should have at least 1 character"):
        tool.parse('{"n": 2, "name": ""}')
    assert tool.parse('{"n": null, "name": null}') == {"n": 3, "name": "x"}


def test_free_form_dict_needs_non_strict(project: Path) -> None:
    with pytest.raises(ToolError, match="free-form mapping, which OpenAI strict mode cannot"):
        one(project, "free_form")
    tool = one(project, "free_form", strict=False)
    assert call(tool, '{"data": {"b": 1, "a": 2}}') == "['a', 'b']"


def test_unsupported_type_names_the_parameter(tmp_path: Path) -> None:
    root = write(
        tmp_path, {"mod.py": "class Thing: ...\n\ndef f(a: int, b: Thing) -> str:\n    return ''\n"}
    )
    with pytest.raises(ToolError, match="tool 'f': the type of parameter 'b' cannot be described"):
        one(root, "f", "mod:f")


def test_args_kwargs_and_missing_hints_are_refused(project: Path) -> None:
    with pytest.raises(ToolError, match=r"takes \*args or \*\*kwargs"):
        one(project, "spread")
    with pytest.raises(ToolError, match="parameter 'x' has no type hint"):
        one(project, "untyped")


# --- arguments from the model ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            '{"limit": "two"}',
            'invalid arguments for search: query: field required; limit: expected an integer, got "two"',
        ),
        (
            '{"query": "x", "limit": "5"}',
            'invalid arguments for search: limit: expected an integer, got "5"',
        ),
        (
            '{"query": "x", "limit": 1.5}',
            "invalid arguments for search: limit: expected an integer, got 1.5",
        ),
        ('{"query": "x", "extra": 1}', "invalid arguments for search: extra: unexpected field"),
        (
            '{"query": "x", "unit": "k"}',
            "invalid arguments for search: unit: input should be 'c' or 'f', got \"k\"",
        ),
        (
            '{"query": "x", "tags": [1]}',
            "invalid arguments for search: tags[0]: expected a string, got 1",
        ),
        ('{"query": true}', "invalid arguments for search: query: expected a string, got true"),
        ("[]", "invalid arguments for search: expected a JSON object, got an array"),
        (
            "",
            "invalid arguments for search: not valid JSON (Expecting value at line 1 column 1); "
            "send one JSON object",
        ),
        (
            '{"query": "x"',
            "invalid arguments for search: not valid JSON (Expecting ',' delimiter "
            "at line 1 column 14); send one JSON object",
        ),
        (
            '{"query": NaN}',
            "invalid arguments for search: not valid JSON (NaN is not a JSON number); "
            "send one JSON object",
        ),
        ("[" * 100_000, "invalid arguments for search: the arguments are nested too deeply"),
    ],
)
def test_parse_errors_tell_the_model_what_to_fix(project: Path, raw: str, message: str) -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        one(project, "search").parse(raw)
    assert str(caught.value) == message


def test_nested_errors_have_a_path_and_are_capped(project: Path) -> None:
    tool = one(project, "plan")
    with pytest.raises(ToolArgumentsError) as caught:
        tool.parse('{"stops": [{"city": "a"}, {"city": 1, "nights": "x"}], "note": 2}')
    assert str(caught.value) == (
        "invalid arguments for plan: stops[1].city: expected a string, got 1; "
        'stops[1].nights: expected an integer, got "x"; note: expected a string, got 2'
    )
    many = json.dumps({f"k{i}": i for i in range(9)} | {"stops": []})
    with pytest.raises(ToolArgumentsError, match=r"k4: unexpected field; and 4 more$"):
        tool.parse(many)


def test_project_validators_fail_as_argument_errors(project: Path) -> None:
    tool = one(project, "picky")
    assert call(tool, '{"p": {"word": "fine"}}') == "fine"
    with pytest.raises(ToolArgumentsError, match="p.word: value error, not that word"):
        tool.parse('{"p": {"word": "value"}}')
    with pytest.raises(ToolArgumentsError, match="checking them failed with KeyError: 'key'"):
        tool.parse('{"p": {"word": "key"}}')


def test_null_means_the_default(project: Path) -> None:
    tool = one(project, "search")
    assert tool.parse('{"query": "x", "limit": null, "unit": null, "tags": null}') == {
        "query": "x",
        "limit": 5,
        "unit": "c",
        "tags": None,
    }
    assert (
        one(project, "plan")
        .parse('{"stops": [{"city": "Faro", "nights": null}], "note": null}')["stops"][0]
        .nights
        == 1
    )
    with pytest.raises(ToolArgumentsError, match="query: expected a string, got null"):
        tool.parse('{"query": null}')


def test_empty_arguments_only_when_nothing_is_required(project: Path) -> None:
    assert one(project, "point").parse("") == {}
    assert one(project, "point").parse("  ") == {}


def test_values_are_converted_as_the_function_expects(project: Path) -> None:
    tool = one(project, "kinds")
    arguments = tool.parse(
        '{"color": "blue", "window": {"start": "9", "end": "5"}, "ratio": 2,'
        ' "flag": null, "maybe": 4}'
    )
    assert asyncio.run(tool.run(arguments, ToolContext("t"))) == "BLUE 9 2.0 False 4"
    with pytest.raises(ToolArgumentsError, match="color: input should be 'red' or 'blue'"):
        tool.parse(
            '{"color": "green", "window": {"start": "", "end": ""}, "ratio": 1,'
            ' "flag": true, "maybe": null}'
        )


def test_context_is_injected(project: Path) -> None:
    tool = one(project, "with_context")
    assert call(tool, '{"question": "why"}', ToolContext("t", user="ana")) == "ana asked why"
    with pytest.raises(ToolArgumentsError, match="context: unexpected field"):
        tool.parse('{"question": "why", "context": {}}')


EXPLICIT = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city", "days"],
    "additionalProperties": False,
}


def test_explicit_parameters_are_sent_and_checked(project: Path) -> None:
    tool = one(project, "explicit", parameters=EXPLICIT)
    assert tool.spec.parameters == EXPLICIT
    assert call(tool, '{"city": "Lima", "days": 2}') == "Lima for 2 days"
    with pytest.raises(ToolArgumentsError) as caught:
        tool.parse('{"days": "two", "x": 1}')
    assert str(caught.value) == (
        "invalid arguments for explicit: city: field required; x: unexpected field; "
        'days: expected an integer, got "two"'
    )
    with pytest.raises(ToolArgumentsError, match="days: 0 is less than the minimum of 1"):
        tool.parse('{"city": "Lima", "days": 0}')


def test_explicit_parameters_must_fit_the_function(project: Path) -> None:
    wrong = {**EXPLICIT, "properties": {**EXPLICIT["properties"], "hours": {"type": "integer"}}}
    with pytest.raises(ToolError, match="has 'hours', which the function does not take"):
        one(project, "explicit", parameters=wrong)
    loose = {"type": "object", "properties": {"days": {"type": "integer"}}, "required": []}
    with pytest.raises(ToolError, match="needs 'city', which its parameters schema does not list"):
        one(project, "explicit", parameters=loose, strict=False)


# --- results ------------------------------------------------------------------------------------


def test_results_become_text(project: Path) -> None:
    assert call(one(project, "point"), "{}") == '{"x": 1, "label": "héllo"}'
    assert call(one(project, "nothing"), "{}") == ""
    assert call(one(project, "plan"), '{"stops": [{"city": "Évora"}], "note": null}') == (
        '{"city": "Évora", "nights": 1}'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (None, ""),
        (True, "true"),
        (3, "3"),
        (2.5, "2.5"),
        ({"a": [1, None]}, '{"a": [1, null]}'),
        ((1, 2), "[1, 2]"),
        (b"bytes", "bytes"),
        (Path("a/b"), "a/b"),
    ],
)
def test_to_text(value: Any, text: str) -> None:
    assert to_text(value) == text


def test_a_tool_exception_reaches_the_dispatcher_and_becomes_an_error_result(
    project: Path,
) -> None:
    """The python tool lets its function's exception through; the dispatcher turns it into an
    error result the model reads, and the other call of the same round still runs."""
    from gptkit.messages import ToolCall
    from gptkit.runtime.dispatch import Limits, dispatch

    failing = one(project, "fails")
    with pytest.raises(RuntimeError, match="boom"):
        call(failing, '{"reason": "boom"}')
    tools = {"fails": failing, "point": one(project, "point")}
    calls = [ToolCall("c1", "fails", '{"reason": "boom"}'), ToolCall("c2", "point", "{}")]
    results = asyncio.run(dispatch(calls, tools, ToolContext("tester"), Limits()))
    assert [(r.call.id, r.error) for r in results] == [("c1", True), ("c2", False)]
    assert "RuntimeError" in results[0].result and "boom" in results[0].result
    assert results[1].result == '{"x": 1, "label": "héllo"}'


# --- builtins -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("7 / 2", "3.5"),
        ("6 / 2", "3.0"),
        ("7 // 2", "3"),
        ("-7 % 3", "2"),
        ("2 ** 10", "1024"),
        ("2 ** -1", "0.5"),
        ("0.1 + 0.2", "0.3"),
        ("1 / 3", "0.333333333333333"),
        ("2 ** 100", "1267650600228229401496703205376"),
        ("sqrt(16)", "4.0"),
        ("round(2.675, 2)", "2.67"),
        ("round(7.5)", "8"),
        ("min(3, 1, 2) + max(4, 5)", "6"),
        ("floor(-2.5) + ceil(2.1)", "0"),
        ("abs(-4)", "4"),
        ("log(e)", "1.0"),
        ("log(8, 2)", "3.0"),
        ("exp(0) + sin(0) + cos(0) + tan(0)", "2.0"),
        ("pi", "3.14159265358979"),
        ("1e20 * 10", "1e+21"),
        ("--+-3", "-3"),
        ("  12  ", "12"),
        ("+".join(["1"] * 400), "400"),
    ],
)
def test_calculator(expression: str, result: str) -> None:
    tool = builtin_tool("calculator")
    assert call(tool, json.dumps({"expression": expression})) == result


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("sqrt(-1)", r"sqrt\(-1\) is not defined \(math domain error\)"),
        ("log(0)", r"log\(0\) is not defined"),
        ("10 ** 10 ** 10", "too large"),
        ("(-2) ** 100000", "too large"),
        ("9**500 * 9**500 * 9**500", "too large"),
        ("exp(1000)", "too large"),
        ("1e308 * 10", "too large"),
        ("(-8) ** (1/3)", "not a real number"),
        ("__import__('os').system('echo hi')", "unknown function '__import__\\('os'\\).system'"),
        ("__import__('os')", "unknown function '__import__'; the functions are sqrt, abs"),
        ("(1).__class__", "only numbers"),
        ("x + 1", "unknown name 'x'"),
        ("True + 1", "True is not a number"),
        ("'a' * 3", "'a' is not a number"),
        ("1j", "1j is not a number"),
        ("[1, 2]", "only numbers"),
        ("1 < 2", "only numbers"),
        ("sqrt(1, 2)", "sqrt takes 1 argument"),
        ("min()", "min takes 1 to 100 argument"),
        ("round(1, 10**9)", "whole number up to 1000"),
        ("sqrt(x=1)", "sqrt takes plain numbers"),
        ("1 +", "is not an arithmetic expression"),
        ("", "is not an arithmetic expression"),
        ("1\x00", "is not an arithmetic expression"),
        ("-" * 999 + "1", "nested too deeply"),
        ("1" * 1001, "longer than 1000 characters"),
    ],
)
def test_calculator_refuses_with_a_plain_message(expression: str, message: str) -> None:
    with pytest.raises(ToolFailure, match=message):
        call(builtin_tool("calculator"), json.dumps({"expression": expression}))


def test_calculator_is_exact_with_big_integers() -> None:
    assert evaluate("9 ** 999") == 9**999
    assert evaluate("2 ** 3000 - 2 ** 3000 + 1") == 1
    assert evaluate("9" * 1000) == int("9" * 1000)


def test_builtin_schemas_are_strict_and_described() -> None:
    for name in ("current_time", "calculator", "remember", "forget"):
        tool = builtin_tool(name)
        assert_strict(tool.spec.parameters)
        assert tool.spec.description and tool.spec.strict
        for prop in tool.spec.parameters["properties"].values():
            assert prop["description"]
    assert (
        builtin_tool("calculator").spec.parameters["properties"]["expression"]["type"] == "string"
    )
    assert "context" not in builtin_tool("remember").spec.parameters["properties"]
    assert builtin_tool("calculator", description="Maths.").spec.description == "Maths."


def test_current_time_in_a_zone_and_locally() -> None:
    tool = builtin_tool("current_time")
    lisbon = json.loads(call(tool, '{"timezone": "Europe/Lisbon"}'))
    assert set(lisbon) == {"datetime", "date", "time", "weekday", "timezone", "utc_offset"}
    assert lisbon["timezone"] == "Europe/Lisbon" and lisbon["datetime"].startswith(lisbon["date"])
    assert lisbon["utc_offset"] in ("+00:00", "+01:00")
    utc = json.loads(call(tool, '{"timezone": "UTC"}'))
    assert utc["utc_offset"] == "+00:00"
    local = json.loads(call(tool, '{"timezone": null}'))
    assert local["timezone"].startswith("local")


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "", "Europe"]
)
def test_current_time_unknown_zone(zone: str) -> None:
    with pytest.raises(ToolFailure, match="unknown time zone"):
        call(builtin_tool("current_time"), json.dumps({"timezone": zone}))


class FakeMemory:
    def __init__(self) -> None:
        self.facts: list[tuple[str, str, str]] = []

    def remember(self, assistant: str, user: str, text: str) -> str:
        if (assistant, user, text) in self.facts:
            return f"already remembered: {text}"
        self.facts.append((assistant, user, text))
        return f"remembered: {text}"

    def forget(self, assistant: str, user: str, text: str) -> bool:
        if (assistant, user, text) in self.facts:
            self.facts.remove((assistant, user, text))
            return True
        return False


def test_remember_and_forget_use_the_memory_store() -> None:
    memory = FakeMemory()
    context = ToolContext("tester", user="ana", memory=memory)
    remember, forget = builtin_tool("remember"), builtin_tool("forget")
    assert call(remember, '{"fact": "likes tea"}', context) == "remembered: likes tea"
    assert call(remember, '{"fact": "likes tea"}', context) == "already remembered: likes tea"
    assert memory.facts == [("tester", "ana", "likes tea")]
    assert call(forget, '{"fact": "likes tea"}', context) == "Forgot: likes tea"
    assert call(forget, '{"fact": "likes tea"}', context) == "No saved fact matched: likes tea"
    with pytest.raises(ToolFailure, match="the fact is empty"):
        call(remember, '{"fact": "  "}', context)


def test_remember_without_memory_is_a_failure() -> None:
    with pytest.raises(ToolFailure, match="^long-term memory is not enabled for this assistant$"):
        call(builtin_tool("remember"), '{"fact": "x"}')


# --- properties ---------------------------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "1",
        "0",
        "2",
        "9" * 40,
        "0.5",
        "1e308",
        "e",
        "pi",
        "x",
        "(",
        ")",
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "**",
        ",",
        " ",
        "sqrt(",
        "log(",
        "exp(",
        "round(",
        "min(",
        "max(",
        "floor(",
        "tan(",
        "__import__(",
        ".real",
        "'",
        "[",
        "lambda",
        ":",
    ]
)
_NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["pi", "e", "9" * 40, "0", "0.0"]),
)
_GRAMMAR = st.recursive(  # well-formed expressions, so that many of them have a value
    _NUMBERS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["-", "+"]), inner).map("".join),
        st.tuples(
            st.sampled_from(
                [
                    "sqrt",
                    "abs",
                    "round",
                    "min",
                    "max",
                    "floor",
                    "ceil",
                    "log",
                    "exp",
                    "sin",
                    "cos",
                    "tan",
                ]
            ),
            st.lists(inner, min_size=1, max_size=3),
        ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
    ),
    max_leaves=12,
)
_EXPRESSIONS = st.one_of(
    st.text(max_size=200), st.lists(_TOKENS, max_size=60).map("".join), _GRAMMAR
)


def _calculate(raw: str) -> str | BaseException:
    """Parse and run in a daemon thread, so that a hang fails the test instead of the run."""
    outcome: list[str | BaseException] = []

    def work() -> None:
        tool = builtin_tool("calculator")
        try:
            outcome.append(asyncio.run(tool.run(tool.parse(raw), ToolContext("t"))))
        except BaseException as exc:  # handed to the test below
            outcome.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert outcome, f"the calculator hung on {raw!r}"
    return outcome[0]


@settings(max_examples=400, deadline=None)
@given(_EXPRESSIONS, st.sampled_from([True, True, True, False]))
def test_calculator_never_crashes_or_hangs(text: str, wrap: bool) -> None:
    result = _calculate(json.dumps({"expression": text}) if wrap else text)
    if isinstance(result, (ToolArgumentsError, ToolFailure)):
        return
    assert isinstance(result, str) and result, result


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["city", "nights", "x", "query"]) | st.text(max_size=5),
            inner,
            max_size=3,
        )
    ),
    max_leaves=12,
)
_KEYS = ["query", "limit", "unit", "tags", "stops", "note", "city", "days", "extra"]
_ARGUMENTS = st.one_of(
    st.text(max_size=80),
    st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=5).map(json.dumps),
    st.fixed_dictionaries(
        {
            "query": st.text(max_size=5) | st.none(),
            "limit": st.integers() | st.none(),
            "unit": st.sampled_from(["c", "f", "k"]) | st.none(),
        },
        optional={"tags": st.lists(st.text(max_size=3)) | st.none()},
    ).map(json.dumps),
    st.fixed_dictionaries(
        {
            "stops": st.lists(
                st.fixed_dictionaries(
                    {"city": st.text(max_size=4)},
                    optional={"nights": st.integers() | st.none() | st.text(max_size=2)},
                ),
                max_size=3,
            )
        },
        optional={"note": st.text(max_size=3) | st.none()},
    ).map(json.dumps),
    st.fixed_dictionaries(
        {"city": st.text(max_size=4) | st.integers(), "days": st.integers(-2, 10**20)},
        optional={"x": st.none()},
    ).map(json.dumps),
)


@pytest.fixture(scope="module")
def property_tools(tmp_path_factory: pytest.TempPathFactory) -> list[Tool]:
    root = write(tmp_path_factory.mktemp("props"), {"tools.py": TOOLS_PY, "helpers.py": HELPERS_PY})
    path = list(sys.path)
    try:
        tools = [
            one(root, "search"),
            one(root, "search", strict=False),
            one(root, "plan"),
            one(root, "plan", strict=False),
            one(root, "explicit", parameters=EXPLICIT),
        ]
    finally:
        sys.path[:] = path
    return tools


@settings(max_examples=400, deadline=None)
@given(raw=_ARGUMENTS, index=st.integers(0, 4))
def test_arguments_never_reach_a_function_unchecked(
    property_tools: list[Tool], raw: str, index: int
) -> None:
    tool = property_tools[index]
    try:
        arguments = tool.parse(raw)
    except ToolArgumentsError:
        return
    Draft202012Validator(tool.spec.parameters).validate(to_jsonable_python(arguments))


def test_from_function_without_a_project() -> None:
    async def double(n: int) -> int:
        """Double a number."""
        return n * 2

    tool = PythonTool.from_function(double, name="double")
    assert call(tool, '{"n": 21}') == "42"
    assert tool.spec.description == "Double a number."
