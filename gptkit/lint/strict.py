"""OpenAI strict mode: which JSON Schemas the API accepts for strict tools and structured output.

The rules, as OpenAI documents them: the root is an object (not ``anyOf``); every object sets
``additionalProperties: false`` and lists every property in ``required`` (optional values are
written as a union with ``null``); only a subset of keywords is supported; nesting is at most 10
levels deep. Each break is reported at its exact place inside the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SUPPORTED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "definitions",
        "description",
        "title",
        "pattern",
        "format",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "minItems",
        "maxItems",
        "$schema",
        "$id",
        "$comment",
    }
)
FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
MAX_DEPTH = 10

Path = tuple[str | int, ...]


def strict_issues(schema: Any, *, root_object: bool = True) -> Iterator[tuple[Path, str, str]]:
    """Yield ``(path inside schema, message, hint)`` for each strict-mode rule ``schema`` breaks."""
    if not isinstance(schema, dict):
        return
    if root_object and "anyOf" in schema:
        yield (), "the top of a strict schema cannot be anyOf", "make the top an object"
    elif root_object and schema.get("type") != "object":
        yield (
            (("type",) if "type" in schema else ()),
            "the top of a strict schema must be type: object",
            "wrap the value in an object",
        )
    yield from _walk(schema, (), 0)


def _walk(schema: Any, path: Path, depth: int) -> Iterator[tuple[Path, str, str]]:
    if not isinstance(schema, dict):
        return
    if depth > MAX_DEPTH:
        yield path, f"strict schemas nest at most {MAX_DEPTH} levels", "flatten the structure"
        return
    for key in schema:
        if key not in SUPPORTED:
            yield (
                (*path, key),
                f"'{key}' is not supported in strict mode",
                "remove it (validate it in the tool instead), or set strict: false",
            )
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt not in FORMATS:
        yield (
            (*path, "format"),
            f"format '{fmt}' is not supported in strict mode",
            "supported formats: " + ", ".join(sorted(FORMATS)),
        )
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    props = schema.get("properties")
    if "object" in types or isinstance(props, dict):
        if schema.get("additionalProperties") is not False:
            where = (*path, "additionalProperties") if "additionalProperties" in schema else path
            yield (
                where,
                "strict mode needs additionalProperties: false on every object",
                "add 'additionalProperties: false'",
            )
        if isinstance(props, dict):
            required = schema.get("required")
            required = required if isinstance(required, list) else []
            for name in props:
                if name not in required:
                    yield (
                        (*path, "properties", name),
                        f"property '{name}' must be listed in required (strict mode)",
                        "list it in required; for an optional value, allow null: "
                        "type: [string, 'null']",
                    )
            for name, sub in props.items():
                yield from _walk(sub, (*path, "properties", name), depth + 1)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _walk(items, (*path, "items"), depth + 1)
    for key in ("anyOf",):
        branches = schema.get(key)
        if isinstance(branches, list):
            for i, sub in enumerate(branches):
                yield from _walk(sub, (*path, key, i), depth + 1)
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                yield from _walk(sub, (*path, key, name), depth + 1)
