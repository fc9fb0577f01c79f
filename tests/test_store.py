"""The memory store, on SQLite and on PostgreSQL: one suite, both backends.

PostgreSQL runs when a server answers at ``$GPTKIT_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``; ``.ci/ensure-postgres`` starts one); each test gets
a schema of its own, dropped afterwards. Without a server those tests are skipped, saying so.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pg_server import PG_URL, postgres_unavailable

from gptkit.errors import StoreError
from gptkit.memory import policies, tokens
from gptkit.memory.backends import open_store
from gptkit.memory.ids import check_session_id, is_session_id, new_session_id
from gptkit.memory.redact import Redactor, luhn_ok
from gptkit.memory.sqlite import SQLiteStore
from gptkit.memory.store import Store, default_home
from gptkit.messages import Message, ToolCall, Usage


class Backend:
    """One backend's database for a test: open stores on it, read its raw rows."""

    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.schema = ""
        if name == "sqlite":
            self.url = "sqlite:///memory.db"
            self.path = self.project / "memory.db"
        else:
            import psycopg

            self.schema = f"gptkit_test_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.schema}"')
            self.url = f"{PG_URL}?options=-csearch_path%3D{self.schema}"

    def open(self, **kwargs: Any) -> Store:
        return open_store(self.url, project_root=self.project, **kwargs)

    def raw(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run SQL on the database directly (``?`` placeholders), committing."""
        if self.name == "sqlite":
            conn = sqlite3.connect(self.path)
            try:
                with conn:
                    return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(sql.replace("?", "%s"), params or None)
            return cur.fetchall() if cur.description else []

    def drop(self) -> None:
        if self.schema:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "postgres":
        reason = postgres_unavailable()
        if reason:
            pytest.skip(reason)
    b = Backend(request.param, tmp_path)
    try:
        yield b
    finally:
        b.drop()


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    s = backend.open()
    try:
        yield s
    finally:
        s.close()


def plain_turn(i: int, text: str = "") -> list[Message]:
    return [
        Message("user", text or f"question {i}"),
        Message("assistant", f"answer {i}", usage=Usage(10, 5)),
    ]


def tool_turn(i: int, calls: int = 1) -> list[Message]:
    ids = [f"call_{i}_{k}" for k in range(calls)]
    return [
        Message("user", f"question {i}"),
        Message(
            "assistant",
            "",
            tuple(ToolCall(cid, "lookup", f'{{"q": {i}}}') for cid in ids),
            usage=Usage(20, 3),
        ),
        *[Message("tool", f"result {cid}", tool_call_id=cid, name="lookup") for cid in ids],
        Message("assistant", f"answer {i}"),
    ]


def history(store: Store, sid: str = "s1", turns: int = 10) -> list[Message]:
    store.ensure_session("helper", sid, "ana")
    for i in range(turns):
        store.append_turn(sid, tool_turn(i, calls=1 + i % 3) if i % 2 else plain_turn(i))
    return store.messages(sid)


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


def test_ensure_session_creates_once_and_returns_the_same(store: Store) -> None:
    first = store.ensure_session("helper", "s1", "ana")
    assert (first.id, first.assistant, first.user, first.message_count) == (
        "s1",
        "helper",
        "ana",
        0,
    )
    assert first.created_at.tzinfo is not None
    again = store.ensure_session("helper", "s1", "ana")
    assert again == first
    assert store.ensure_session("helper", "s1", None) == first  # no user given: any matches


def test_a_session_belongs_to_one_assistant_and_one_user(store: Store) -> None:
    store.ensure_session("helper", "s1", "ana")
    with pytest.raises(StoreError, match="belongs to the assistant 'helper'"):
        store.ensure_session("other", "s1", "ana")
    with pytest.raises(StoreError, match="belongs to another user"):
        store.ensure_session("helper", "s1", "bob")


def test_get_list_and_delete_sessions(store: Store) -> None:
    assert store.get_session("nope") is None
    store.ensure_session("helper", "s1", "ana")
    store.ensure_session("helper", "s2")
    store.ensure_session("other", "s3", "bob")
    store.append_turn("s1", plain_turn(0))  # s1 becomes the most recently updated
    assert [s.id for s in store.list_sessions()] == ["s1", "s3", "s2"]
    assert [s.id for s in store.list_sessions("helper")] == ["s1", "s2"]
    assert store.list_sessions("nobody") == []
    info = store.get_session("s1")
    assert info is not None and info.message_count == 2 and info.updated_at >= info.created_at
    assert store.get_session("s2").user is None  # type: ignore[union-attr]
    store.set_summary("s1", "they said hello", 2)
    assert store.delete_session("s1") is True
    assert store.delete_session("s1") is False
    assert store.get_session("s1") is None
    assert store.messages("s1") == [] and store.summary("s1") is None


def test_a_deleted_session_id_starts_afresh(store: Store) -> None:
    history(store, "s1", turns=3)
    store.delete_session("s1")
    store.ensure_session("helper", "s1", "ana")
    store.append_turn("s1", plain_turn(9))
    assert [m.content for m in store.messages("s1")] == ["question 9", "answer 9"]
    assert store.integrity_check() == []


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def test_messages_round_trip_with_every_field(store: Store) -> None:
    store.ensure_session("helper", "s1", "ana")
    turn = [
        Message("user", "Wie ist das Wetter? ☀️ \"quotes\" 'and' \\ backslash"),
        Message(
            "assistant",
            "let me look",
            (ToolCall("c1", "weather", '{"city": "Porto"}'), ToolCall("c2", "time", "{}")),
            usage=Usage(100, 7),
        ),
        Message("tool", '{"temp": 21}', tool_call_id="c2", name="time"),
        Message("tool", "sunny", tool_call_id="c1", name="weather"),
        Message("assistant", "Sunny, 21 °C.", usage=Usage(130, 9)),
    ]
    store.append_turn("s1", turn)
    got = store.messages("s1")
    assert got == turn
    assert [m.usage for m in got] == [m.usage for m in turn]
    assert store.count("s1") == 5 and store.count("unknown") == 0


def test_turns_get_consecutive_sequence_numbers(store: Store, backend: Backend) -> None:
    history(store, "s1", turns=6)
    history(store, "s2", turns=2)
    seqs = [
        r[0]
        for r in backend.raw("SELECT seq FROM gptkit_messages WHERE session_id = 's1' ORDER BY seq")
    ]
    assert seqs == list(range(1, len(seqs) + 1))
    assert store.count("s1") == len(seqs)
    assert store.messages_after("s1", 3) == store.messages("s1")[3:]
    assert store.messages_between("s1", 2, 5) == store.messages("s1")[2:5]
    assert store.integrity_check() == []


@pytest.mark.parametrize(
    ("turn", "problem"),
    [
        ([], "at least one message"),
        ([Message("assistant", "hi")], "starts with the user's message"),
        (
            [Message("user", "q"), Message("assistant", "", (ToolCall("c1", "f", "{}"),))],
            "never answered",
        ),
        (
            [Message("user", "q"), Message("tool", "r", tool_call_id="c1")],
            "no unanswered tool call",
        ),
        (
            [
                Message("user", "q"),
                Message("assistant", "", (ToolCall("c1", "f", "{}"), ToolCall("c2", "f", "{}"))),
                Message("tool", "r", tool_call_id="c1"),
                Message("assistant", "done"),
            ],
            "before the tool call",
        ),
        ([Message("user", "q"), Message("user", "again")], "one user message"),
    ],
)
def test_a_malformed_turn_is_refused_and_nothing_is_stored(
    store: Store, turn: list[Message], problem: str
) -> None:
    store.ensure_session("helper", "s1")
    store.append_turn("s1", plain_turn(0))
    with pytest.raises(StoreError, match=problem):
        store.append_turn("s1", turn)
    assert store.count("s1") == 2


def test_append_turns_is_all_or_nothing(store: Store) -> None:
    store.ensure_session("helper", "s1")
    with pytest.raises(StoreError):
        store.append_turns("s1", [plain_turn(0), plain_turn(1), [Message("tool", "x")]])
    assert store.count("s1") == 0
    store.append_turns("s1", [plain_turn(0), tool_turn(1)])
    assert store.count("s1") == 2 + 4


def test_appending_to_a_missing_session_fails_clearly(store: Store) -> None:
    with pytest.raises(StoreError, match="no session 'ghost'"):
        store.append_turn("ghost", plain_turn(0))


def test_text_a_database_cannot_hold_is_replaced_the_same_on_both(store: Store) -> None:
    store.ensure_session("helper", "s1")
    store.append_turn(
        "s1", [Message("user", "nul\x00byte and \udce9 surrogate"), Message("assistant", "ok")]
    )
    assert store.messages("s1")[0].content == "nul\ufffdbyte and \ufffd surrogate"


# --------------------------------------------------------------------------------------------
# recent: the window and tokens policies in the database
# --------------------------------------------------------------------------------------------


def _no_split(selected: list[Message]) -> None:
    assert not selected or selected[0].role != "tool"
    asked = {c.id for m in selected for c in m.tool_calls}
    answered = {m.tool_call_id for m in selected if m.role == "tool"}
    assert asked == answered


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 10, 20, 1000])
def test_recent_window_matches_the_policy(store: Store, n: int) -> None:
    everything = history(store, turns=12)
    got = store.recent("s1", max_messages=n)
    assert got == policies.window(everything, n)
    assert len(got) <= n
    _no_split(got)
    if n >= len(everything):
        assert got == everything


def test_recent_window_prefers_to_start_at_the_user(store: Store) -> None:
    store.ensure_session("helper", "s1")
    store.append_turn("s1", tool_turn(0, calls=2))  # user, assistant+2 calls, tool, tool, answer
    store.append_turn("s1", plain_turn(1))
    got = store.recent("s1", max_messages=4)  # last 4 would start at a tool result
    assert [m.role for m in got] == ["user", "assistant"]
    got = store.recent("s1", max_messages=2)
    assert [m.content for m in got] == ["question 1", "answer 1"]


def test_recent_window_keeps_a_long_turn_whole_from_a_valid_start(store: Store) -> None:
    store.ensure_session("helper", "s1")
    store.append_turn("s1", tool_turn(0, calls=6))  # 9 messages, one user message
    got = store.recent("s1", max_messages=5)
    assert [m.role for m in got] == [
        "assistant"
    ]  # the tool results' caller is cut: only the answer
    got = store.recent("s1", max_messages=8)
    assert [m.role for m in got] == ["assistant"] + ["tool"] * 6 + ["assistant"]


@pytest.mark.parametrize("limit", [0, 5, 10, 30, 60, 100, 250, 10_000])
def test_recent_tokens_matches_the_policy_and_never_exceeds(store: Store, limit: int) -> None:
    everything = history(store, turns=12)
    counts = [tokens.count_message(m) for m in everything]
    got = store.recent("s1", max_tokens=limit)
    assert got == policies.select(everything, max_tokens=limit, counts=counts)
    assert sum(tokens.count_message(m) for m in got) <= limit
    _no_split(got)


def test_recent_tokens_is_empty_when_the_newest_message_alone_is_too_big(store: Store) -> None:
    store.ensure_session("helper", "s1")
    store.append_turn("s1", [Message("user", "hi"), Message("assistant", "x" * 4000)])
    assert store.recent("s1", max_tokens=100) == []
    assert len(store.recent("s1", max_tokens=5000)) == 2


def test_recent_with_both_limits_and_after_a_summary(store: Store) -> None:
    everything = history(store, turns=12)
    counts = [tokens.count_message(m) for m in everything]
    got = store.recent("s1", max_messages=10, max_tokens=80)
    assert got == policies.select(everything, max_messages=10, max_tokens=80, counts=counts)
    after = store.recent("s1", after_seq=len(everything) - 3)
    assert after == policies.select(everything[-3:])
    assert store.recent("s1", after_seq=len(everything)) == []
    assert store.recent("unknown", max_messages=5) == []
    with pytest.raises(StoreError, match="max_messages"):
        store.recent("s1", max_messages=-1)


# --------------------------------------------------------------------------------------------
# Facts and summaries
# --------------------------------------------------------------------------------------------


def test_facts_are_remembered_once_per_assistant_and_user(store: Store) -> None:
    assert store.facts("helper", "ana") == []
    assert store.remember("helper", "ana", "Prefers tea") == "remembered: Prefers tea"
    assert store.remember("helper", "ana", "  prefers   TEA ") == "already remembered: Prefers tea"
    store.remember("helper", "ana", "Lives in Porto")
    store.remember("helper", "bob", "Prefers tea")
    store.remember("other", "ana", "Is vegetarian")
    assert [f.text for f in store.facts("helper", "ana")] == ["Prefers tea", "Lives in Porto"]
    assert [f.text for f in store.facts("helper", "bob")] == ["Prefers tea"]
    assert [f.text for f in store.facts("other", "ana")] == ["Is vegetarian"]


def test_forget_by_id_or_by_text(store: Store) -> None:
    store.remember("helper", "ana", "Prefers tea")
    store.remember("helper", "ana", "Lives in Porto")
    tea, porto = store.facts("helper", "ana")
    assert store.forget("helper", "bob", tea.id) is False  # another user's fact is out of reach
    assert store.forget("helper", "ana", tea.id) is True
    assert store.forget("helper", "ana", tea.id) is False
    assert store.forget("helper", "ana", "LIVES IN  porto") is True
    assert store.forget("helper", "ana", "never said") is False
    assert store.forget("helper", "ana", "") is False
    assert store.facts("helper", "ana") == []
    store.remember("helper", "ana", "Prefers tea")
    assert store.facts("helper", "ana")[0].id != tea.id  # ids are never reused


def test_bad_facts_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="empty"):
        store.remember("helper", "ana", "   ")
    with pytest.raises(StoreError, match="at most 1000 characters"):
        store.remember("helper", "ana", "x" * 1001)
    with pytest.raises(StoreError, match="user id"):
        store.remember("helper", "", "fact")


def test_summaries(store: Store) -> None:
    history(store, turns=3)
    assert store.summary("s1") is None
    store.set_summary("s1", "Ana asked three questions.", 4)
    s = store.summary("s1")
    assert s is not None and (s.text, s.through_seq) == ("Ana asked three questions.", 4)
    store.set_summary("s1", "Newer summary.", 6)
    assert store.summary("s1").through_seq == 6  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="between 0 and"):
        store.set_summary("s1", "too far", 999)
    with pytest.raises(StoreError, match="no session"):
        store.set_summary("ghost", "x", 0)


# --------------------------------------------------------------------------------------------
# Purge, integrity, schema
# --------------------------------------------------------------------------------------------


def test_purge_deletes_old_sessions_with_their_messages_and_summary(
    store: Store, backend: Backend
) -> None:
    for sid in ("old1", "old2", "fresh"):
        history(store, sid, turns=2)
        store.set_summary(sid, "summary", 2)
    history(store, "other-assistant", turns=1)
    backend.raw(
        "UPDATE gptkit_sessions SET updated_at = ? WHERE id IN ('old1', 'old2', 'other-assistant')",
        (time.time() - 40 * 86400,),
    )
    backend.raw("UPDATE gptkit_sessions SET assistant = 'other' WHERE id = 'other-assistant'")
    store.remember("helper", "ana", "Prefers tea")
    assert store.purge("helper", 30) == 2
    assert {s.id for s in store.list_sessions()} == {"fresh", "other-assistant"}
    assert backend.raw("SELECT count(*) FROM gptkit_messages WHERE session_id LIKE 'old%'") == [
        (0,)
    ]
    assert backend.raw("SELECT count(*) FROM gptkit_summaries WHERE session_id LIKE 'old%'") == [
        (0,)
    ]
    assert store.facts("helper", "ana") != []  # facts are per user, not per session
    assert store.purge("helper", 30) == 0
    assert store.integrity_check() == []
    with pytest.raises(StoreError, match="positive"):
        store.purge("helper", 0)


def test_integrity_check_finds_a_gap(store: Store, backend: Backend) -> None:
    history(store, turns=4)
    assert store.integrity_check() == []
    backend.raw("DELETE FROM gptkit_messages WHERE session_id = 's1' AND seq = 3")
    problems = store.integrity_check()
    assert any("gap" in p for p in problems), problems


def test_the_store_survives_reopening(store: Store, backend: Backend) -> None:
    everything = history(store, turns=3)
    store.remember("helper", "ana", "Prefers tea")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count("s1")
    with backend.open() as again:
        assert again.messages("s1") == everything
        assert again.schema_version == 1
        assert [f.text for f in again.facts("helper", "ana")] == ["Prefers tea"]


def test_a_later_migration_runs_once_on_open(backend: Backend) -> None:
    first = backend.open()
    first.close()
    base = type(first)
    base_migrations = dict(base.MIGRATIONS)

    class Next(base):  # type: ignore[valid-type,misc]
        MIGRATIONS = {**base_migrations, 2: ("ALTER TABLE gptkit_sessions ADD COLUMN title TEXT",)}

    if backend.name == "sqlite":
        nxt = Next(backend.path)
    else:
        nxt = Next(backend.url)
    with nxt:
        assert nxt.schema_version == 2
        nxt.ensure_session("helper", "s1")
    assert ("title",) in [
        (r[0],)
        for r in (
            backend.raw("SELECT name FROM pragma_table_info('gptkit_sessions')")
            if backend.name == "sqlite"
            else backend.raw(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = 'gptkit_sessions'",
                (backend.schema,),
            )
        )
    ]
    # an older gptkit refuses a newer database instead of corrupting it
    with pytest.raises(StoreError, match="newer than this gptkit understands"):
        backend.open()


# --------------------------------------------------------------------------------------------
# Redaction: secrets never reach the database
# --------------------------------------------------------------------------------------------

SECRETS = (
    "ana.silva@example.com",
    "+351 912 345 678",
    "4111 1111 1111 1111",
    "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789",
    "ORD-123456",
    "literal-key-value-42",
)


def _all_text(backend: Backend) -> str:
    parts = []
    for table, cols in (
        ("gptkit_messages", "content, tool_calls, tool_call_id, name"),
        ("gptkit_facts", "text, norm"),
        ("gptkit_summaries", "text"),
        ("gptkit_sessions", "id, assistant, user_id"),
    ):
        for row in backend.raw(f"SELECT {cols} FROM {table}"):
            parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_redacted_text_never_reaches_the_store(backend: Backend) -> None:
    redactor = Redactor(
        ["email", "phone", "credit_card", "api_key", {"pattern": r"ORD-\d{6}", "replace": "ORD-*"}],
        literals=["literal-key-value-42"],
    )
    secret_text = " / ".join(SECRETS)
    with backend.open(redactor=redactor) as store:
        store.ensure_session("helper", "s1", "ana")
        store.append_turn(
            "s1",
            [
                Message("user", f"my data: {secret_text}"),
                Message(
                    "assistant",
                    f"noted {SECRETS[0]}",
                    (ToolCall("c1", "save", f'{{"note": "{secret_text}"}}'),),
                ),
                Message("tool", f"saved {secret_text}", tool_call_id="c1", name="save"),
                Message("assistant", f"Saved: {secret_text}"),
            ],
        )
        assert (
            store.remember("helper", "ana", f"email is {SECRETS[0]}")
            == "remembered: email is [email]"
        )
        store.set_summary("s1", f"Ana gave {secret_text}", 4)
        stored = store.messages("s1")
        assert stored[1].tool_calls[0].arguments.startswith('{"note": "my data') is False
        import json

        assert json.loads(stored[1].tool_calls[0].arguments)["note"].startswith("[email]")
        assert store.forget("helper", "ana", f"email is {SECRETS[0]}") is True  # redacted alike
    raw = _all_text(backend)
    for secret in SECRETS:
        assert secret not in raw
    for marker in ("[email]", "[phone]", "[credit card]", "[api key]", "ORD-*", "***"):
        assert marker in raw


# --------------------------------------------------------------------------------------------
# Bad ids and paths
# --------------------------------------------------------------------------------------------

BAD_IDS = ["", "../etc", "a/b", "a..b", ".hidden", "-x", "x" * 65, "a b", "é", "a\nb", None, 7]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_session_ids_are_refused_everywhere(store: Store, bad: Any) -> None:
    for call in (
        lambda: store.ensure_session("helper", bad),
        lambda: store.get_session(bad),
        lambda: store.append_turn(bad, plain_turn(0)),
        lambda: store.recent(bad, max_messages=3),
        lambda: store.messages(bad),
        lambda: store.delete_session(bad),
        lambda: store.set_summary(bad, "x", 0),
    ):
        with pytest.raises(StoreError, match="invalid session id"):
            call()


def test_session_ids() -> None:
    ids = {new_session_id() for _ in range(200)}
    assert len(ids) == 200 and all(is_session_id(i) for i in ids)
    for good in ("a", "2024-06-01.trip_2", "A" * 64):
        assert check_session_id(good) == good
    assert not any(is_session_id(b) for b in BAD_IDS)


def test_default_store_is_in_the_gptkit_home_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home" / "gptkit"
    with open_store(None, project_root=tmp_path, home=home) as store:
        assert store.description == str(home / "gptkit.db")
        store.ensure_session("helper", "s1")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "gptkit.db").stat().st_mode) == 0o600
    # without `home`, the environment decides (conftest points GPTKIT_HOME at tmp_path)
    with open_store(None, project_root=tmp_path) as store:
        assert store.description == str(Path(os.environ["GPTKIT_HOME"]) / "gptkit.db")


def test_default_home_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GPTKIT_HOME", str(tmp_path / "g"))
    assert default_home() == tmp_path / "g"
    monkeypatch.delenv("GPTKIT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "gptkit"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert default_home() == tmp_path / "me" / ".local" / "share" / "gptkit"


def test_relative_sqlite_paths_stay_inside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    with open_store("sqlite:///.data/deep/m.db", project_root=project) as store:
        assert Path(store.description) == (project / ".data/deep/m.db").resolve()
    with open_store("sqlite:///a/../inside.db", project_root=project):
        pass


OUTSIDE = r"points outside the project \(.*\) and the gptkit home"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///../outside.db", OUTSIDE),
        ("sqlite:///a/../../outside.db", OUTSIDE),
        ("sqlite:///link/m.db", OUTSIDE),  # symlink to a folder outside
        ("sqlite:///linkfile.db", OUTSIDE),  # symlink to a file outside
        ("sqlite:////etc/gptkit.db", OUTSIDE),
        ("sqlite:////proc/self/environ", OUTSIDE),
        ("sqlite:///~/m.db", "'~' is not expanded"),
        ("sqlite:///", "give a file path"),
        ("sqlite:///m.db?mode=ro", "no query"),
        ("sqlite:///.", "is a folder"),
        ("sqlite:///folder", "is a folder"),
        ("sqlite://host/m.db", "not supported"),
        ("mysql://u:pw@h/db", "not supported"),
        ("", "not supported"),
    ],
)
def test_bad_store_urls_are_refused(tmp_path: Path, url: str, message: str) -> None:
    project = tmp_path / "project"
    (project / "folder").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.db").touch()
    (project / "link").symlink_to(outside)
    (project / "linkfile.db").symlink_to(outside / "x.db")
    with pytest.raises(StoreError, match=message) as info:
        open_store(url, project_root=project, home=tmp_path / "home")
    assert "pw" not in str(info.value)


def test_absolute_paths_inside_the_home_are_allowed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(f"sqlite:///{home}/team/m.db", project_root=tmp_path, home=home) as store:
        assert Path(store.description) == (home / "team" / "m.db").resolve()


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a usable gptkit memory store"):
        open_store("sqlite:///notes.db", project_root=tmp_path)


def test_postgres_connection_errors_name_the_server_not_the_password() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError) as info:
        open_store("postgresql://bob:hunter2-secret@127.0.0.1:1/db", project_root=Path.cwd())
    text = str(info.value)
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in text and "'bob'" in text
    assert "hunter2" not in text
    with pytest.raises(StoreError, match="not a valid PostgreSQL URL") as info:
        open_store("postgresql://bob:hunter2-secret@[bad/db?x", project_root=Path.cwd())
    assert "hunter2" not in str(info.value)


def test_busy_timeout_and_wal_are_on(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "m.db") as store:
        conn = store._conn  # noqa: SLF001 - the settings are the point
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        # NORMAL (1): a commit survives the process, not a power cut (see gptkit.memory.sqlite)
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    with SQLiteStore(tmp_path / "full.db", synchronous="FULL") as store:
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # noqa: SLF001


def test_memory_urls_give_a_private_store(tmp_path: Path) -> None:
    with open_store("sqlite:///:memory:", project_root=tmp_path) as store:
        history(store, turns=2)
        assert store.count("s1") == 2 + 5


# --------------------------------------------------------------------------------------------
# Redactor and token counts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ("email", "write to ana.silva+x@mail.example.org.", "write to [email]."),
        ("phone", "call +1 415-555-0132 today", "call [phone] today"),
        ("phone", "or (020) 7946 0958", "or [phone]"),
        ("phone", "06 12 34 56 78", "[phone]"),
        ("phone", "on 2024-06-01 at 192.168.100.200, v1.2.3, 1 234 567 €", None),
        ("phone", "order 12345678 and scores 10 20 30", None),
        ("credit_card", "card 4111-1111-1111-1111 ok", "card [credit card] ok"),
        ("credit_card", "not a card 4111 1111 1111 1112", None),
        ("api_key", "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "key [api key]"),
        ("api_key", "ghp_" + "a" * 36 + " and AKIAABCDEFGHIJKLMNOP", "[api key] and [api key]"),
        (
            "api_key",
            "Authorization: Bearer abc.def-ghi_jkl/mno+pqr=",
            "Authorization: Bearer [api key]",
        ),
        ("api_key", "the word skeleton and sk-short", None),
    ],
)
def test_builtin_redaction(rule: str, text: str, expected: str | None) -> None:
    assert Redactor([rule])(text) == (text if expected is None else expected)


def test_custom_rules_literals_and_json() -> None:
    from gptkit.config.models import RedactRule

    r = Redactor(
        [RedactRule(pattern=r"ACME-\d+", replace=r"ACME-\1"), {"pattern": "secret"}],
        literals=["k3y-VALUE", "ab"],
    )
    assert r("ACME-42 secret k3y-VALUE ab") == r"ACME-\1 [redacted] *** ab"  # replace is literal
    assert r.json_text('{"a": "k3y-VALUE\\"x", "secret": 1}') == '{"a": "***\\"x", "[redacted]": 1}'
    assert r.json_text("not json k3y-VALUE") == "not json ***"
    assert not Redactor() and Redactor()("x@y.com") == "x@y.com"
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    with pytest.raises(StoreError, match="unknown built-in pattern 'emails'"):
        Redactor(["emails"])
    with pytest.raises(StoreError, match="not a valid regular expression"):
        Redactor([{"pattern": "(unclosed"}])


def test_token_counts_fall_back_without_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    tokens._reset()  # noqa: SLF001
    try:
        start = time.monotonic()
        assert tokens.backend() == "approximate"
        assert time.monotonic() - start < 5  # no download attempted
        note = tokens.take_notice()
        assert note and "approximate" in note
        assert tokens.take_notice() is None  # once
        assert tokens.count_text("a" * 9) == 3
        assert tokens.count_message(Message("user", "")) == tokens.MESSAGE_OVERHEAD
        call = Message("assistant", "", (ToolCall("c", "f", "{}"),))
        assert tokens.count_message(call) > tokens.MESSAGE_OVERHEAD
    finally:
        tokens._reset()  # noqa: SLF001


def test_token_counts_can_be_forced_approximate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPTKIT_TOKENIZER", "approximate")
    tokens._reset()  # noqa: SLF001
    try:
        assert tokens.backend() == "approximate"
        assert "GPTKIT_TOKENIZER" in (tokens.notice() or "")
    finally:
        tokens._reset()  # noqa: SLF001


def test_a_write_the_database_fails_leaves_nothing_and_the_store_recovers(
    backend: Backend,
) -> None:
    """PostgreSQL: the server drops the connection, the store reconnects. SQLite: another
    process holds the write lock past the busy timeout, then lets go. Either way the failed turn
    is absent and the next one is stored, numbered on without a gap."""
    if backend.name == "postgres":
        store = backend.open()
        history(store, turns=2)
        pid = store._conn.info.backend_pid  # type: ignore[attr-defined]  # noqa: SLF001
        backend.raw("SELECT pg_terminate_backend(?)", (pid,))
        failure = r"lost the connection to PostgreSQL at 127\.0\.0\.1:5432"
        blocker = None
    else:
        store = SQLiteStore(backend.path, busy_timeout=0.05)
        history(store, turns=2)
        blocker = sqlite3.connect(backend.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process writing, for longer than 0.05 s
        failure = r"stayed locked by another process for more than 0\.05 s"
    with store:
        with pytest.raises(StoreError, match=failure):
            store.append_turn("s1", plain_turn(7))
        if blocker is not None:
            blocker.execute("ROLLBACK")
            blocker.close()
        store.append_turn("s1", plain_turn(7))
        assert [m.content for m in store.messages("s1")[-2:]] == ["question 7", "answer 7"]
        assert store.count("s1") == 2 + 5 + 2
        assert store.integrity_check() == []


def test_one_store_shared_by_threads(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.ensure_session("helper", "s1")

    def write(i: int) -> None:
        for j in range(10):
            store.append_turn("s1", plain_turn(i * 100 + j))
            store.recent("s1", max_messages=4)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    assert store.count("s1") == 80
    assert store.integrity_check() == []


class Recording:
    """A cursor that notes every statement the store runs through it."""

    def __init__(self, cursor: Any, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        self._cursor, self._statements = cursor, statements

    def one(self, sql: str, params: Any = ()) -> Any:
        self._statements.append((sql, tuple(params)))
        return self._cursor.one(sql, params)

    def all(self, sql: str, params: Any = ()) -> Any:
        self._statements.append((sql, tuple(params)))
        return self._cursor.all(sql, params)


def statements_of(store: Store, action: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The SQL (and its parameters) that ``action()`` makes the store run."""
    statements: list[tuple[str, tuple[Any, ...]]] = []
    original = store._transaction  # type: ignore[attr-defined]  # noqa: SLF001

    @contextmanager
    def recording(write: bool) -> Iterator[Recording]:
        with original(write) as cur:
            yield Recording(cur, statements)

    store._transaction = recording  # type: ignore[attr-defined]  # noqa: SLF001
    try:
        action()
    finally:
        del store._transaction  # type: ignore[attr-defined]  # noqa: SLF001
    return statements


def test_recent_reads_through_the_indexes(store: Store, backend: Backend) -> None:
    """The plan, not a timing: every statement the window and token reads run finds its rows
    by index, never by scanning the session. The statements are the store's own, captured as it
    runs them, with their parameters."""
    history(store, turns=3)
    assert store.recent("s1", max_tokens=10)  # 10 is less than the session holds
    ran = statements_of(store, lambda: store.recent("s1", max_messages=4))
    ran += statements_of(store, lambda: store.recent("s1", max_tokens=10))
    ran += statements_of(store, lambda: store.recent("s1", max_messages=3, max_tokens=10, after_seq=2))
    assert any("tokens_before >=" in sql for sql, _ in ran), ran  # the token lookup ran
    assert sum("FROM gptkit_messages" in sql for sql, _ in ran) >= 4, ran
    for sql, params in ran:
        if backend.name == "sqlite":
            steps = [str(r[-1]) for r in backend.raw("EXPLAIN QUERY PLAN " + sql, params)]
            assert steps and all(step.startswith("SEARCH") for step in steps), (sql, steps)
        else:
            import psycopg

            with psycopg.connect(backend.url, autocommit=True) as conn:
                conn.execute("SET enable_seqscan = off")  # tiny tables: show the index it can use
                plan = " ".join(
                    r[0] for r in conn.execute("EXPLAIN " + sql.replace("?", "%s"), params)
                )
            assert "Index" in plan and "Seq Scan" not in plan, (sql, plan)
