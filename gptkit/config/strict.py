"""OpenAI strict mode: which JSON Schemas the API accepts for strict tools and structured output.

The rules, as OpenAI documents them: the root is an object (not ``anyOf``); every object sets
``additionalProperties: false`` and lists every property in ``required`` (optional values are
written as a union with ``null``); only a subset of keywords is supported; nesting is at most 10
levels deep.

Two uses of the same rules, which is why this is a leaf both ``lint`` and ``tools`` import:
:func:`strict_issues` reports each break at its exact place inside a schema (``gptkit
validate``), and :func:`strict_rewrite` turns a schema derived from a Python signature into one
that strict mode accepts, or raises :class:`NotStrict` saying which parameter cannot be.
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


# Keywords strict mode refuses but a rewrite may drop from what the model sees: the tool's own
# check (pydantic or jsonschema) still enforces them on every call, so nothing unchecked gets in.
DROPPED_IN_REWRITE = frozenset(
    {
        "default",
        "title",
        "examples",
        "minLength",
        "maxLength",
        "minProperties",
        "maxProperties",
        "uniqueItems",
        "discriminator",
        "readOnly",
        "writeOnly",
        "deprecated",
    }
)


class NotStrict(ValueError):
    """A parameters schema that strict mode cannot express, at ``place``, with what to do."""

    def __init__(self, place: str, reason: str, fix: str) -> None:
        self.place, self.reason, self.fix = place, reason, fix
        super().__init__(f"{place} {reason}. {fix}")


def strict_rewrite(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a derived parameters schema for OpenAI strict mode, or raise :class:`NotStrict`.

    Every object lists all its properties in ``required`` and sets ``additionalProperties:
    false``; a property that was optional becomes nullable. Keywords strict mode refuses but
    the local check enforces anyway (``minLength``, ``default``...) are dropped.
    """
    out: dict[str, Any] = _strict_node(schema, ())
    for path, message, _hint in strict_issues(out):
        raise NotStrict(
            _place(path),
            f"cannot be sent in OpenAI strict mode: {message}",
            "Change its type, or set strict: false on the tool.",
        )
    return out


def _place(path: Path) -> str:
    """``parameter 'trip.stops'`` for a place inside a derived schema."""
    names = [str(p) for i, p in enumerate(path) if i and path[i - 1] == "properties"]
    if path[:1] in (("$defs",), ("definitions",)) and len(path) > 1:
        names.insert(0, str(path[1]))
    return f"parameter '{'.'.join(names)}'" if names else "the parameters"


def _dotted(path: tuple[str, ...]) -> str:
    """``trip.stops[]``, from the property names (and ``[]`` for items) of a rewrite."""
    text = ""
    for part in path:
        text += "[]" if part == "[]" else (f".{part}" if text else part)
    return text


def _strict_node(node: Any, path: tuple[str, ...]) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED_IN_REWRITE or (key == "format" and value not in FORMATS):
            continue
        if key == "oneOf":  # pydantic's tagged unions: the branches never overlap
            key = "anyOf"
        if key == "properties" and isinstance(value, dict):
            value = {n: _strict_node(s, (*path, n)) for n, s in value.items()}
        elif key in ("$defs", "definitions") and isinstance(value, dict):
            value = {n: _strict_node(s, (n,)) for n, s in value.items()}
        elif key == "items" and isinstance(value, dict):
            value = _strict_node(value, (*path, "[]"))
        elif key == "anyOf" and isinstance(value, list):
            value = [_strict_node(s, path) for s in value]
        out[key] = value
    kind = out.get("type")
    types = kind if isinstance(kind, list) else [kind]
    if "object" in types or "properties" in out:
        extra = out.get("additionalProperties")
        if "properties" not in out or (extra not in (None, False)):
            raise NotStrict(
                f"parameter '{_dotted(path)}'" if path else "the parameters",
                "is a free-form mapping, which OpenAI strict mode cannot describe",
                "Use a pydantic model or TypedDict with named fields, or set strict: false on "
                "the tool.",
            )
        required = set(out.get("required", ()))
        out["properties"] = {
            n: s if n in required else _nullable(s) for n, s in out["properties"].items()
        }
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if _allows_null(schema):
        return schema
    kind = schema.get("type")
    if isinstance(kind, str) and "enum" not in schema and "const" not in schema:
        return {**schema, "type": [kind, "null"]}
    if isinstance(schema.get("anyOf"), list):
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    inner = {k: v for k, v in schema.items() if k != "description"}
    wrapped: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
    if "description" in schema:
        wrapped["description"] = schema["description"]
    return wrapped


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = schema.get("anyOf")
    return isinstance(branches, list) and any(
        isinstance(b, dict) and _allows_null(b) for b in branches
    )
