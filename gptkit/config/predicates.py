"""Proving an instance valid against a JSON Schema, quickly: compiled yes/no predicates.

jsonschema collects every error with its paths and context, which is what the messages of
:mod:`gptkit.config.schema_errors` need, and is slow. Most files are valid, and for them a
yes/no answer is enough. The schema is compiled once into plain Python predicates that follow
jsonschema's own keyword functions (Draft 2020-12, no format assertion) exactly. A schema using
anything else is not compiled, and an instance the predicates cannot judge exactly
(``_Unknown``) goes to jsonschema, so the answer is always jsonschema's. A differential property
test (tests/test_predicates.py) holds the two to the same answers.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], bool]


class _Unsupported(Exception):
    """The schema uses something the predicates do not follow; jsonschema judges alone."""


class _Unknown(Exception):
    """An instance the predicates cannot judge exactly; jsonschema judges it."""


def proves_valid(schema: dict[str, Any], instance: Any) -> bool:
    """Whether jsonschema (Draft 2020-12) finds no error in ``instance``, decided fast.

    False means "not proven": the instance has errors, or the fast path cannot tell.
    """
    return proves_part(schema, schema, instance)


def proves_part(root: dict[str, Any], part: Any, instance: Any) -> bool:
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
