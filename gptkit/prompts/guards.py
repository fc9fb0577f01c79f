"""Budget checks for Jinja's filters, operators and globals, made before each one runs.

Every filter is wrapped: it looks at the deadline, refuses an input whose text would be over the
size budget (sorting or printing a list of a million megabyte strings), and the filters that
can build more than they are given (``center``, ``indent``, ``wordwrap``, ``replace``, ``join``,
``format``, ``batch``, ``slice``, ``tojson``, ``pprint``, ``sum``, ``round``, ``urlize``) are
checked against the size their result would have.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from gptkit.prompts.budget import (
    MAX_INT_BITS,
    MAX_RENDER_CHARS,
    BudgetError,
    bounded,
    check_printf,
    check_time,
    depth,
    length,
    replaced_size,
    require,
    text_size,
    too_big,
)


def _center(a: Any) -> None:
    require(max(text_size(a["value"]), length(a.get("width", 80))), "a center() width")


def _text(value: Any) -> str:
    """A filter's input as the text it works on (its size is already checked)."""
    return value if isinstance(value, str) else str(value)


def _indent(a: Any) -> None:
    text = _text(a["s"])
    require(len(text) + (text.count("\n") + 1) * length(a.get("width", 4)), "an indented value")


def _wordwrap(a: Any) -> None:
    text = _text(a["s"])
    width = a.get("width", 79)
    width = width if isinstance(width, int) and width > 0 else 1
    lines = len(text) // width + len(text.split()) + 1
    wrap = a.get("wrapstring")
    require(len(text) + lines * (len(wrap) if isinstance(wrap, str) else 2), "a wrapped value")


def _replace(a: Any) -> None:
    text = _text(a["s"])
    old, new = str(a.get("old", "")), str(a.get("new", ""))
    count = a.get("count")
    require(replaced_size(text, old, new, -1 if count is None else count), "a replace() result")


def _join(a: Any) -> None:
    items = a["value"]
    separator = a.get("d", "")
    count = len(items)
    require(text_size(separator) * max(count - 1, 0) + text_size(items), "a joined value")


def _format(a: Any) -> None:
    kwargs, args = a.get("kwargs") or {}, a.get("args") or ()
    if isinstance(a["value"], str):
        check_printf(a["value"], kwargs or tuple(args))


def _batch(a: Any) -> None:
    if a.get("fill_with") is not None and length(a.get("linecount", 0)) > MAX_RENDER_CHARS:
        raise too_big("a batch() size")


def _slice(a: Any) -> None:
    if length(a.get("slices", 0)) > MAX_RENDER_CHARS:
        raise too_big("a slice() count")


def _tojson(a: Any) -> None:
    indent = length(a.get("indent") or 0)
    value = a["value"]
    require(text_size(value) * (1 + depth(value) * max(indent, 0)) if indent else 0,
            "an indented JSON value")


def _pprint(a: Any) -> None:
    value = a["value"]
    require(text_size(value) * (1 + depth(value)), "a pretty-printed value")


def _sum(a: Any) -> None:
    start = a.get("start", 0)
    if isinstance(start, (str, list, tuple)):
        require(text_size(start) + text_size(a["iterable"]), "a summed value")


def _round(a: Any) -> None:
    precision = a.get("precision", 0)
    if isinstance(precision, int) and abs(precision) > 1000:
        raise BudgetError("a round() precision over 1000 in the template")


def _urlize(a: Any) -> None:
    text = a["value"]
    extra = sum(text_size(a.get(k) or "") for k in ("target", "rel")) + 64
    require(text_size(text) * 3 + (text_size(text) // 2 + 1) * extra if extra > 64 else 0,
            "a urlized value")


_CHECKS: dict[str, Callable[[Any], None]] = {
    "center": _center, "indent": _indent, "wordwrap": _wordwrap, "replace": _replace,
    "join": _join, "format": _format, "batch": _batch, "slice": _slice, "tojson": _tojson,
    "pprint": _pprint, "sum": _sum, "round": _round, "urlize": _urlize,
}
# Filters that take an iterable: made a list first (so it can be measured, then used).
_MATERIALISE = {"join": "value", "sum": "iterable"}


def guard_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Return ``filters`` with every filter wrapped in its budget checks."""
    return {name: _guarded(name, func) for name, func in filters.items()}


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(func)  # of the plain function, when Jinja wrapped it
    lead = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0  # env/context first
    # The argument that Jinja's wrapper adds, but the signature does not name, is set aside.
    unnamed = lead - (1 if getattr(inspect.unwrap(func), "jinja_pass_arg", None) else 0)
    check = _CHECKS.get(name)
    materialise = _MATERIALISE.get(name)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check_time()
        for value in (*args[lead:], *kwargs.values()):
            if not isinstance(value, (int, float)):
                require(text_size(value), f"the input of the '{name}' filter is")
        if len(args) > lead:  # a lazy input: its items are counted as the filter takes them
            args = (*args[:lead], bounded(args[lead]), *args[lead + 1:])
        if check is None:
            return func(*args, **kwargs)
        bound = signature.bind_partial(*args[unnamed:], **kwargs)
        if materialise and materialise in bound.arguments:
            items = bound.arguments[materialise]
            if not isinstance(items, (list, tuple, str)):
                bound.arguments[materialise] = list(bounded(items))
        arguments = dict(bound.arguments)
        for param in signature.parameters.values():  # **kwargs by its name, even when empty
            if param.kind is param.VAR_KEYWORD:
                arguments.setdefault(param.name, {})
        check(arguments)
        return func(*args[:unnamed], *bound.args, **bound.kwargs)

    return guarded


def binop(operator: str, left: Any, right: Any) -> Any:
    """``left <operator> right`` for the operators that can build large values."""
    check_time()
    if operator == "**":
        if isinstance(right, (int, float)) and abs(right) > 1000:
            raise BudgetError("a power with an exponent over 1000 in the template")
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            if left.bit_length() * right > MAX_INT_BITS:
                raise BudgetError("a power over the number size budget in the template")
        return left**right
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
                if len(seq) * n > MAX_RENDER_CHARS:
                    raise too_big("a repeated value")
                if isinstance(seq, (list, tuple)) and n > 1:
                    require(text_size(seq) * n, "a repeated value")
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise BudgetError("a product over the number size budget in the template")
        return left * right
    if operator == "%":
        if isinstance(left, str):
            check_printf(left, right)
        return left % right
    sequences = (str, bytes, list, tuple)
    if isinstance(left, sequences) and isinstance(right, sequences):
        require(len(left) + len(right), "a joined value")
        if isinstance(left, (list, tuple)):  # what the items would print as, too
            require(text_size(left) + text_size(right), "a joined value")
    return left + right


def concat(parts: Any) -> str:
    """Jinja's ``~`` and captured blocks: join ``parts`` as text, refusing a result too large."""
    out: list[str] = []
    total = 0
    for part in parts:
        if not isinstance(part, str):
            require(total + text_size(part), "a joined value")
            part = str(part)
        total += len(part)
        require(total, "a joined value")
        out.append(part)
    check_time()
    return "".join(out)


def finalize(value: Any) -> Any:
    """Every ``{{ value }}``: a value whose text would be over the budget is refused first."""
    if not isinstance(value, str):
        require(text_size(value), "a printed value")
    return value


def guard_lipsum(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``lipsum`` global, with its paragraph count and word counts bounded."""

    @functools.wraps(func)
    def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
        if length(n) * (length(max) + 1) * 12 > MAX_RENDER_CHARS:
            raise too_big("a lipsum() text")
        return func(n, html, min, max)

    return lipsum

