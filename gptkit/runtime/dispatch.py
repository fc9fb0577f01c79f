"""Running the tool calls of one model reply: each call id answered exactly once, in order.

Everything the model sends is untrusted: an unknown tool name, arguments that are not JSON or do
not fit the schema, a refused confirmation, a timeout or an exception all become an error result
that goes back to the model; nothing here raises for them. Calls run concurrently; their results
keep the model's order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from gptkit.config.secrets import redact
from gptkit.messages import ToolCall
from gptkit.runtime.events import ToolFinished
from gptkit.tools.base import Tool, ToolArgumentsError, ToolContext, ToolFailure

#: Asked before a ``confirm: true`` tool runs: (tool name, arguments) -> allowed?
Confirm = Callable[[str, dict], Awaitable[bool]]


@dataclass
class Limits:
    """The bounds of ``limits`` that apply to tools."""

    tool_timeout_s: float = 30
    max_tool_output_chars: int = 20000


async def dispatch(
    calls: Sequence[ToolCall],
    tools: dict[str, Tool],
    context: ToolContext,
    limits: Limits,
    confirm: Confirm | None = None,
    secrets: Iterable[str] = (),
) -> list[ToolFinished]:
    """Run ``calls``; return one result per call, in the calls' order."""
    secrets = tuple(secrets)
    prepared: list[tuple[Tool, dict] | ToolFinished] = []
    for call in calls:  # checks and confirmations one by one: a person answers in order
        prepared.append(await _prepare(call, tools, confirm))

    async def run(call: ToolCall, item: tuple[Tool, dict] | ToolFinished) -> ToolFinished:
        if isinstance(item, ToolFinished):
            return item
        tool, arguments = item
        return await _run(call, tool, arguments, context, limits)

    results = await asyncio.gather(*(run(c, p) for c, p in zip(calls, prepared, strict=True)))
    return [
        ToolFinished(r.call, redact(r.result, secrets), r.error) if secrets else r for r in results
    ]


async def _prepare(
    call: ToolCall, tools: dict[str, Tool], confirm: Confirm | None
) -> tuple[Tool, dict] | ToolFinished:
    tool = tools.get(call.name)
    if tool is None:
        names = ", ".join(sorted(tools)) or "none"
        return ToolFinished(
            call, f"error: there is no tool named {call.name!r}; the tools are: {names}", True
        )
    try:
        arguments = tool.parse(call.arguments)
    except ToolArgumentsError as exc:
        return ToolFinished(call, f"error: {exc}", True)
    if tool.confirm:
        allowed = await confirm(call.name, arguments) if confirm is not None else False
        if not allowed:
            reason = "declined it" if confirm is not None else "could not be asked (no terminal, and no --yes)"
            return ToolFinished(
                call,
                f"error: {call.name} needs the person's confirmation and the person {reason}; "
                "it did not run. Tell them, and do not retry without being asked.",
                True,
            )
    return tool, arguments


async def _run(
    call: ToolCall, tool: Tool, arguments: dict, context: ToolContext, limits: Limits
) -> ToolFinished:
    timeout = tool.timeout_s or limits.tool_timeout_s
    try:
        result = await asyncio.wait_for(tool.run(arguments, context), timeout)
    except asyncio.TimeoutError:
        return ToolFinished(call, f"error: {call.name} did not finish within {timeout:g} s", True)
    except ToolFailure as exc:
        return ToolFinished(call, f"error: {exc}", True)
    except ToolArgumentsError as exc:
        return ToolFinished(call, f"error: {exc}", True)
    except Exception as exc:  # a tool's own bug is the model's information, not a crash
        return ToolFinished(call, f"error: {call.name} failed: {type(exc).__name__}: {exc}", True)
    if not isinstance(result, str):
        result = str(result)
    limit = limits.max_tool_output_chars
    if len(result) > limit:
        cut = len(result) - limit
        result = result[:limit] + f"\n[output cut: {cut} more characters]"
    return ToolFinished(call, result)
