"""Running the tool calls of one model reply: each call id answered exactly once, in order.

Everything the model sends is untrusted: an unknown tool name, arguments that are not JSON or do
not fit the schema, a refused confirmation, a timeout or an exception all become an error result
that goes back to the model; nothing here raises for them. Calls run concurrently; their results
keep the model's order.

- At most :data:`MAX_PARALLEL_TOOL_CALLS` calls of one reply run; the rest are answered with an
  error result saying so (nothing is asked or run for them).
- A reply that repeats a call id is made well formed first (:func:`distinct_calls`): an exact
  repeat of a call is dropped (it runs once), a different call under a used id gets an id of
  its own. Each id is then answered exactly once, and the turn can be kept.
- A sync tool runs in a thread. Python cannot stop a thread, so a sync tool that overruns its
  timeout is abandoned: the model gets an error result at once, the thread runs on in the
  background and its result is dropped (whatever it does meanwhile still happens). Sessions run
  such threads as daemons (:class:`DaemonExecutor`), so the process does not wait for them at exit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gptkit.config.secrets import redact
from gptkit.messages import ToolCall
from gptkit.runtime.events import ToolFinished
from gptkit.tools.base import Tool, ToolArgumentsError, ToolContext, ToolFailure

#: Asked before a ``confirm: true`` tool runs: (tool name, arguments) -> allowed?
Confirm = Callable[[str, dict[str, Any]], Awaitable[bool]]

#: The most tool calls one model reply may run; the rest get an error result.
MAX_PARALLEL_TOOL_CALLS = 16


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
    prepared: list[tuple[Tool, dict[str, Any]] | ToolFinished] = []
    for index, call in enumerate(calls):  # checks and confirmations one by one, in order
        if index >= MAX_PARALLEL_TOOL_CALLS:
            prepared.append(ToolFinished(
                call,
                f"error: not run: one reply may ask for at most {MAX_PARALLEL_TOOL_CALLS} tool "
                f"calls and this one asked for {len(calls)}; ask for the rest in the next reply.",
                True,
            ))
            continue
        prepared.append(await _prepare(call, tools, confirm))

    async def run(call: ToolCall, item: tuple[Tool, dict[str, Any]] | ToolFinished) -> ToolFinished:
        if isinstance(item, ToolFinished):
            return item
        tool, arguments = item
        return await _run(call, tool, arguments, context, limits)

    if len(calls) == 1:  # the common case: no task of its own to schedule
        results = [await run(calls[0], prepared[0])]
    else:
        results = await asyncio.gather(*(run(c, p) for c, p in zip(calls, prepared, strict=True)))
    return [
        ToolFinished(r.call, redact(r.result, secrets), r.error) if secrets else r for r in results
    ]


def distinct_calls(calls: Sequence[ToolCall]) -> tuple[ToolCall, ...]:
    """``calls`` with each id used once: exact repeats dropped, clashing ids made unique."""
    seen: dict[str, ToolCall] = {}
    kept: list[ToolCall] = []
    for call in calls:
        if call.id in seen:
            if seen[call.id] == call:
                continue  # the same call twice (a server's glitch): it runs once
            number = 2
            while f"{call.id}_{number}" in seen:
                number += 1
            call = replace(call, id=f"{call.id}_{number}")
        seen[call.id] = call
        kept.append(call)
    return tuple(kept)


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """An event loop's default executor whose threads never hold up the exit of the process.

    Each job gets a daemon thread of its own, and :meth:`shutdown` waits for none of them: a
    sync tool abandoned at its timeout cannot keep ``gptkit run`` alive.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to whoever awaits the future
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="gptkit-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


async def _bounded(awaitable: Awaitable[object], timeout: float) -> object:
    """``awaitable`` within ``timeout`` seconds, else :class:`asyncio.TimeoutError`."""
    if sys.version_info >= (3, 11):  # a deadline on this task: no task of its own per call
        async with asyncio.timeout(timeout):
            return await awaitable
    return await asyncio.wait_for(awaitable, timeout)


async def _prepare(
    call: ToolCall, tools: dict[str, Tool], confirm: Confirm | None
) -> tuple[Tool, dict[str, Any]] | ToolFinished:
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
    call: ToolCall, tool: Tool, arguments: dict[str, Any], context: ToolContext, limits: Limits
) -> ToolFinished:
    timeout = tool.timeout_s or limits.tool_timeout_s
    try:
        # a user's tool may return something other than its declared ``str``
        outcome: object = await _bounded(tool.run(arguments, context), timeout)
    except asyncio.TimeoutError:
        return ToolFinished(
            call,
            f"error: {call.name} did not finish within {timeout:g} s (its timeout); it was "
            "abandoned and its result will not come",
            True,
        )
    except ToolFailure as exc:
        return ToolFinished(call, f"error: {exc}", True)
    except ToolArgumentsError as exc:
        return ToolFinished(call, f"error: {exc}", True)
    except Exception as exc:  # a tool's own bug is the model's information, not a crash
        return ToolFinished(call, f"error: {call.name} failed: {type(exc).__name__}: {exc}", True)
    result = outcome if isinstance(outcome, str) else str(outcome)
    limit = limits.max_tool_output_chars
    if len(result) > limit:
        cut = len(result) - limit
        result = result[:limit] + f"\n[output cut: {cut} more characters]"
    return ToolFinished(call, result)
