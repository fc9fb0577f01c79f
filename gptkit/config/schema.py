"""The published JSON Schemas: generated from the models, checked with jsonschema.

``generate()`` builds a schema from :mod:`gptkit.config.models`; the files under ``schemas/``
are exactly its output (a test keeps them in sync). ``check()`` validates a composed document
against the committed file and turns each jsonschema error into a :class:`Problem` at the right
file, line and column, with a message a person can act on.
"""

from __future__ import annotations

import difflib
import functools
import json
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.names import LATER_TOOL_TYPES, PATTERN_MEANING, SCHEMA_KINDS, URL_PATTERN
from gptkit.config.yamlfile import YPath

KINDS = SCHEMA_KINDS
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate(kind: str = "assistant") -> dict[str, Any]:
    """Build the JSON Schema of ``kind`` from the models."""
    from pydantic.json_schema import GenerateJsonSchema

    class _Generator(GenerateJsonSchema):
        # An optional field is "may be left out", not "may be null": the schema says so.
        def nullable_schema(self, schema: Any) -> Any:
            return self.generate_inner(schema["schema"])

    if kind == "assistant":
        from gptkit.config.models import Assistant as root
    elif kind == "cassette":
        from gptkit.config.cassette import Cassette as root
    else:
        raise ValueError(f"unknown schema kind {kind!r}")
    body = root.model_json_schema(schema_generator=_Generator, by_alias=True)
    _tidy(body, in_properties=False)
    return {"$schema": DIALECT, "$id": f"urn:gptkit:schema:{kind}:1", **body}


def _tidy(node: Any, in_properties: bool) -> None:
    """Drop what carries no meaning for a reader: ``default: null`` and generated titles."""
    if isinstance(node, dict):
        if node.get("default", 0) is None:
            del node["default"]
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1 and "properties" not in node:
            # A map with constrained key names (variables): say it as propertyNames, so that
            # other keys are refused (as the models do) and reported as bad names.
            ((pattern, value),) = patterns.items()
            del node["patternProperties"]
            node["propertyNames"] = {"pattern": pattern}
            node["additionalProperties"] = value
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    if isinstance(prop, dict):
                        prop.pop("title", None)
                    _tidy(prop, in_properties=True)
            else:
                _tidy(value, in_properties=False)
    elif isinstance(node, list):
        for item in node:
            _tidy(item, in_properties)


def render(kind: str = "assistant") -> str:
    """Return the schema of ``kind`` as the text of its published file."""
    return json.dumps(generate(kind), indent=2, ensure_ascii=False) + "\n"


def schema_file(kind: str = "assistant") -> Path:
    """Where the committed schema of ``kind`` is: inside the wheel, or at the repository top."""
    name = f"{kind}.schema.json"
    packaged = Path(__file__).resolve().parent.parent / "schemas" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas" / name


@functools.cache
def schema_document(kind: str = "assistant") -> dict[str, Any]:
    """The committed schema of ``kind``, read once."""
    loaded: dict[str, Any] = json.loads(schema_file(kind).read_text(encoding="utf-8"))
    return loaded


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
                if name not in instance or not _proves_part(document, sub, instance[name])
            }
        return original(validator, properties, instance, schema)

    return extend(Draft202012Validator, {"properties": properties})(document)


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


_REQUIRED_HINTS = {
    ("model",): "add 'model:' with at least 'name:', here or in a file named by extends",
    ("version",): "add 'version: 1' as the first key",
    ("name",): "add 'name:', the assistant's id, such as 'trip-planner'",
    ("output", "schema"): "output.format json needs a JSON Schema for the answer",
    ("tools", "*", "function"): "python tools name their function as 'module.path:attribute'",
}


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
        if path == () and key == "knowledge":
            composed.problem(
                (key,),
                "not-supported",
                "knowledge is not supported yet",
                "knowledge search comes in a later version of gptkit; remove the key for now",
                at_key=True,
            )
            continue
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
    if branches and all(
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
    elif tag in LATER_TOOL_TYPES:
        composed.problem(
            (*path, "type"),
            "not-supported",
            f"tool type '{tag}' is not supported yet",
            f"this gptkit runs these tool types: {', '.join(names)}",
        )
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


# --------------------------------------------------------------------------------------------
# Proving an instance valid, quickly
# --------------------------------------------------------------------------------------------
#
# jsonschema collects every error with its paths and context, which is what the messages above
# need, and is slow. Most files are valid, and for them a yes/no answer is enough. The schema is
# compiled once into plain Python predicates that follow jsonschema's own keyword functions
# (Draft 2020-12, no format assertion) exactly. A schema using anything else is not compiled,
# and an instance the predicates cannot judge exactly (``_Unknown``) goes to jsonschema, so the
# answer is always jsonschema's.

Check = Callable[[Any], bool]


class _Unsupported(Exception):
    """The schema uses something the predicates do not follow; jsonschema judges alone."""


class _Unknown(Exception):
    """An instance the predicates cannot judge exactly; jsonschema judges it."""


def proves_valid(schema: dict[str, Any], instance: Any) -> bool:
    """Whether jsonschema (Draft 2020-12) finds no error in ``instance``, decided fast.

    False means "not proven": the instance has errors, or the fast path cannot tell.
    """
    return _proves_part(schema, schema, instance)


def _proves_part(root: dict[str, Any], part: Any, instance: Any) -> bool:
    """``proves_valid`` for ``part``, one of the (sub)schemas of the document ``root``."""
    compiler = _compiled(root)
    check = compiler.checks.get(id(part)) if compiler is not None else None
    if check is None:
        return False
    try:
        return check(instance)
    except (_Unknown, RecursionError):
        return False


_COMPILED: dict[int, tuple[dict[str, Any], _Compiler | None]] = {}


def _compiled(root: dict[str, Any]) -> _Compiler | None:
    """``root`` compiled (None when it cannot be), once per schema document."""
    found = _COMPILED.get(id(root))
    if found is None or found[0] is not root:
        compiler: _Compiler | None = _Compiler(root)
        try:
            compiler.compile(root)  # type: ignore[union-attr]
        except (_Unsupported, re.error, TypeError, ValueError):
            compiler = None
        found = _COMPILED[id(root)] = (root, compiler)  # keeps root alive: its id stays its own
    return found[1]


# Keywords jsonschema does not assert (annotations, unknown words, ``format`` without a format
# checker); ``then`` and ``else`` are read by ``if``.
_IGNORED = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "$defs",
        "definitions",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "discriminator",
        "then",
        "else",
    }
)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, Check] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_integer,
    "null": lambda value: value is None,
    "number": _is_number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


# Types that one Python type stands for exactly (bool is an int, so "integer" is not here).
_PLAIN_TYPES: dict[str, type] = {
    "array": list,
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "string": str,
}


def _unbool(value: Any) -> Any:
    return ("bool", value) if isinstance(value, bool) else value


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``, also inside lists and mappings."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and _equal(value, two[key]) for key, value in one.items()
        )
    return bool(_unbool(one) == _unbool(two))


def _all_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> bool:
        for each in checks:
            if not each(value):
                return False
        return True

    return check


def _merged_parts(subschemas: Any) -> Any:
    """``allOf`` parts that only give a type and properties, as one schema with the same meaning.

    The metaschema is seven such parts (its vocabularies): merged, each value of a schema is
    looked up once instead of seven times. A property named in several parts gets all of them.
    """
    if not isinstance(subschemas, list) or len(subschemas) < 2:
        return subschemas
    plain = {"type", "properties"} | _IGNORED - {"then", "else"}
    if not all(
        isinstance(sub, dict)
        and set(sub) <= plain
        and sub.get("type") == subschemas[0].get("type")
        and isinstance(sub.get("properties", {}), dict)
        for sub in subschemas
    ):
        return subschemas
    properties: dict[str, list[Any]] = {}
    for sub in subschemas:
        for name, value in sub.get("properties", {}).items():
            properties.setdefault(name, []).append(value)
    merged: dict[str, Any] = {
        "properties": {n: v[0] if len(v) == 1 else {"allOf": v} for n, v in properties.items()}
    }
    if "type" in subschemas[0]:
        merged["type"] = subschemas[0]["type"]
    return [merged]


class _Compiler:
    """Compiles one schema document (its ``$ref``s local: ``#`` or ``#/$defs/NAME``)."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}
        self.checks: dict[int, Check] = {}  # the predicate of each schema of root, by id
        self.keep: list[Any] = []  # the schemas made here (merged allOf parts): ids stay theirs

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        found = self.checks.get(id(schema))
        if found is None:
            checks = [
                self._keyword(key, value, schema)
                for key, value in schema.items()
                if key not in _IGNORED and not (schema is self.root and key in ("$schema", "$id"))
            ]
            found = _all_of(checks) if checks else (lambda value: True)
            self.checks[id(schema)] = found
        return found

    def _ref(self, ref: str) -> Check:
        """The predicate ``ref`` points at; a placeholder first, so recursion terminates."""
        if ref not in self.refs:
            if ref == "#":
                target: Any = self.root
            elif ref.startswith("#/$defs/") and "/" not in ref[8:] and "~" not in ref:
                target = self.root.get("$defs", {}).get(ref[8:])
                if target is None:
                    raise _Unsupported(ref)
            else:
                raise _Unsupported(ref)
            cell: list[Check] = []
            self.refs[ref] = lambda value: cell[0](value)
            cell.append(self.compile(target))
        return self.refs[ref]

    def _keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check:
        method = getattr(self, "_k_" + key.replace("$", "dollar_"), None)
        if method is None:
            raise _Unsupported(key)
        check: Check = method(value, schema)
        return check

    # Each keyword as jsonschema's function of the same name (jsonschema/_keywords.py).

    def _k_dollar_ref(self, ref: Any, schema: dict[str, Any]) -> Check:
        if not isinstance(ref, str):
            raise _Unsupported(ref)
        return self._ref(ref)

    def _k_type(self, types: Any, schema: dict[str, Any]) -> Check:
        names = [types] if isinstance(types, str) else list(types)
        tests = [_TYPE_CHECKS[name] for name in names]  # KeyError: jsonschema's UnknownType
        if len(tests) == 1:
            return tests[0]
        plain = tuple(_PLAIN_TYPES[name] for name in names if name in _PLAIN_TYPES)
        if len(plain) == len(names):  # one isinstance for ["object", "boolean"] and the like
            return lambda value: isinstance(value, plain)
        return lambda value: any(test(value) for test in tests)

    def _k_enum(self, options: Any, schema: dict[str, Any]) -> Check:
        texts = {o for o in options if isinstance(o, str)}
        others = [o for o in options if not isinstance(o, str)]

        def check(value: Any) -> bool:
            if isinstance(value, str):
                return value in texts  # a string equals only an equal string
            return any(_equal(option, value) for option in others)

        return check

    def _k_const(self, const: Any, schema: dict[str, Any]) -> Check:
        return lambda value: _equal(value, const)

    def _k_pattern(self, pattern: Any, schema: dict[str, Any]) -> Check:
        search = re.compile(pattern).search
        return lambda value: not isinstance(value, str) or search(value) is not None

    def _k_minLength(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, str) or not len(value) < bound

    def _k_maxLength(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, str) or not len(value) > bound

    def _k_minItems(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, list) or not len(value) < bound

    def _k_maxItems(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, list) or not len(value) > bound

    def _k_minimum(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not _is_number(value) or not value < bound

    def _k_maximum(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not _is_number(value) or not value > bound

    def _k_exclusiveMinimum(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not _is_number(value) or not value <= bound

    def _k_exclusiveMaximum(self, bound: Any, schema: dict[str, Any]) -> Check:
        return lambda value: not _is_number(value) or not value >= bound

    def _k_uniqueItems(self, unique: Any, schema: dict[str, Any]) -> Check:
        def check(value: Any) -> bool:
            if not unique or not isinstance(value, list):
                return True
            if not all(isinstance(item, str) for item in value):
                raise _Unknown  # jsonschema's uniq() has its own rules for other values
            return len(set(value)) == len(value)

        return check

    def _k_required(self, names: Any, schema: dict[str, Any]) -> Check:
        names = list(names)
        return lambda value: not isinstance(value, dict) or all(n in value for n in names)

    def _k_properties(self, properties: Any, schema: dict[str, Any]) -> Check:
        checks = {name: self.compile(sub) for name, sub in properties.items()}

        def check(value: Any) -> bool:
            if isinstance(value, dict):  # walk the instance: it has fewer keys than the schema
                for name, item in value.items():
                    each = checks.get(name)
                    if each is not None and not each(item):
                        return False
            return True

        return check

    def _k_patternProperties(self, patterns: Any, schema: dict[str, Any]) -> Check:
        checks = [(re.compile(p).search, self.compile(sub)) for p, sub in patterns.items()]

        def check(value: Any) -> bool:
            if isinstance(value, dict):
                for search, each in checks:
                    for key, item in value.items():
                        if search(key) and not each(item):
                            return False
            return True

        return check

    def _k_additionalProperties(self, extra: Any, schema: dict[str, Any]) -> Check:
        known = set(schema.get("properties", {}))
        patterns = "|".join(schema.get("patternProperties", {}))  # one regex, as jsonschema
        search = re.compile(patterns).search if patterns else None
        if extra is True or extra == {}:
            return lambda value: True
        if extra is not False and not isinstance(extra, dict):
            raise _Unsupported(extra)
        each = self.compile(extra)

        def check(value: Any) -> bool:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in known or (search is not None and search(key)):
                        continue
                    if not each(item):
                        return False
            return True

        return check

    def _k_items(self, items: Any, schema: dict[str, Any]) -> Check:
        if "prefixItems" in schema:
            raise _Unsupported("prefixItems")
        each = self.compile(items)
        return lambda value: not isinstance(value, list) or all(each(item) for item in value)

    def _k_propertyNames(self, names: Any, schema: dict[str, Any]) -> Check:
        each = self.compile(names)
        return lambda value: not isinstance(value, dict) or all(each(key) for key in value)

    def _k_allOf(self, subschemas: Any, schema: dict[str, Any]) -> Check:
        parts = _merged_parts(subschemas)
        self.keep.append(parts)
        return _all_of([self.compile(sub) for sub in parts] or [lambda value: True])

    def _k_anyOf(self, subschemas: Any, schema: dict[str, Any]) -> Check:
        checks = [self.compile(sub) for sub in subschemas]
        return lambda value: any(each(value) for each in checks)

    def _k_oneOf(self, subschemas: Any, schema: dict[str, Any]) -> Check:
        checks = [self.compile(sub) for sub in subschemas]
        return lambda value: sum(1 for each in checks if each(value)) == 1

    def _k_not(self, subschema: Any, schema: dict[str, Any]) -> Check:
        each = self.compile(subschema)
        return lambda value: not each(value)

    def _k_if(self, subschema: Any, schema: dict[str, Any]) -> Check:
        condition = self.compile(subschema)
        then = self.compile(schema["then"]) if "then" in schema else None
        otherwise = self.compile(schema["else"]) if "else" in schema else None

        def check(value: Any) -> bool:
            branch = then if condition(value) else otherwise
            return branch is None or branch(value)

        return check
