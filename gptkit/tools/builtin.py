"""The tools gptkit provides: ``current_time``, ``calculator``, ``remember`` and ``forget``.

Each is a plain function made into a :class:`~gptkit.tools.python.PythonTool`, so builtins get the
same strict schemas and argument checks as the project's own tools.

The calculator never uses ``eval``: it walks the :mod:`ast` of the expression and allows numbers,
``+ - * / // % **``, unary signs, parentheses and a few math functions and constants. Integers are
exact and bounded (about 1,000 digits), so ``10**10**10`` is refused at once rather than computed.
A float result is written with 15 significant digits, the precision a double carries reliably:
``0.1+0.2`` gives ``0.3``, not ``0.30000000000000004``; ``sqrt(16)`` gives ``4.0`` (a float keeps
its point, so it reads as one); very large or small floats use an exponent, ``1e+20``.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import operator
from collections.abc import Callable
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from gptkit.tools.base import ToolContext, ToolFailure
from gptkit.tools.python import PythonTool

MAX_EXPRESSION_CHARS = 1000
MAX_INT_BITS = 3400  # a little over 1,000 decimal digits
MAX_DEPTH = 500  # "1+1+...+1" nests one level per term
MAX_ROUND_DIGITS = 1000


def current_time(timezone: str | None = None) -> str:
    """Tell the current date and time, with the weekday.

    Args:
        timezone: An IANA time zone such as 'Europe/Lisbon', 'America/New_York' or 'UTC'; null
            for the local time of the machine gptkit runs on.
    """
    if timezone is None:
        now = datetime.now().astimezone()
        zone = f"local ({now.tzname()})"
    else:
        now = datetime.now(_zone(timezone))
        zone = timezone
    return json.dumps(
        {
            "datetime": now.isoformat(timespec="seconds"),
            "date": now.date().isoformat(),
            "time": now.strftime("%H:%M:%S"),
            "weekday": now.strftime("%A"),
            "timezone": zone,
            "utc_offset": now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
        }
    )


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.upper() in ("UTC", "Z"):
        return dt_timezone.utc  # works without a time zone database too
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ToolFailure(
            f"unknown time zone {name[:80]!r}: use an IANA name such as 'Europe/Lisbon', "
            "'America/New_York' or 'UTC'"
        ) from None


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression; use it instead of doing arithmetic yourself.
    It knows numbers, + - * / // (floor division) % (remainder) ** (power), parentheses, the
    functions sqrt, abs, round, min, max, floor, ceil, log (natural, or log(x, base)), exp,
    sin, cos, tan (radians) and the constants pi and e. Integers are exact.

    Args:
        expression: The expression, such as '(1200 * 1.07) / 12' or 'sqrt(2) * pi'.
    """
    return format_number(evaluate(expression))


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic ``expression``; :class:`ToolFailure` when it has none."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolFailure(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ToolFailure(
            f"{expression[:80]!r} is not an arithmetic expression; write something like "
            "'2 * (3 + 4)'"
        ) from None
    try:
        return _value(tree.body, 0)
    except ZeroDivisionError:
        raise ToolFailure("division by zero") from None
    except OverflowError:
        raise ToolFailure("the result is too large") from None
    except RecursionError:
        raise ToolFailure("the expression is nested too deeply") from None


def format_number(value: int | float) -> str:
    """Integers exactly; floats with 15 significant digits, keeping a point or an exponent."""
    if isinstance(value, int):
        return str(value)
    text = format(value, ".15g")
    return text if any(c in text for c in ".en") else text + ".0"


def _checked(value: Any) -> int | float:
    if not isinstance(value, (int, float)):  # a complex number, such as (-1) ** 0.5
        raise ToolFailure("the result is not a real number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolFailure("the result is too large")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolFailure("the result is too large (over 1,000 digits)")
    return value


def _power(base: int | float, exponent: int | float) -> int | float:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        # Bound before computing: 10**10**10 would take minutes and gigabytes.
        if (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
            raise ToolFailure("the result is too large (over 1,000 digits)")
    return base**exponent


def _multiply(left: int | float, right: int | float) -> int | float:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise ToolFailure("the result is too large (over 1,000 digits)")
    return left * right


def _round(value: int | float, digits: int | None = None) -> int | float:
    if digits is None:
        return round(value)
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise ToolFailure(
            f"round's second argument must be a whole number up to {MAX_ROUND_DIGITS}"
        )
    return round(value, digits)


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _multiply,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": _round,
    "min": lambda *numbers: min(numbers),
    "max": lambda *numbers: max(numbers),
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
}
_ARITY = {"round": (1, 2), "log": (1, 2), "min": (1, 100), "max": (1, 100)}
_CONSTANTS = {"pi": math.pi, "e": math.e}


def _value(node: ast.AST, depth: int) -> int | float:
    if depth > MAX_DEPTH:
        raise ToolFailure("the expression is nested too deeply")
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise ToolFailure(f"{node.value!r} is not a number")
        return _checked(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left, depth + 1), _value(node.right, depth + 1)
        return _checked(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _checked(_UNARY[type(node.op)](_value(node.operand, depth + 1)))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ToolFailure(f"unknown name '{node.id[:40]}'; the constants are pi and e")
    if isinstance(node, ast.Call):
        return _call(node, depth)
    raise ToolFailure(
        "only numbers, + - * / // % **, parentheses and the functions "
        f"{', '.join(_FUNCTIONS)} are allowed"
    )


def _call(node: ast.Call, depth: int) -> int | float:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in _FUNCTIONS:
        shown = name or ast.unparse(node.func)[:40]
        raise ToolFailure(f"unknown function '{shown}'; the functions are {', '.join(_FUNCTIONS)}")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ToolFailure(f"{name} takes plain numbers, such as {name}(2)")
    low, high = _ARITY.get(name, (1, 1))
    if not low <= len(node.args) <= high:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise ToolFailure(f"{name} takes {wanted} argument(s), got {len(node.args)}")
    args = [_value(arg, depth + 1) for arg in node.args]
    try:
        return _checked(_FUNCTIONS[name](*args))
    except (ValueError, TypeError):
        shown = ", ".join(format_number(a) for a in args)[:80]
        raise ToolFailure(f"{name}({shown}) is not defined (math domain error)") from None


async def remember(fact: str, context: ToolContext) -> str:
    """Save a lasting fact about the user, to know it in later conversations.
    Save only what the user would want remembered, such as preferences or names.

    Args:
        fact: The fact, as one short sentence, such as 'Prefers window seats'.
    """
    memory = _memory(context)
    if not fact.strip():
        raise ToolFailure("the fact is empty; send one short sentence")
    # Called on the event loop's thread: stores may hold connections bound to their thread.
    stored = await _maybe_await(memory.remember(context.assistant, context.user, fact))
    # The store's own sentence ("remembered: TEXT", TEXT as stored, redacted) is the answer.
    return stored if isinstance(stored, str) and stored else f"remembered: {fact}"


async def forget(fact: str, context: ToolContext) -> str:
    """Delete a saved fact about the user, when it is wrong or the user asks to forget it.

    Args:
        fact: The fact to delete, as it was saved.
    """
    memory = _memory(context)
    removed = await _maybe_await(memory.forget(context.assistant, context.user, fact))
    return f"Forgot: {fact}" if removed else f"No saved fact matched: {fact}"


def _memory(context: ToolContext) -> Any:
    if context.memory is None:
        raise ToolFailure("long-term memory is not enabled for this assistant")
    return context.memory


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


BUILTINS: dict[str, Callable[..., Any]] = {
    "current_time": current_time,
    "calculator": calculator,
    "remember": remember,
    "forget": forget,
}


def builtin_tool(
    name: str,
    *,
    description: str | None = None,
    strict: bool = True,
    confirm: bool = False,
    timeout_s: float | None = None,
) -> PythonTool:
    """The builtin called ``name``; ``description`` replaces its own when given."""
    return PythonTool.from_function(
        BUILTINS[name],
        name=name,
        description=description,
        strict=strict,
        confirm=confirm,
        timeout_s=timeout_s,
    )
