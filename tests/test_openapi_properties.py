"""Properties of the OpenAPI -> tool conversion, on generated files: it never crashes, names are
valid and unique, and each schema is accepted by the strict-mode check or clearly non-strict."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gptkit.config.names import TOOL_NAME_PATTERN
from gptkit.config.strict import strict_issues
from gptkit.tools.network import NetworkArguments, segment
from gptkit.tools.openapi.operations import read_spec

NAMES = st.sampled_from(["A", "B", "Node", "Pet"])
scalars = st.sampled_from([
    {"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "number"}, {"type": "boolean"},
    {"type": "string", "format": "uri"}, {"type": "string", "nullable": True}, {"type": "string", "enum": ["a", "b"]},
    {"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/Node"}, {}, {"type": "object"},
])


def objects(children: Any) -> Any:
    return st.one_of(
        st.builds(lambda props, req: {"type": "object", "properties": props,
                                      "required": [k for k in props if req]},
                  st.dictionaries(st.sampled_from(["id", "name", "items", "x y", "é"]), children, max_size=4),
                  st.booleans()),
        st.builds(lambda item: {"type": "array", "items": item}, children),
        st.builds(lambda a, b: {"oneOf": [a, b]}, children, children),
        st.builds(lambda a, b: {"allOf": [a, b]}, children, children),
        st.builds(lambda v: {"type": "object", "additionalProperties": v}, children),
    )


schemas = st.recursive(scalars, objects, max_leaves=8)
operation_ids = st.one_of(st.none(), st.text(max_size=80), st.sampled_from(["getPet", "getPet", "get pet", "get-pet"]))


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for index in range(draw(st.integers(1, 5))):
        method = draw(st.sampled_from(["get", "post", "put", "delete"]))
        operation: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
        op_id = draw(operation_ids)
        if op_id is not None:
            operation["operationId"] = op_id
        operation["parameters"] = [
            {"name": draw(st.sampled_from(["q", "id", "limit", "X-Id"])), "in": draw(st.sampled_from(["query", "header"])),
             "schema": draw(schemas)} for _ in range(draw(st.integers(0, 3)))
        ]
        if method != "get" and draw(st.booleans()):
            operation["requestBody"] = {"required": draw(st.booleans()),
                                        "content": {"application/json": {"schema": draw(schemas)}}}
        paths[f"/r{index}/{{id}}" if draw(st.booleans()) else f"/r{index}"] = {method: operation}
    components = {name: draw(schemas) for name in ["A", "B", "Node", "Pet"]}
    components["Node"] = {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
    return {"openapi": draw(st.sampled_from(["3.0.3", "3.1.0"])), "info": {"title": "t", "version": "1"},
            "servers": [{"url": "https://api.example.com"}], "paths": paths,
            "components": {"schemas": components}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.booleans())
def test_every_generated_file_becomes_valid_unique_tools(spec: dict[str, Any], json_file: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("api.json" if json_file else "api.yaml")
        path.write_text(json.dumps(spec), encoding="utf-8")
        read = read_spec(path)
    assert not read.errors, read.errors
    names = [op.name for op in read.operations]
    assert len(names) == len(set(names))
    assert all(re.match(TOOL_NAME_PATTERN, name) for name in names)
    for op in read.operations:
        if op.strict:
            assert list(strict_issues(op.schema)) == []
        else:
            assert any(i.code == "openapi-strict" and i.path == op.where for i in read.issues)
        NetworkArguments(op.natural, op.name)  # a valid JSON Schema the arguments are checked with


@given(st.text())
def test_a_path_segment_never_holds_a_slash_or_dots_only(value: str) -> None:
    encoded = segment(value)
    assert "/" not in encoded and "?" not in encoded and "#" not in encoded
    assert encoded not in (".", "..")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["#/components/schemas/A", "#/nope", "get", "object", "path", "query"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["$ref", "type", "properties", "items", "parameters", "in",
                                       "name", "schema", "requestBody", "content", "required",
                                       "operationId", "get", "post", "allOf", "oneOf", "nullable",
                                       "application/json", "/a/{id}", "A", "x"]), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values, json_values)
def test_any_shape_under_paths_and_components_never_crashes(paths: Any, schemas: Any, servers: Any) -> None:
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a/{id}": paths, "/b": {"post": paths}},
            "servers": servers, "components": {"schemas": {"A": schemas}, "parameters": schemas}}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "api.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        read = read_spec(path)
    for op in read.operations:
        NetworkArguments(op.natural, op.name)
