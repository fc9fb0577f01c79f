"""The render budget: a per-render deadline and size checks made before anything is built.

A rendering may take :data:`MAX_RENDER_SECONDS` and produce :data:`MAX_RENDER_CHARS`. Both hold
on any thread, because nothing here uses a signal: the deadline is the rendering thread's own
(:func:`running`), and the sandbox's hooks check it on every call, attribute lookup, filter and
every few loop iterations (:func:`checked_iter`). Sizes are checked *before* the operation that
would allocate them: a width, a padding, a repeat count, a joined or formatted result is
estimated from its inputs (:func:`text_size`), and an operation over the budget is refused with
a :class:`BudgetError` instead of being run.
"""

from __future__ import annotations

import re
import string
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from gptkit.errors import RenderError

MAX_RENDER_SECONDS = 2.0
MAX_RENDER_CHARS = 1_000_000
#: The largest integer a template may build, in bits (about 30,000 decimal digits).
MAX_INT_BITS = 100_000
_CHECK_EVERY = 1024  # loop iterations between two looks at the clock


class BudgetError(RenderError):
    """A template went over its time or size budget (the message says which)."""


class _State(threading.local):
    deadline = float("inf")
    ticks = 0


_state = _State()


@contextmanager
def running(seconds: float = MAX_RENDER_SECONDS) -> Iterator[None]:
    """Give the current thread's rendering ``seconds`` from now (nested calls keep the outer)."""
    outer = _state.deadline
    _state.deadline = min(outer, time.monotonic() + seconds)
    try:
        yield
    finally:
        _state.deadline = outer


def check_time() -> None:
    """Raise BudgetError when the current thread's rendering is past its deadline."""
    if time.monotonic() > _state.deadline:
        raise BudgetError(
            f"rendering took over {MAX_RENDER_SECONDS:g} s; check loops in the template"
        )


def tick() -> None:
    """A cheap :func:`check_time` for hot paths: looks at the clock every few calls."""
    _state.ticks += 1
    if _state.ticks >= _CHECK_EVERY:
        _state.ticks = 0
        check_time()


def checked_iter(iterable: Any) -> Iterator[Any]:
    """Iterate ``iterable`` for a template loop, looking at the deadline as it goes.

    When ``iterable`` is an iterator (a ``map`` or ``select`` result) its items are made as
    they come, and a loop or filter may keep them all: their text is counted, and the items
    stop with a BudgetError once it passes the size budget.
    """
    lazy = iter(iterable) is iterable
    count = total = 0
    for item in iterable:
        count += 1
        if count >= _CHECK_EVERY:
            count = 0
            check_time()
        if lazy:
            total += text_size(item)
            if total > MAX_RENDER_CHARS:
                raise too_big("the items of a sequence")
        yield item


def bounded(value: Any) -> Any:
    """``value``, or when it is an iterator, the same items under :func:`checked_iter`."""
    try:
        lazy = iter(value) is value
    except TypeError:
        return value
    return checked_iter(value) if lazy else value


def too_big(what: str) -> BudgetError:
    return BudgetError(f"{what} over the size budget ({MAX_RENDER_CHARS:,} characters) in the template")


def require(size: int, what: str) -> None:
    """Refuse an operation whose result would be ``size`` characters, over the budget."""
    if size > MAX_RENDER_CHARS:
        raise too_big(what)


def text_size(value: Any, limit: int = MAX_RENDER_CHARS) -> int:
    """An estimate of ``len(str(value))``, walking containers; stops once it passes ``limit``.

    Strings count their length (plus quotes inside containers), numbers their digits, and any
    other object a small constant; so the cost is bounded by ``limit`` steps, whatever the value.
    """
    total = 0
    stack = [(value, False)]
    steps = 0
    while stack:
        item, nested = stack.pop()
        steps += 1
        if total > limit or steps > limit:
            return limit + 1
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item) + (3 if nested else 0)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() * 30103 // 100000 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, Mapping):
            total += 2
            for key, sub in item.items():
                stack.append((key, True))
                stack.append((sub, True))
                total += 2
                if total > limit:
                    return limit + 1
        elif isinstance(item, (list, tuple, set, frozenset, range)) or type(item).__name__ in (
            "dict_keys", "dict_values", "dict_items"
        ):
            if isinstance(item, range):
                total += len(str(item))
                continue
            total += 2
            for sub in item:
                stack.append((sub, True))
                total += 2
                if total > limit:
                    return limit + 1
        elif type(item).__name__ == "Namespace":  # jinja2.utils.Namespace prints its attributes
            stack.append((getattr(item, "_Namespace__attrs", {}), True))
        else:
            total += 64
    return total


def depth(value: Any, limit: int = 1000) -> int:
    """How deeply ``value``'s containers nest (at most ``limit``)."""
    best = 0
    stack = [(value, 0)]
    steps = 0
    while stack and steps < MAX_RENDER_CHARS:
        item, level = stack.pop()
        steps += 1
        if isinstance(item, Mapping):
            children: Iterable[Any] = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        else:
            continue
        best = max(best, level + 1)
        if best >= limit:
            return limit
        stack.extend((child, level + 1) for child in children)
    return best


def length(value: Any) -> int:
    """The size of a width, padding or indent argument: an int itself, a string its length."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return len(value)
    return 0


# -- formatting: printf-style % and str.format ------------------------------------------------

_PRINTF = re.compile(r"%(?:\(([^)]*)\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.S)


def check_printf(fmt: str, values: Any) -> None:
    """Refuse ``fmt % values`` when its widths, precisions or result would be over the budget."""
    mapping = values if isinstance(values, Mapping) else None
    args = list(values) if isinstance(values, tuple) else [values]
    position = 0
    total = len(fmt)

    def next_arg() -> Any:
        nonlocal position
        position += 1
        return args[position - 1] if position <= len(args) else None

    for match in _PRINTF.finditer(fmt):
        key, width_text, precision_text, conversion = match.groups()
        if conversion == "%":
            continue
        numbers = []
        for text in (width_text, precision_text):
            if text == "*":
                star = next_arg() if mapping is None else None
                numbers.append(abs(star) if isinstance(star, int) else 0)
            else:
                numbers.append(int(text) if text else 0)
        width, precision = numbers
        if width > MAX_RENDER_CHARS or precision > MAX_RENDER_CHARS:
            raise too_big("a width or precision in a % format")
        if mapping is not None:
            arg = mapping.get(key) if key is not None else mapping
        else:
            arg = next_arg()
        size = text_size(arg) * (10 if conversion in "ra" else 1)
        total += max(width, size + precision + 330)
        require(total, "a % formatted value")


_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?[a-zA-Z%]?", re.S)


def check_format_spec(spec: str, value: Any) -> int:
    """The most characters ``format(value, spec)`` may give; refuse a width over the budget."""
    match = _SPEC.fullmatch(spec)
    width = precision = 0
    if match:
        width = int(match.group(1) or 0)
        precision = int(match.group(2) or 0)
    if width > MAX_RENDER_CHARS or precision > MAX_RENDER_CHARS:
        raise too_big("a width or precision in a format field")
    size = max(width, text_size(value) + precision + 330)
    require(size, "a formatted field")
    return size


class BoundedFormatter(string.Formatter):
    """Keeps a whole ``str.format`` result within the budget, field by field, as it is built."""

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_time()
        self._total += check_format_spec(format_spec, value)
        require(self._total, "a formatted value")
        return super().format_field(value, format_spec)


# -- methods of values the sandbox lets a template call ---------------------------------------

def check_method(method: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Refuse a call of a str, bytes or int method that would build a value over the budget.

    Returns the arguments to call with (an iterable given to ``join`` is made a list once, so it
    can be measured and then joined).
    """
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if isinstance(owner, (str, bytes)):
        size = len(owner)
        if name in ("center", "ljust", "rjust", "zfill"):
            width = args[0] if args else kwargs.get("width", 0)
            require(max(size, length(width) if isinstance(width, int) else 0), f"a {name}() width")
        elif name == "expandtabs":
            tabsize = args[0] if args else kwargs.get("tabsize", 8)
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            require(size + tabs * max(length(tabsize), 0), "an expandtabs() result")
        elif name == "join" and args:
            items = list(checked_iter(args[0]))
            separator = size * max(len(items) - 1, 0)
            require(separator, "a joined value")
            require(separator + sum(text_size(i) for i in items), "a joined value")
            return (items, *args[1:])
        elif name == "replace" and len(args) >= 2:
            require(replaced_size(owner, args[0], args[1], args[2] if len(args) > 2 else -1),
                    "a replace() result")
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((text_size(v) for v in args[0].values()), default=1)
            require(size * max(longest, 1), "a translate() result")
    elif isinstance(owner, int) and name == "to_bytes":
        size_arg = args[0] if args else kwargs.get("length", 1)
        require(length(size_arg), "a to_bytes() length")
    return args


def replaced_size(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    """The length of ``text.replace(old, new, count)``, computed without building it."""
    if not isinstance(old, type(text)) or not isinstance(new, type(text)):
        return len(text)
    found = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))
