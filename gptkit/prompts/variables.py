"""Template variables: ``--var name=value`` text converted to each variable's declared type.

Every problem is collected before anything is raised, so a person fixing a command line sees all
of them at once; a required variable without a value stops the run before any API call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gptkit.errors import UsageError

if TYPE_CHECKING:
    from gptkit.config.models import Variable

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_assignments(items: list[str]) -> dict[str, str]:
    """Split ``NAME=VALUE`` items from the command line; raise UsageError for malformed ones."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var {item!r}: expected NAME=VALUE, for example --var city=Porto")
        values[name.strip()] = value
    return values


def resolve_variables(declared: Mapping[str, Variable], given: Mapping[str, Any]) -> dict[str, Any]:
    """Return the value of every declared variable: the given one converted, else the default.

    Given values may be text (the command line) or already typed (the Python API). Raises
    UsageError naming every unknown name, bad value and missing required variable.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name in given:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none are declared"
            problems.append(f"--var {name}: the assistant has no variable '{name}' ({known})")
    for name, variable in declared.items():
        if name in given:
            try:
                value = convert(given[name], variable.type)
            except ValueError as exc:
                problems.append(f"--var {name}={given[name]}: {exc}")
                continue
            if variable.enum is not None and value not in variable.enum:
                allowed = ", ".join(str(v) for v in variable.enum)
                problems.append(f"--var {name}={given[name]}: expected one of {allowed}")
                continue
            values[name] = value
        elif variable.default is not None:
            values[name] = variable.default
        elif variable.required:
            problems.append(
                f"variable '{name}' is required: give it with --var {name}=VALUE"
                + (f" ({variable.description})" if variable.description else "")
            )
        else:
            values[name] = None
    if problems:
        raise UsageError("\n".join(problems))
    return values


def convert(value: Any, kind: str) -> Any:
    """Convert ``value`` to the declared type ``kind``; raise ValueError saying what was expected."""
    if not isinstance(value, str):
        if kind == "number" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        expected = {"string": str, "integer": int, "number": float, "boolean": bool}[kind]
        if isinstance(value, expected) and not (kind != "boolean" and isinstance(value, bool)):
            return value
        raise ValueError(f"expected {_article(kind)}, got {type(value).__name__}")
    text = value.strip()
    if kind == "string":
        return value
    if kind == "integer":
        try:
            return int(text, 10)
        except ValueError:
            raise ValueError("expected an integer, for example 42") from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError("expected a number, for example 3.5") from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected a boolean: true or false")


def _article(kind: str) -> str:
    return {"integer": "an integer", "number": "a number", "boolean": "a boolean"}.get(kind, kind)
