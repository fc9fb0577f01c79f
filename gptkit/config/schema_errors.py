"""A composed document checked against its JSON Schema; each error as a Problem at its line.

``check()`` asks :func:`gptkit.config.predicates.proves_valid` first: most files are valid, and
the proof is fast. Otherwise jsonschema collects every error, and each becomes a
:class:`~gptkit.config.problems.Problem` at the right file, line and column, with a message a
person can act on ("expected a number, got \"hot\"", "did you mean 'name'?").
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.names import PATTERN_MEANING, URL_PATTERN
from gptkit.config.predicates import proves_part, proves_valid
from gptkit.config.schema import schema_document
from gptkit.config.yamlfile import YPath


@functools.cache
def validator(kind: str = "assistant") -> Any:
    """A compiled jsonschema validator for the committed schema file of ``kind``.

    Its ``properties`` keyword leaves out the values that ``proves_valid`` shows have no error:
    jsonschema would find none there, and describes the others exactly as it always does.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    document = schema_document(kind)
    original = Draft202012Validator.VALIDATORS["properties"]

    def properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        if isinstance(instance, dict) and isinstance(properties, dict):
            properties = {
                name: sub
                for name, sub in properties.items()
                if name not in instance or not proves_part(document, sub, instance[name])
            }
        return original(validator, properties, instance, schema)

    # jsonschema leaves extend() unannotated
    extended = extend(Draft202012Validator, {"properties": properties})  # type: ignore[no-untyped-call]
    return extended(document)


def check(composed: Composed, kind: str = "assistant") -> bool:
    """Validate ``composed.data`` against the schema; record problems; return whether valid."""
    if proves_valid(schema_document(kind), composed.data):
        return True  # jsonschema would find nothing: skip its slower, error-collecting pass
    valid = True
    for error in validator(kind).iter_errors(composed.data):
        path = tuple(error.absolute_path)
        if any(path[: len(u)] == u for u in composed.unresolved):
            continue  # an unset ${VAR} was already reported; its text is not the real value
        valid = False
        _explain(error, composed)
    return valid


def _explain(error: Any, composed: Composed) -> None:
    path: YPath = tuple(error.absolute_path)
    kind = error.validator
    instance = error.instance
    if kind == "additionalProperties":
        _unknown_keys(error, composed, path)
    elif kind == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance and not _misspelt(key, instance):
                composed.problem(
                    path,
                    "missing-key",
                    f"missing required key '{key}'",
                    _REQUIRED_HINTS.get((*_generic(path), key)),
                )
    elif kind == "type":
        composed.problem(
            path,
            "type",
            f"expected {_types(error.validator_value)}, got {_describe(instance)}",
            _type_hint(error),
            at_key=instance is None,
        )
    elif kind == "enum":
        options = [str(o) for o in error.validator_value]
        composed.problem(
            path,
            "enum",
            f"{_describe(instance)} is not one of: {', '.join(options)}",
            _did_you_mean(instance, options),
        )
    elif kind == "const":
        if path == ("version",):
            composed.problem(
                path,
                "version",
                f"unsupported format version {_describe(instance)}",
                "this gptkit reads 'version: 1'",
            )
        else:
            composed.problem(path, "const", f"must be {json.dumps(error.validator_value)}")
    elif kind == "pattern":
        _pattern(error, composed, path)
    elif kind == "oneOf" and "discriminator" not in error.schema and _is_mcp(instance):
        both = "command" in instance and "url" in instance
        composed.problem(
            path,
            "mcp-transport",
            "an mcp tool needs command (stdio) or url (streamable HTTP), "
            + ("not both" if both else "and has neither"),
            "give command: (and args:) to start a local server, or url: to reach one over HTTP",
        )
    elif kind in ("oneOf", "anyOf"):
        _union(error, composed, path)
    elif kind == "not" and path == ():
        composed.problem(
            ("instructions_file",),
            "instructions-both",
            "give either instructions or instructions_file, not both",
            "remove one of them",
            at_key=True,
        )
    else:
        composed.problem(path, _LIMIT_CODES.get(kind, "schema"), _limit_message(error))


_REQUIRED_HINTS: dict[YPath, str] = {
    ("model",): "add 'model:' with at least 'name:', here or in a file named by extends",
    ("version",): "add 'version: 1' as the first key",
    ("name",): "add 'name:', the assistant's id, such as 'trip-planner'",
    ("output", "schema"): "output.format json needs a JSON Schema for the answer",
    ("tools", "*", "function"): "python tools name their function as 'module.path:attribute'",
}


def _is_mcp(instance: Any) -> bool:
    return isinstance(instance, dict) and instance.get("type") == "mcp"


def _generic(path: YPath) -> YPath:
    return tuple("*" if isinstance(p, int) else p for p in path)


def _misspelt(key: str, instance: dict[str, Any]) -> bool:
    """Whether ``instance`` has a key close to ``key`` (then only the unknown key is reported)."""
    others = [k for k in instance if k != key]
    return bool(difflib.get_close_matches(key, others, n=1, cutoff=0.8))


_SECTIONS = ("model", "persona", "memory", "output", "limits")


def _unknown_keys(error: Any, composed: Composed, path: YPath) -> None:
    known = list(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    for key in error.instance:
        if key in known or any(re.search(p, key) for p in patterns):
            continue
        where = f" in {_location(path)}" if path else ""
        hint = _did_you_mean(key, known)
        code = "unknown-key"
        if path == () and hint is None:
            hint = _section_hint(key)
        composed.problem((*path, key), code, f"unknown key '{key}'{where}", hint, at_key=True)


@functools.cache
def _section_keys() -> dict[str, list[str]]:
    defs = validator().schema["$defs"]
    props = validator().schema["properties"]
    out: dict[str, list[str]] = {}
    for section in _SECTIONS:
        ref = props[section].get("$ref") or props[section]["anyOf"][0]["$ref"]
        out[section] = list(defs[ref.rsplit("/", 1)[1]]["properties"])
    return out


def _section_hint(key: str) -> str | None:
    for section, keys in _section_keys().items():
        if key in keys:
            return f"'{key}' belongs under '{section}:'"
    return None


def _did_you_mean(value: Any, options: list[str]) -> str | None:
    if not isinstance(value, str):
        return None
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == value.lower()]
    return f"did you mean '{close[0]}'?" if close else None


def _location(path: YPath) -> str:
    from gptkit.config.problems import format_location

    return format_location(path)


def _pattern(error: Any, composed: Composed, path: YPath) -> None:
    meaning = PATTERN_MEANING.get(error.validator_value, f"text matching {error.validator_value}")
    if "propertyNames" in error.schema_path:
        composed.problem(
            (*path, error.instance),
            "name",
            f"{_describe(error.instance)} is not a valid name: use {meaning}",
            at_key=True,
        )
        return
    hint = None
    if error.validator_value == URL_PATTERN and isinstance(error.instance, str):
        if "://" not in error.instance and " " not in error.instance.strip():
            hint = f"add the scheme: http://{error.instance.strip()}"
    composed.problem(
        path, "pattern", f"{_describe(error.instance)} is not valid here: expected {meaning}", hint
    )


def _union(error: Any, composed: Composed, path: YPath) -> None:
    instance = error.instance
    if path == () and error.validator == "anyOf":
        if _misspelt("instructions", instance) or _misspelt("instructions_file", instance):
            return  # the misspelt key is reported, with the right name as its hint
        composed.problem(
            (),
            "missing-key",
            "missing instructions",
            "add 'instructions:' (a template) or 'instructions_file:' (a path)",
        )
        return
    mapping = error.schema.get("discriminator", {}).get("mapping")
    if mapping and isinstance(instance, dict):
        _tagged_union(error, composed, path, mapping)
        return
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if not branches:  # a oneOf that more than one branch accepts
        _several(error, composed, path)
        return
    if all(
        e.validator == "type" and len(e.relative_path) == 0
        for errs in branches.values()
        for e in errs
    ):
        wanted = [e.validator_value for errs in branches.values() for e in errs]
        composed.problem(path, "type", f"expected {_types(wanted)}, got {_describe(instance)}")
        return
    # The branch that got furthest (its errors are deepest) is the one the author meant.
    best = max(branches.values(), key=lambda errs: max(len(e.absolute_path) for e in errs))
    for sub in best:
        _explain(sub, composed)


def _several(error: Any, composed: Composed, path: YPath) -> None:
    """A value that fits more than one branch of a ``oneOf`` (``body`` and ``stream``)."""
    forms = error.validator_value if isinstance(error.validator_value, list) else []
    keys = [key for form in forms if isinstance(form, dict) for key in form.get("required", [])]
    if forms and all(isinstance(f, dict) and set(f) == {"required"} for f in forms):
        named = " or ".join(f"'{key}'" for key in keys)
        composed.problem(path, "one-of", f"give one of {named}, not more", "remove the others")
        return
    composed.problem(path, "one-of", "the value fits more than one of the forms allowed here")


def _tagged_union(error: Any, composed: Composed, path: YPath, mapping: dict[str, str]) -> None:
    tag = error.instance.get("type")
    names = list(mapping)
    if tag is None:
        composed.problem(
            path,
            "missing-key",
            "missing required key 'type'",
            f"add 'type:' with one of: {', '.join(names)}",
        )
    elif not isinstance(tag, str):  # a mapping or a list cannot even be looked up
        composed.problem(
            (*path, "type"),
            "type",
            f"expected a string, got {_describe(tag)}",
            f"a tool's type is one of: {', '.join(names)}",
        )
    elif tag in mapping:
        index = [b.get("$ref") for b in error.schema["oneOf"]].index(mapping[tag])
        for sub in error.context:
            if sub.relative_schema_path[0] == index:
                _explain(sub, composed)
    else:
        composed.problem(
            (*path, "type"),
            "enum",
            f"{_describe(tag)} is not one of: {', '.join(names)}",
            _did_you_mean(tag, names),
        )


_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


def _types(value: Any) -> str:
    flat: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        for name in item if isinstance(item, list) else [item]:
            if name not in flat:
                flat.append(name)
    words = [_TYPE_NAMES.get(n, n) for n in flat]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, str):
        from gptkit.config.secrets import find_secret

        if find_secret(value):
            return "a value that looks like a secret (not shown)"
        shown = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _type_hint(error: Any) -> str | None:
    wanted = error.validator_value
    wanted = wanted if isinstance(wanted, list) else [wanted]
    value = error.instance
    if isinstance(value, str):
        if "boolean" in wanted and value.lower() in ("yes", "no", "on", "off", "y", "n"):
            return f"YAML 1.2 reads {value} as text: write true or false"
        try:
            float(value)
        except ValueError:
            return None
        if "number" in wanted or "integer" in wanted:
            return "remove the quotes to write a number"
    if value is None:
        return "write a value after the colon, or remove the key"
    return None


_LIMIT_CODES = {
    "maxLength": "too-long",
    "minLength": "too-short",
    "maxItems": "too-many",
    "minItems": "too-few",
    "minimum": "range",
    "maximum": "range",
    "exclusiveMinimum": "range",
    "exclusiveMaximum": "range",
}


def _limit_message(error: Any) -> str:
    kind, bound, value = error.validator, error.validator_value, error.instance
    if kind == "maxLength":
        return f"is {len(value)} characters long; at most {bound} are allowed"
    if kind == "minLength":
        return "must not be empty" if bound == 1 else f"needs at least {bound} characters"
    if kind == "maxItems":
        return f"has {len(value)} items; at most {bound} are allowed"
    if kind == "minItems":
        return f"needs at least {bound} items"
    if kind == "minimum":
        return f"{value} is too small; the least allowed is {bound}"
    if kind == "maximum":
        return f"{value} is too large; the most allowed is {bound}"
    if kind == "exclusiveMinimum":
        return f"{value} is too small; it must be more than {bound}"
    if kind == "exclusiveMaximum":
        return f"{value} is too large; it must be less than {bound}"
    return str(error.message)
