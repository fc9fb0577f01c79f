"""Properties of reading test files: the schema (what validate checks) and the models (what
`gptkit test` runs) agree on every document; cassette names are stable and safe; the partial
argument match behaves as documented."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gptkit.config.testsuite import SuiteSpec
from gptkit.config.testsuite_file import case_slug, cassette_path, check_test_file
from gptkit.testrun.expect import matches_arguments

# YAML text: no surrogates, controls or unassigned code points (a YAML file cannot hold them)
CHARS = st.characters(exclude_categories=("Cs", "Cc", "Cn", "Co"))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARS, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(CHARS, max_size=5), inner, max_size=3),
    max_leaves=8,
)
NAMES = st.from_regex(r"\A[a-z_][a-z0-9_]{0,8}\Z")
TEXT = st.text(CHARS, min_size=1, max_size=12)

EXPECT = st.fixed_dictionaries({}, optional={
    "contains": TEXT | st.lists(TEXT, min_size=1, max_size=2),
    "not_contains": TEXT,
    "matches": TEXT,
    "equals": st.text(CHARS, max_size=5),
    "json_schema": st.just({"type": "object"}),
    "tool_calls": st.lists(st.fixed_dictionaries({"name": NAMES}, optional={
        "arguments": st.dictionaries(NAMES, JSON, max_size=2)}), max_size=2),
    "tool_calls_order": st.sampled_from(["in_order", "any_order", "sideways"]),
    "no_tool_calls": st.booleans(),
    "max_tool_rounds": st.integers(-1, 5),
    "max_cost_usd": st.floats(-1, 1) | st.integers(0, 2),
    "max_input_tokens": st.integers(-5, 10**6) | st.floats(0, 10),
})
MOCK = st.fixed_dictionaries({}, optional={"result": JSON, "error": st.text(CHARS, max_size=6)})
CASE = st.fixed_dictionaries(
    {"name": TEXT, "turns": st.lists(st.fixed_dictionaries({"user": st.text(CHARS, max_size=8)},
                                                           optional={"expect": EXPECT}),
                                     max_size=2)},
    optional={"vars": st.dictionaries(NAMES, JSON, max_size=2), "user": st.text(CHARS, max_size=4),
              "memory": st.lists(st.text(CHARS, max_size=6), max_size=2),
              "tools": st.dictionaries(NAMES, MOCK, max_size=2), "confirm": st.booleans()},
)
DOCUMENT = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 1, 2]), "assistant": st.text(CHARS, max_size=10),
     "cases": st.lists(CASE, max_size=2)},
    optional={"tools": st.dictionaries(NAMES, MOCK, max_size=2), "extra": st.just(1)},
)


@settings(max_examples=300, deadline=None)
@given(DOCUMENT)
def test_the_schema_and_the_models_agree_on_every_document(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.test.yaml"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
        problems, _ = check_test_file(path)
    schema_ok = not [p for p in problems if p.severity == "error" and p.code != "duplicate-case"]
    try:
        SuiteSpec.model_validate(document)
        model_ok = True
    except ValidationError:
        model_ok = False
    assert schema_ok == model_ok, [p.describe() for p in problems]


@given(st.text(max_size=300))
def test_a_case_slug_is_a_safe_stable_file_name(name: str) -> None:
    slug = case_slug(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= 80
    assert case_slug(slug) == slug
    assert cassette_path(Path("a/b.test.yaml"), name) == Path(f"a/cassettes/b/{slug}.cassette.yaml")


@given(st.text(alphabet=st.characters(categories=["Ll", "Nd"]), min_size=1, max_size=20)
       .filter(lambda s: s.isascii()))
def test_a_name_of_lowercase_letters_and_digits_is_its_own_slug(name: str) -> None:
    assert case_slug(name) == name[:80]


@given(JSON)
def test_a_value_matches_itself(value: Any) -> None:
    assert matches_arguments(value, value)


@given(st.dictionaries(st.text(CHARS, max_size=4), JSON, max_size=4),
       st.dictionaries(st.text(CHARS, max_size=4), JSON, max_size=4))
def test_expected_arguments_match_any_call_that_holds_them(expected: dict[str, Any],
                                                           extra: dict[str, Any]) -> None:
    assert matches_arguments(expected, {**extra, **expected})
    assert matches_arguments({}, extra)


@given(st.integers(0, 1))
def test_a_boolean_never_matches_a_number(number: int) -> None:
    assert not matches_arguments(bool(number), number)
    assert not matches_arguments(number, bool(number))
