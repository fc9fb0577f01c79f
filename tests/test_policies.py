"""The memory policies, on generated conversations: never split a tool call, never exceed a limit."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gptkit.memory import policies, tokens
from gptkit.memory.backends import open_store
from gptkit.messages import Message, ToolCall

TEXT = st.text(alphabet="abc xyz.,é😀", max_size=60)


@st.composite
def turns(draw: st.DrawFn) -> list[Message]:
    """One valid turn: user, 0-3 rounds of (assistant with 1-3 calls, their results in any
    order), then the answer (or, now and then, no answer: a turn stopped at the round cap)."""
    turn = [Message("user", draw(TEXT))]
    rounds = draw(st.integers(0, 3))
    for r in range(rounds):
        n = draw(st.integers(1, 3))
        ids = [f"c{draw(st.integers(0, 10**9))}_{r}_{k}" for k in range(n)]
        turn.append(Message("assistant", draw(TEXT), tuple(ToolCall(i, "f", "{}") for i in ids)))
        for i in draw(st.permutations(ids)):
            turn.append(Message("tool", draw(TEXT), tool_call_id=i, name="f"))
    if rounds == 0 or draw(st.integers(0, 9)) > 0:
        turn.append(Message("assistant", draw(TEXT)))
    return turn


conversations = st.lists(turns(), max_size=8)


def flat(history: list[list[Message]]) -> list[Message]:
    return [m for turn in history for m in turn]


def assert_valid_tail(messages: list[Message], selected: list[Message]) -> None:
    """A tail of ``messages`` that keeps every tool call with its results."""
    assert selected == messages[len(messages) - len(selected) :]
    if selected:
        assert selected[0].role != "tool"
    asked = {c.id for m in selected for c in m.tool_calls}
    answered = {m.tool_call_id for m in selected if m.role == "tool"}
    assert asked == answered


def assert_best_start(messages: list[Message], selected: list[Message], earliest: int) -> None:
    """The start is the first user message allowed, else the first non-tool one."""
    allowed = messages[max(earliest, 0) :]
    if any(m.role == "user" for m in allowed):
        assert selected and selected[0].role == "user"
        assert not any(m.role == "user" for m in allowed[: len(allowed) - len(selected)])
    elif any(m.role != "tool" for m in allowed):
        assert selected and not any(
            m.role != "tool" for m in allowed[: len(allowed) - len(selected)]
        )
    else:
        assert selected == []


@given(conversations, st.integers(0, 40))
def test_window_never_splits_and_never_exceeds(history: list[list[Message]], n: int) -> None:
    messages = flat(history)
    selected = policies.window(messages, n)
    assert len(selected) <= n
    assert_valid_tail(messages, selected)
    assert_best_start(messages, selected, len(messages) - n)


@given(conversations, st.integers(0, 400))
def test_tokens_never_splits_and_never_exceeds(history: list[list[Message]], limit: int) -> None:
    messages = flat(history)
    selected = policies.fit_tokens(messages, limit)
    assert sum(tokens.count_message(m) for m in selected) <= limit
    assert_valid_tail(messages, selected)
    counts = [tokens.count_message(m) for m in messages]
    assert_best_start(messages, selected, policies.earliest_for_tokens(counts, limit))


@given(conversations, st.integers(0, 30), st.integers(0, 300))
def test_both_limits_together(history: list[list[Message]], n: int, limit: int) -> None:
    messages = flat(history)
    selected = policies.select(messages, max_messages=n, max_tokens=limit)
    assert len(selected) <= n
    assert sum(tokens.count_message(m) for m in selected) <= limit
    assert_valid_tail(messages, selected)
    # never more than either policy alone
    assert len(selected) <= len(policies.window(messages, n))
    assert len(selected) <= len(policies.fit_tokens(messages, limit))


@given(conversations, st.integers(0, 20))
def test_a_summary_split_keeps_a_valid_tail(history: list[list[Message]], keep: int) -> None:
    messages = flat(history)
    folded, kept = policies.split_for_summary(messages, keep_messages=keep)
    assert folded + kept == messages
    assert_valid_tail(messages, kept)


@given(turns())
def test_generated_turns_are_well_formed(turn: list[Message]) -> None:
    assert policies.turn_problem(turn) is None


@given(turns(), st.data())
def test_a_turn_missing_a_tool_result_is_malformed(
    turn: list[Message], data: st.DataObject
) -> None:
    results = [i for i, m in enumerate(turn) if m.role == "tool"]
    if not results:
        return
    drop = data.draw(st.sampled_from(results))
    assert policies.turn_problem(turn[:drop] + turn[drop + 1 :]) is not None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations, st.integers(0, 25), st.integers(0, 300))
def test_the_store_selects_what_the_policy_selects(
    history: list[list[Message]], n: int, limit: int
) -> None:
    """The database path (index lookups, running token totals) agrees with the pure functions."""
    with open_store("sqlite:///:memory:", project_root=Path.cwd()) as store:
        store.ensure_session("a", "s")
        for turn in history:
            store.append_turn("s", turn)
        messages = store.messages("s")
        assert messages == flat(history)
        assert store.recent("s", max_messages=n) == policies.window(messages, n)
        assert store.recent("s", max_tokens=limit) == policies.fit_tokens(messages, limit)
        assert store.recent("s", max_messages=n, max_tokens=limit) == policies.select(
            messages, max_messages=n, max_tokens=limit
        )
