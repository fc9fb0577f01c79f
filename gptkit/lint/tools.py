"""Checks of the tools list: unique names, memory builtins, python targets, parameter schemas."""

from __future__ import annotations

import functools
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.names import MEMORY_BUILTINS
from gptkit.config.yamlfile import YPath


def check_tools(composed: Composed) -> None:
    """Check every tool of ``composed`` that the schema layer could not judge."""
    tools = composed.data.get("tools")
    if not isinstance(tools, list):
        return
    memory = composed.data.get("memory")
    long_term = isinstance(memory, dict) and memory.get("long_term") is True
    first: dict[str, int] = {}
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            continue
        path: YPath = ("tools", index)
        name = tool.get("name")
        if isinstance(name, str):
            if name in first:
                line = composed.node(("tools", first[name], "name")).line
                composed.problem(
                    (*path, "name"),
                    "duplicate-tool",
                    f"two tools are named '{name}'",
                    f"the first is at line {line}; tool names must be unique",
                )
            else:
                first[name] = index
        kind = tool.get("type")
        if kind == "builtin" and name in MEMORY_BUILTINS and not long_term:
            composed.problem(
                (*path, "name"),
                "memory-builtin",
                f"the builtin '{name}' needs long-term memory",
                "set memory.long_term: true (remember and forget are then added for you)",
            )
        if kind == "python":
            _check_python(composed, tool, path)
        parameters = tool.get("parameters")
        if isinstance(parameters, dict):
            check_json_schema(
                composed,
                parameters,
                (*path, "parameters"),
                strict=tool.get("strict", True) is True,
                what="parameters",
            )
    if long_term:
        for name in MEMORY_BUILTINS:
            if name in first and tools[first[name]].get("type") == "python":
                composed.problem(
                    ("tools", first[name], "name"),
                    "duplicate-tool",
                    f"'{name}' is the name of a builtin that long-term memory adds",
                    "rename this tool",
                )


def _check_python(composed: Composed, tool: dict[str, Any], path: YPath) -> None:
    from gptkit.tools.resolve import ResolveError, locate

    reference = tool.get("function")
    if not isinstance(reference, str) or ":" not in reference:
        return  # the schema check reports it
    try:
        target = locate(reference, composed.path.parent, composed.root)
    except ResolveError as exc:
        composed.problem((*path, "function"), exc.code, exc.message, exc.hint)
        return
    if target.file is not None and not tool.get("description") and not target.docstring:
        composed.problem(
            (*path, "name"),
            "tool-description",
            f"the tool '{tool.get('name')}' has no description",
            f"add a docstring to {reference} or a description here: the model "
            "decides when to call a tool from its description",
            severity="warning",
        )


_JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")


def _close_type(value: Any) -> str | None:
    import difflib

    close = difflib.get_close_matches(str(value), _JSON_TYPES, n=1)
    return f"did you mean '{close[0]}'?" if close else None


def _metaschema_error(schema: dict[str, Any]) -> Any:
    """The most relevant way ``schema`` breaks the 2020-12 metaschema, or None."""
    import json

    from gptkit.config.predicates import proves_valid

    if proves_valid(_metaschema(), schema):
        return None  # no error at all, so no most relevant one: skip jsonschema's search
    from jsonschema.exceptions import best_match

    key = json.dumps(schema, sort_keys=True, default=str)
    if key not in _CHECKED:
        _CHECKED[key] = best_match(_metaschema_validator().iter_errors(schema))
    return _CHECKED[key]


_CHECKED: dict[str, Any] = {}


@functools.lru_cache(maxsize=1)
def _metaschema_validator() -> Any:
    """A jsonschema validator of the inlined draft 2020-12 metaschema (see ``_metaschema``)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_metaschema())


@functools.lru_cache(maxsize=1)
def _metaschema() -> dict[str, Any]:
    """The draft 2020-12 metaschema with its vocabularies inlined.

    The published metaschema reaches its vocabularies through ``$dynamicRef``, which jsonschema
    resolves anew at every step; inlined, with ``$dynamicRef: "#meta"`` read as ``$ref: "#"``
    (the same thing when nothing extends the metaschema), it checks the same rules ~3x faster.
    """
    schemas = _draft_2020_12_files()

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$dynamicRef" and value == "#meta":
                    out["$ref"] = "#"
                else:
                    out[key] = inline(value)
            return out
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    meta = schemas[_DIALECT]
    base = meta["$id"].rsplit("/", 1)[0] + "/"
    defs: dict[str, Any] = {}
    parts = []
    for vocabulary in meta["allOf"]:
        body = inline(schemas[base + vocabulary["$ref"]])
        for key in ("$dynamicAnchor", "$vocabulary", "$id", "$schema"):
            body.pop(key, None)  # identity of each vocabulary file, not rules
        defs.update(body.pop("$defs", {}))
        parts.append(body)
    return {"$defs": defs, "allOf": parts, "type": ["object", "boolean"]}


_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _draft_2020_12_files() -> dict[str, Any]:
    """The draft 2020-12 metaschema and vocabularies that jsonschema-specifications ships, by $id.

    Read from its files: importing it loads and indexes every draft, which is most of the
    start-up of a one-file ``validate`` whose schemas are valid (then jsonschema is not needed).
    """
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("jsonschema_specifications")
    if spec is None or not spec.submodule_search_locations:
        return _draft_2020_12_registry()
    folder = Path(next(iter(spec.submodule_search_locations)), "schemas", "draft202012")
    found: dict[str, Any] = {}
    try:
        for file in [folder / "metaschema.json", *(folder / "vocabularies").iterdir()]:
            contents = json.loads(file.read_text(encoding="utf-8"))
            found[contents["$id"]] = contents
    except (OSError, ValueError, KeyError, TypeError):
        return _draft_2020_12_registry()  # not laid out as expected
    return found


def _draft_2020_12_registry() -> dict[str, Any]:
    """The same schemas, asked of jsonschema-specifications itself."""
    from jsonschema_specifications import REGISTRY

    meta = REGISTRY.contents(_DIALECT)
    base = meta["$id"].rsplit("/", 1)[0] + "/"
    refs = [base + vocabulary["$ref"] for vocabulary in meta["allOf"]]
    return {_DIALECT: meta, **{ref: REGISTRY.contents(ref) for ref in refs}}


def check_json_schema(
    composed: Composed, schema: dict[str, Any], path: YPath, *, strict: bool, what: str
) -> None:
    """Check that ``schema`` is a valid JSON Schema and, with ``strict``, strict-compatible."""
    from gptkit.config.strict import strict_issues

    exc = _metaschema_error(schema)
    if exc is not None:
        where = (*path, *exc.absolute_path)
        message, hint = exc.message, None
        if where[-1:] == ("type",):
            message = f"{exc.instance!r} is not a JSON Schema type"
            hint = _close_type(exc.instance) or f"use one of: {', '.join(_JSON_TYPES)}"
        composed.problem(
            where, "json-schema", f"{what} is not a valid JSON Schema: {message}", hint
        )
        return
    if what == "parameters" and schema.get("type") != "object":
        composed.problem(
            path,
            "json-schema",
            "parameters must be a JSON Schema of type object",
            "the model sends tool arguments as an object: type: object",
        )
        return
    if strict:
        for inner, message, hint in strict_issues(schema):
            composed.problem((*path, *inner), "strict-schema", message, hint)
