"""The fast yes/no check (gptkit.config.predicates) answers exactly as jsonschema does.

``proves_valid`` lets ``validate`` skip jsonschema's error-collecting pass for valid files, so
a wrong "valid" would hide a problem and a wrong "not proven" would only cost time. The
property: on documents generated from each published schema (mostly valid, with wrong values
grafted in at random places), the fast check says valid exactly when jsonschema finds no error.
And the jsonschema validator that ``check`` uses (it skips the parts the predicates prove)
reports the same errors as a plain one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gptkit.config.predicates import proves_valid
from gptkit.config.schema_errors import validator

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = {k: json.loads((REPO / "schemas" / f"{k}.schema.json").read_text(encoding="utf-8"))
           for k in ("assistant", "cassette")}
PLAIN = {k: Draft202012Validator(s) for k, s in SCHEMAS.items()}

JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.integers(),
              st.floats(allow_nan=False), st.sampled_from(["", "a", "1", "x-y", "true"]),
              st.text(max_size=4)),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=2),
    max_leaves=4,
)


def _resolve(root: dict[str, Any], schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


class _Draw:
    """A draw function with this document's rate of wrong choices (0: a fitting document)."""

    def __init__(self, draw: st.DrawFn, rate: int) -> None:
        self.draw, self.rate = draw, rate

    def __call__(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.draw(strategy)

    def wrong(self) -> bool:
        return self.rate > 0 and self.draw(st.integers(0, self.rate - 1)) == 0


def _number(draw: _Draw, schema: dict[str, Any], integer: bool) -> Any:
    bounds = [schema[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
              if k in schema]
    if draw.wrong():
        near = [b + d for b in bounds for d in (-1, -0.5, 0, 0.5, 1)]
        return draw(st.one_of(st.sampled_from(near or [0.5]), st.integers(), st.floats()))
    lo = max(schema.get("minimum", -(10**6)), schema.get("exclusiveMinimum", -(10**6) - 1) + 1)
    hi = min(schema.get("maximum", 10**6), schema.get("exclusiveMaximum", 10**6 + 1) - 1)
    if integer:
        value = draw(st.integers(int(lo), int(hi)))
        return float(value) if draw(st.integers(0, 5)) == 0 else value  # 2.0 is an integer
    low = schema.get("exclusiveMinimum", schema.get("minimum", -(10**6)))
    high = schema.get("exclusiveMaximum", schema.get("maximum", 10**6))
    return draw(st.one_of(st.sampled_from([b for b in (lo, hi, low, high) if
                                           _fits(schema, b)] or [lo]),
                          st.floats(low, high, exclude_min="exclusiveMinimum" in schema,
                                    exclude_max="exclusiveMaximum" in schema)))


def _fits(schema: dict[str, Any], value: float) -> bool:
    return (value >= schema.get("minimum", value) and value <= schema.get("maximum", value)
            and ("exclusiveMinimum" not in schema or value > schema["exclusiveMinimum"])
            and ("exclusiveMaximum" not in schema or value < schema["exclusiveMaximum"]))


def _string(draw: _Draw, schema: dict[str, Any]) -> str:
    pattern = schema.get("pattern")
    lo, hi = schema.get("minLength", 0), schema.get("maxLength", 40)
    if draw.wrong():
        size = draw(st.sampled_from([0, max(lo - 1, 0), hi + 1]))
        return draw(st.sampled_from(["a", " ", "-", "\n"])) * size
    if pattern:
        return draw(st.from_regex(pattern, fullmatch=True).filter(lambda t: lo <= len(t) <= hi))
    return draw(st.text(st.characters(codec="utf-8"), min_size=lo, max_size=min(hi, lo + 8)))


def _instance(draw: _Draw, root: dict[str, Any], schema: Any, depth: int) -> Any:
    """A value for ``schema``: fitting it, or (at the document's rate) not."""
    schema = _resolve(root, schema)
    if not isinstance(schema, dict) or depth > 7 or draw.wrong():
        return draw(JUNK)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    if isinstance(schema.get("then"), dict) and not draw.wrong():
        # Meet the condition's requirements (no extends: model and instructions are needed).
        then = schema["then"]
        schema = {k: v for k, v in schema.items() if k not in ("if", "then")}
        schema["required"] = [*schema.get("required", []), *then.get("required", [])]
        schema.update({k: v for k, v in then.items() if k in ("anyOf", "oneOf")})
    for union in ("anyOf", "oneOf"):
        if union in schema:
            branch = _resolve(root, draw(st.sampled_from(schema[union])))
            if "properties" not in schema:
                return _instance(draw, root, branch, depth)
            # An object with alternative requirements (instructions or instructions_file).
            schema = {k: v for k, v in schema.items() if k != union}
            schema["required"] = [*schema.get("required", []), *branch.get("required", [])]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = draw(st.sampled_from(kind))
    if kind is None:
        kind = "object" if "properties" in schema else draw(st.sampled_from(
            ["object", "string", "array", "integer", "boolean", "null"]))
    if kind == "object":
        return _object(draw, root, schema, depth)
    if kind == "array":
        items = schema.get("items", {})
        lo, hi = schema.get("minItems", 0), schema.get("maxItems", 3)
        size = draw(st.integers(max(lo - 1, 0), hi + 1) if draw.wrong() else
                    st.integers(lo, min(hi, lo + 3)))
        return [_instance(draw, root, items, depth + 1) for _ in range(size)]
    if kind == "string":
        return _string(draw, schema)
    if kind in ("integer", "number"):
        return _number(draw, schema, kind == "integer")
    if kind == "boolean":
        return draw(st.booleans())
    return None


def _object(draw: _Draw, root: dict[str, Any], schema: dict[str, Any], depth: int) -> Any:
    properties = schema.get("properties", {})
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        if not draw.wrong():  # a wrong choice leaves it out
            out[name] = _instance(draw, root, properties.get(name, {}), depth + 1)
    optional = sorted(set(properties) - set(out))
    for name in draw(st.lists(st.sampled_from(optional), max_size=4, unique=True)
                     if optional else st.just([])):
        out[name] = _instance(draw, root, properties[name], depth + 1)
    extra = schema.get("additionalProperties", True)
    names = schema.get("propertyNames")
    for pattern, sub in schema.get("patternProperties", {}).items():
        if draw(st.integers(0, 3)) == 0:
            key = draw(st.from_regex(pattern, fullmatch=False))
            out[key] = _instance(draw, root, sub, depth + 1)
    if isinstance(names, dict) and "pattern" in names:
        for _ in range(draw(st.integers(0, 2))):
            key = draw(st.text(max_size=3) if draw.wrong() else
                       st.from_regex(names["pattern"], fullmatch=True))
            out[key] = _instance(draw, root, extra if isinstance(extra, dict) else {}, depth + 1)
    elif draw.wrong():  # an unknown key
        out[draw(st.sampled_from(["nam", "x", "type", "extra"]))] = draw(JUNK)
    return out


@st.composite
def documents(draw: st.DrawFn, kind: str) -> Any:
    """A document for the schema ``kind``: half fit it, half have wrong values grafted in."""
    rate = draw(st.sampled_from([0, 0, 6, 12, 25]))
    return _instance(_Draw(draw, rate), SCHEMAS[kind], SCHEMAS[kind], 0)


def _plain_valid(kind: str, instance: Any) -> bool:
    return next(iter(PLAIN[kind].iter_errors(instance)), None) is None


def _errors(checker: Any, instance: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(map(str, e.absolute_path)), e.validator, e.message)
                  for e in checker.iter_errors(instance))


@pytest.mark.parametrize("kind", ["assistant", "cassette"])
def test_the_generator_makes_valid_and_invalid_documents(kind: str) -> None:
    """The property below is only worth something if both answers occur often."""
    seen = {True: 0, False: 0}

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(documents(kind))
    def count(instance: Any) -> None:
        seen[_plain_valid(kind, instance)] += 1

    count()
    assert seen[True] >= 15 and seen[False] >= 15, seen


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(documents("assistant"))
@example({"version": 1, "name": "a", "model": {"name": "m", "temperature": 2.0},
          "instructions": "hi"})
@example({"version": 1, "name": "a", "model": {"name": "m", "max_output_tokens": 3.0},
          "instructions": "hi"})
@example({"version": 1, "name": "a", "model": {"name": "m"}, "instructions": "hi",
          "instructions_file": "x.md"})
@example({"version": True, "name": "a", "model": {"name": "m"}, "instructions": "hi"})
def test_fast_check_agrees_with_jsonschema_on_assistant_files(instance: Any) -> None:
    assert proves_valid(SCHEMAS["assistant"], instance) == _plain_valid("assistant", instance)


@SETTINGS
@given(documents("cassette"))
def test_fast_check_agrees_with_jsonschema_on_cassettes(instance: Any) -> None:
    assert proves_valid(SCHEMAS["cassette"], instance) == _plain_valid("cassette", instance)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["assistant", "cassette"]).flatmap(
    lambda kind: st.tuples(st.just(kind), documents(kind))))
def test_the_validator_check_uses_reports_what_a_plain_one_does(case: tuple[str, Any]) -> None:
    kind, instance = case
    assert _errors(validator(kind), instance) == _errors(PLAIN[kind], instance)


def test_the_patterns_used_are_plain_regular_expressions() -> None:
    """``from_regex`` above and the predicates read patterns as Python's re does."""
    text = json.dumps(SCHEMAS)
    for pattern in re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', text):
        re.compile(json.loads(f'"{pattern}"'))
