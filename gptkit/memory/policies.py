"""Which stored messages a request carries: pure functions over message lists.

The stores run the same selection in the database (reading only the tail they need) and finish
it with these functions, so both give the same answer.

Every selection is a *tail* of the history that starts at a valid message:

- never a ``tool`` message, whose assistant message (with the call) would be cut off; since the
  tail runs to the end, an assistant message with tool calls always keeps all its results;
- a ``user`` message when one is inside the limits, else the first assistant message inside them.

The limits are hard: when even the newest message is over ``max_tokens`` (or no valid start lies
inside the limits) the selection is empty. The model still gets the instructions and the new user
message; what it loses is history that could not be sent whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gptkit.memory import tokens as _tokens
from gptkit.messages import Message

Count = Callable[[Message], int]


def valid_start(messages: Sequence[Message], earliest: int) -> int:
    """The index where a tail starting no earlier than ``earliest`` may start.

    The first ``user`` message at or after ``earliest``; else the first non-``tool`` message;
    else ``len(messages)`` (the empty tail).
    """
    earliest = max(earliest, 0)
    fallback = None
    for index in range(earliest, len(messages)):
        role = messages[index].role
        if role == "user":
            return index
        if fallback is None and role != "tool":
            fallback = index
    return len(messages) if fallback is None else fallback


def earliest_for_tokens(counts: Sequence[int], max_tokens: int) -> int:
    """The smallest index whose tail of ``counts`` adds up to at most ``max_tokens``."""
    total = 0
    for index in range(len(counts) - 1, -1, -1):
        total += counts[index]
        if total > max_tokens:
            return index + 1
    return 0


def select(
    messages: Sequence[Message],
    *,
    max_messages: int | None = None,
    max_tokens: int | None = None,
    count: Count | None = None,
    counts: Sequence[int] | None = None,
) -> list[Message]:
    """The longest valid tail within both limits (None: no limit).

    Args:
        messages: the history, oldest first.
        max_messages: at most this many messages.
        max_tokens: at most this many tokens, counted with ``counts`` (one per message) when
            given, else with ``count`` (default :func:`gptkit.memory.tokens.count_message`).
    """
    earliest = 0
    if max_messages is not None:
        if max_messages < 0:
            raise ValueError("max_messages must be at least 0")
        earliest = len(messages) - max_messages
    if max_tokens is not None:
        if max_tokens < 0:
            raise ValueError("max_tokens must be at least 0")
        if counts is None:
            count = count or _tokens.count_message
            counts = [count(m) for m in messages]
        elif len(counts) != len(messages):
            raise ValueError("counts must hold one number per message")
        earliest = max(earliest, earliest_for_tokens(counts, max_tokens))
    return list(messages[valid_start(messages, earliest) :])


def window(messages: Sequence[Message], n: int) -> list[Message]:
    """The ``window`` policy: at most the last ``n`` messages, starting at a valid message."""
    return select(messages, max_messages=n)


def fit_tokens(
    messages: Sequence[Message], max_tokens: int, count: Count | None = None
) -> list[Message]:
    """The ``tokens`` policy: the longest valid tail of at most ``max_tokens`` tokens."""
    return select(messages, max_tokens=max_tokens, count=count)


def split_for_summary(
    messages: Sequence[Message],
    *,
    keep_messages: int | None = None,
    keep_tokens: int | None = None,
    count: Count | None = None,
) -> tuple[list[Message], list[Message]]:
    """Split the unsummarised history into (to fold into the summary, to keep verbatim).

    The kept part is :func:`select` with the same limits, so the fold never separates a tool
    call from its results either. In a store, the first kept message of
    ``messages_after(session, through)`` has seq ``through + len(folded) + 1``.
    """
    kept = select(messages, max_messages=keep_messages, max_tokens=keep_tokens, count=count)
    return list(messages[: len(messages) - len(kept)]), kept


def turn_problem(messages: Sequence[Message]) -> str | None:
    """What is wrong with ``messages`` as one stored turn, or None when it is well formed.

    A turn starts with a ``user`` message; each assistant message with tool calls is followed by
    exactly one ``tool`` message per call (any order, matching ``tool_call_id``), and ``tool``
    messages appear nowhere else. It normally ends with the assistant's answer; it may end with
    tool results (a turn stopped at the tool-round cap), never with unanswered calls.
    """
    if not messages:
        return "a turn needs at least one message"
    if messages[0].role != "user":
        return f"a turn starts with the user's message, not a {messages[0].role!r} message"
    pending: set[str] = set()
    for index, message in enumerate(messages):
        if message.role not in ("user", "assistant", "tool"):
            return f"message {index} has an unknown role {message.role!r}"
        if message.role == "tool":
            if message.tool_call_id not in pending:
                return (
                    f"message {index} is a tool result for {message.tool_call_id!r}, which no "
                    "unanswered tool call of the assistant message before it asked for"
                )
            pending.discard(message.tool_call_id)
            continue
        if pending:
            return (
                f"message {index} comes before the tool call(s) {', '.join(sorted(pending))} "
                "were answered"
            )
        if message.tool_calls:
            if message.role != "assistant":
                return f"message {index}: only assistant messages carry tool calls"
            ids = [call.id for call in message.tool_calls]
            if len(set(ids)) != len(ids):
                return f"message {index} has two tool calls with the same id"
            pending = set(ids)
        if index and message.role == "user":
            return f"message {index}: a turn holds one user message, at its start"
    if pending:
        return f"the tool call(s) {', '.join(sorted(pending))} at the end were never answered"
    return None
