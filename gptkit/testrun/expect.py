"""The checks of one turn (``expect:``), each failure a sentence a person can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gptkit.config.testsuite import Expect, ExpectedCall
from gptkit.runtime.events import Answer


@dataclass(frozen=True)
class Made:
    """A tool call the turn made: its name and its arguments (parsed, or the raw text)."""

    name: str
    arguments: Any

    def describe(self) -> str:
        return describe_call(self.name, self.arguments)


def describe_call(name: str, arguments: Any) -> str:
    """``get_weather(city="Porto", month=5)``."""
    if isinstance(arguments, dict):
        inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    elif isinstance(arguments, str):
        inner = arguments
    else:
        inner = json.dumps(arguments, ensure_ascii=False)
    return f"{name}({_cut(inner, 160)})"


def calls_of(answer: Answer) -> list[Made]:
    """The tool calls of a turn, in the order the model made them."""
    made = []
    for finished in answer.tool_calls:
        try:
            arguments: Any = json.loads(finished.call.arguments or "{}")
        except ValueError:
            arguments = finished.call.arguments
        made.append(Made(finished.call.name, arguments))
    return made


def tool_rounds(answer: Answer) -> int:
    """How many rounds of tool calls the turn took."""
    return sum(1 for m in answer.messages if m.role == "assistant" and m.tool_calls)


def check(expect: Expect, answer: Answer, model: str) -> list[str]:
    """Every way ``answer`` fails ``expect`` (empty: it passes)."""
    text = answer.text
    failures: list[str] = []
    for needle in _texts(expect.contains):
        if needle not in text:
            failures.append(f"the answer does not contain {needle!r}")
    for needle in _texts(expect.not_contains):
        at = text.find(needle)
        if at >= 0:
            start, end = max(0, at - 30), min(len(text), at + len(needle) + 30)
            excerpt = ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
            failures.append(f"the answer contains {needle!r}, which it must not: {excerpt!r}")
    if expect.matches is not None:
        try:
            found = re.search(expect.matches, text)
        except re.error as exc:
            failures.append(f"matches: {expect.matches!r} is not a valid regular expression: {exc}")
        else:
            if found is None:
                failures.append(f"the answer does not match the regular expression {expect.matches!r}")
    if expect.equals is not None and text.strip() != expect.equals.strip():
        failures.append(f"the answer is not the expected text: expected {_cut(expect.equals.strip(), 200)!r}")
    if expect.json_schema is not None:
        failures += _json_schema(expect.json_schema, answer)
    made = calls_of(answer)
    if expect.no_tool_calls and made:
        failures.append("expected no tool calls; the turn called " + _list(made))
    if expect.tool_calls:
        failures += _tool_calls(expect.tool_calls, made, expect.tool_calls_order == "in_order")
    if expect.max_tool_rounds is not None:
        rounds = tool_rounds(answer)
        if rounds > expect.max_tool_rounds:
            failures.append(
                f"the turn took {rounds} tool round{'s' if rounds != 1 else ''}, over "
                f"max_tool_rounds ({expect.max_tool_rounds})"
            )
    if expect.max_input_tokens is not None:
        if answer.usage is None:
            failures.append("max_input_tokens cannot be checked: the server reported no token usage")
        elif answer.usage.input_tokens > expect.max_input_tokens:
            failures.append(
                f"the turn used {answer.usage.input_tokens:,} input tokens, over "
                f"max_input_tokens ({expect.max_input_tokens:,})"
            )
    if expect.max_cost_usd is not None:
        if answer.cost_usd is None:
            why = ("the server reported no token usage" if answer.usage is None
                   else f"gptkit has no price for the model {model!r}")
            failures.append(f"max_cost_usd cannot be checked: {why}")
        elif answer.cost_usd > expect.max_cost_usd:
            failures.append(
                f"the turn cost ${answer.cost_usd:.6f}, over max_cost_usd (${expect.max_cost_usd:g})"
            )
    return failures


def matches_arguments(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` holds ``expected``: a mapping matches when each expected key is there
    with a matching value (other keys may be there too); lists match item by item; other values
    are equal (``true`` is not ``1``)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches_arguments(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            matches_arguments(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _fits(expected: ExpectedCall, made: Made) -> bool:
    return expected.name == made.name and matches_arguments(expected.arguments, made.arguments)


def _tool_calls(expected: Sequence[ExpectedCall], made: list[Made], in_order: bool) -> list[str]:
    if in_order:
        position = 0
        for want in expected:
            index = next((i for i in range(position, len(made)) if _fits(want, made[i])), None)
            if index is None:
                earlier = any(_fits(want, m) for m in made[:position])
                where = " after the calls before it in tool_calls" if earlier else ""
                return [f"expected a call {_want(want)}{where}; the turn called {_list(made)}"]
            position = index + 1
        return []
    assignment = _assign(list(expected), made, set())
    if assignment:
        return []
    missing = [w for w in expected if not any(_fits(w, m) for m in made)]
    if missing:
        return [f"expected a call {_want(w)}; the turn called {_list(made)}" for w in missing]
    return [f"expected {len(expected)} calls matching tool_calls, each by its own call; "
            f"the turn called {_list(made)}"]


def _assign(expected: list[ExpectedCall], made: list[Made], used: set[int]) -> bool:
    """Whether each expected call can be matched by a distinct call made (any order)."""
    if not expected:
        return True
    first, rest = expected[0], expected[1:]
    for index, call in enumerate(made):
        if index not in used and _fits(first, call) and _assign(rest, made, used | {index}):
            return True
    return False


def _want(call: ExpectedCall) -> str:
    if not call.arguments:
        return f"of {call.name}"
    return f"of {call.name} with {json.dumps(call.arguments, ensure_ascii=False)}"


def _list(made: list[Made]) -> str:
    return ", ".join(m.describe() for m in made) if made else "no tool"


def _json_schema(schema: dict[str, Any], answer: Answer) -> list[str]:
    value = answer.output
    if value is None:
        try:
            value = json.loads(answer.text)
        except ValueError as exc:
            return [f"the answer is not JSON ({exc}), so it cannot match json_schema"]
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"json_schema is not a valid JSON Schema: {exc.message}"]
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if not errors:
        return []
    where = "/".join(str(p) for p in errors[0].absolute_path) or "the top"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return [f"the JSON answer does not match json_schema at {where}: {errors[0].message}{more}"]


def _texts(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
