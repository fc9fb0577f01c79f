"""The SQL both backends share: one implementation of :class:`~gptkit.memory.store.Store`.

:mod:`gptkit.memory.sqlite` and :mod:`gptkit.memory.postgres` supply a connection, a cursor and
the table definitions; everything else (turn writes, the window and token queries, facts,
summaries, purge, integrity) is written once here, so the two behave the same.
"""

from __future__ import annotations

import abc
import json
import re
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any, Protocol

from gptkit.errors import StoreError
from gptkit.memory import policies
from gptkit.memory import tokens as _tokens
from gptkit.memory.ids import check_name, check_session_id
from gptkit.memory.store import MAX_FACT_CHARS, MAX_FACTS, Fact, SessionInfo, Store, Summary
from gptkit.messages import Message, ToolCall, Usage


class Cursor(Protocol):
    """What a backend's transaction hands to :class:`SQLStore`; SQL uses ``?`` placeholders."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


_MESSAGE_COLUMNS = "seq, role, content, tool_calls, tool_call_id, name, usage, tokens"
_SESSION_COLUMNS = "id, assistant, user_id, created_at, updated_at, message_count"


class SQLStore(Store):
    """The store over a DB-API connection; a backend supplies transactions and its DDL.

    Subclasses set :attr:`MIGRATIONS` (version -> statements; version 1 creates the schema),
    :attr:`FOR_UPDATE` (the row-lock suffix of a SELECT) and implement :meth:`_transaction`.
    """

    MIGRATIONS: dict[int, tuple[str, ...]] = {}
    FOR_UPDATE = ""

    def __init__(self, redactor: Any = None) -> None:
        # a Redactor, or any str -> str callable (then JSON arguments are redacted as text)
        self._redactor = redactor if redactor else None
        self._redact_json = getattr(redactor, "json_text", redactor) if redactor else None
        self._lock = threading.RLock()
        self._version = 0

    # backend hooks ------------------------------------------------------------------------

    @abc.abstractmethod
    def _transaction(self, write: bool) -> AbstractContextManager[Cursor]:
        """A transaction: writes take the write lock at once (SQLite: BEGIN IMMEDIATE)."""

    def _migration_lock(self, cur: Cursor) -> None:
        """Serialise migrations between processes (SQLite's BEGIN IMMEDIATE already does)."""

    def _table_exists(self, cur: Cursor, name: str) -> bool:
        raise NotImplementedError

    def _extra_integrity_problems(self, cur: Cursor) -> list[str]:
        return []

    # schema -------------------------------------------------------------------------------

    @property
    def latest_version(self) -> int:
        return max(self.MIGRATIONS)

    @property
    def schema_version(self) -> int:
        return self._version

    def _migrate(self) -> None:
        """Bring the schema to :attr:`latest_version`, once, whoever else opens it now."""
        with self._transaction(write=False) as cur:
            current = self._read_version(cur)
        if current < self.latest_version:
            with self._transaction(write=True) as cur:
                self._migration_lock(cur)
                cur.run(
                    "CREATE TABLE IF NOT EXISTS gptkit_schema "
                    "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
                )
                current = self._read_version(cur)
                for version in range(current + 1, self.latest_version + 1):
                    for statement in self.MIGRATIONS[version]:
                        cur.run(statement)
                    cur.run(
                        "INSERT INTO gptkit_schema (version, applied_at) VALUES (?, ?)",
                        (version, time.time()),
                    )
                current = max(current, self.latest_version)
        if current > self.latest_version:
            raise StoreError(
                f"the memory store {self.description} has schema version {current}, newer than "
                f"this gptkit understands ({self.latest_version}); upgrade gptkit."
            )
        self._version = current

    def _read_version(self, cur: Cursor) -> int:
        if not self._table_exists(cur, "gptkit_schema"):
            return 0
        row = cur.one("SELECT max(version) FROM gptkit_schema")
        return int(row[0]) if row and row[0] is not None else 0

    # writing helpers ----------------------------------------------------------------------

    def _text(self, text: str) -> str:
        """Clean and redact a text before it is written."""
        text = _clean(text)
        return self._redactor(text) if self._redactor else text

    def _prepare(self, message: Message) -> Message:
        """The message as it will be stored: cleaned and redacted."""
        calls = tuple(
            ToolCall(
                _clean(call.id),
                _clean(call.name),
                self._redact_json(_clean(call.arguments))
                if self._redact_json
                else _clean(call.arguments),
            )
            for call in message.tool_calls
        )
        return Message(
            role=message.role,
            content=self._text(message.content),
            tool_calls=calls,
            tool_call_id=None if message.tool_call_id is None else _clean(message.tool_call_id),
            name=None if message.name is None else _clean(message.name),
            usage=message.usage,
        )

    # sessions -----------------------------------------------------------------------------

    def ensure_session(
        self, assistant: str, session_id: str, user: str | None = None
    ) -> SessionInfo:
        check_session_id(session_id)
        check_name(assistant, "assistant name")
        if user is not None:
            check_name(user, "user id")
        now = time.time()
        with self._transaction(write=True) as cur:
            cur.run(
                "INSERT INTO gptkit_sessions (id, assistant, user_id, created_at, updated_at, "
                "message_count, last_seq, total_tokens) VALUES (?, ?, ?, ?, ?, 0, 0, 0) "
                "ON CONFLICT (id) DO NOTHING",
                (session_id, assistant, user, now, now),
            )
            row = cur.one(
                f"SELECT {_SESSION_COLUMNS} FROM gptkit_sessions WHERE id = ?", (session_id,)
            )
        assert row is not None
        info = _session(row)
        if info.assistant != assistant:
            raise StoreError(
                f"session {session_id!r} belongs to the assistant {info.assistant!r}, not "
                f"{assistant!r}; use another session id, or leave it out to start a new one."
            )
        if user is not None and info.user is not None and info.user != user:
            raise StoreError(
                f"session {session_id!r} belongs to another user; use another session id."
            )
        return info

    def get_session(self, session_id: str) -> SessionInfo | None:
        check_session_id(session_id)
        with self._transaction(write=False) as cur:
            row = cur.one(
                f"SELECT {_SESSION_COLUMNS} FROM gptkit_sessions WHERE id = ?", (session_id,)
            )
        return _session(row) if row else None

    def list_sessions(self, assistant: str | None = None) -> list[SessionInfo]:
        sql = f"SELECT {_SESSION_COLUMNS} FROM gptkit_sessions"
        params: tuple[Any, ...] = ()
        if assistant is not None:
            sql += " WHERE assistant = ?"
            params = (assistant,)
        with self._transaction(write=False) as cur:
            rows = cur.all(sql + " ORDER BY updated_at DESC, id", params)
        return [_session(row) for row in rows]

    def delete_session(self, session_id: str) -> bool:
        check_session_id(session_id)
        with self._transaction(write=True) as cur:
            return self._delete_sessions(cur, [session_id]) > 0

    def _delete_sessions(self, cur: Cursor, ids: Sequence[str]) -> int:
        deleted = 0
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            locked = cur.all(
                f"SELECT id FROM gptkit_sessions WHERE id IN ({marks}){self.FOR_UPDATE}", chunk
            )
            if not locked:
                continue
            chunk = [row[0] for row in locked]
            marks = ", ".join("?" * len(chunk))
            cur.run(f"DELETE FROM gptkit_messages WHERE session_id IN ({marks})", chunk)
            cur.run(f"DELETE FROM gptkit_summaries WHERE session_id IN ({marks})", chunk)
            deleted += cur.run(f"DELETE FROM gptkit_sessions WHERE id IN ({marks})", chunk)
        return deleted

    # messages -----------------------------------------------------------------------------

    def append_turns(self, session_id: str, turns: Iterable[Sequence[Message]]) -> None:
        check_session_id(session_id)
        prepared: list[Message] = []
        for turn in turns:
            problem = policies.turn_problem(turn)
            if problem:
                raise StoreError(f"cannot store this turn in session {session_id!r}: {problem}.")
            prepared.extend(self._prepare(m) for m in turn)
        if not prepared:
            return
        counts = [_tokens.count_message(m) for m in prepared]
        now = time.time()
        with self._transaction(write=True) as cur:
            row = cur.one(
                "SELECT last_seq, total_tokens, message_count FROM gptkit_sessions "
                f"WHERE id = ?{self.FOR_UPDATE}",
                (session_id,),
            )
            if row is None:
                raise StoreError(
                    f"there is no session {session_id!r} to add to (it may have been deleted)."
                )
            seq, total, message_count = (int(v) for v in row)
            rows = []
            for message, tokens in zip(prepared, counts, strict=True):
                seq += 1
                rows.append(
                    (
                        session_id,
                        seq,
                        message.role,
                        message.content,
                        json.dumps([c.to_dict() for c in message.tool_calls], ensure_ascii=False)
                        if message.tool_calls
                        else None,
                        message.tool_call_id,
                        message.name,
                        json.dumps(message.usage.to_dict()) if message.usage else None,
                        tokens,
                        total,
                        now,
                    )
                )
                total += tokens
            cur.many(
                "INSERT INTO gptkit_messages (session_id, seq, role, content, tool_calls, "
                "tool_call_id, name, usage, tokens, tokens_before, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            cur.run(
                "UPDATE gptkit_sessions SET last_seq = ?, total_tokens = ?, message_count = ?, "
                "updated_at = ? WHERE id = ?",
                (seq, total, message_count + len(rows), now, session_id),
            )

    def recent(
        self,
        session_id: str,
        *,
        max_messages: int | None = None,
        max_tokens: int | None = None,
        after_seq: int = 0,
    ) -> list[Message]:
        check_session_id(session_id)
        for name, value in (("max_messages", max_messages), ("max_tokens", max_tokens)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise StoreError(f"{name} must be a whole number of at least 0, got {value!r}.")
        with self._transaction(write=False) as cur:
            row = cur.one(
                "SELECT last_seq, total_tokens FROM gptkit_sessions WHERE id = ?", (session_id,)
            )
            if row is None:
                return []
            last, total = int(row[0]), int(row[1])
            low = max(after_seq, 0) + 1
            if max_messages is not None:
                low = max(low, last - max_messages + 1)
            if max_tokens is not None and total > max_tokens:
                # tokens_before grows with seq: the first message whose tail fits, by index
                first = cur.one(
                    "SELECT seq FROM gptkit_messages WHERE session_id = ? AND tokens_before >= ? "
                    "ORDER BY tokens_before LIMIT 1",
                    (session_id, total - max_tokens),
                )
                low = max(low, int(first[0]) if first else last + 1)
            if low > last:
                return []
            rows = cur.all(
                f"SELECT {_MESSAGE_COLUMNS} FROM gptkit_messages WHERE session_id = ? AND seq >= ? "
                "ORDER BY seq",
                (session_id, low),
            )
        # Finish with the pure policy on the stored counts: it picks the valid start, and keeps
        # the limits even if another process appended between the two queries.
        messages = [_message(r) for r in rows]
        return policies.select(
            messages,
            max_messages=max_messages,
            max_tokens=max_tokens,
            counts=[int(r[7]) for r in rows],
        )

    def messages(self, session_id: str) -> list[Message]:
        return self.messages_between(session_id, 0, 2**62)

    def messages_between(self, session_id: str, after_seq: int, through_seq: int) -> list[Message]:
        check_session_id(session_id)
        with self._transaction(write=False) as cur:
            rows = cur.all(
                f"SELECT {_MESSAGE_COLUMNS} FROM gptkit_messages WHERE session_id = ? "
                "AND seq > ? AND seq <= ? ORDER BY seq",
                (session_id, int(after_seq), int(through_seq)),
            )
        return [_message(r) for r in rows]

    def count(self, session_id: str) -> int:
        check_session_id(session_id)
        with self._transaction(write=False) as cur:
            row = cur.one("SELECT message_count FROM gptkit_sessions WHERE id = ?", (session_id,))
        return int(row[0]) if row else 0

    # summaries ----------------------------------------------------------------------------

    def summary(self, session_id: str) -> Summary | None:
        check_session_id(session_id)
        with self._transaction(write=False) as cur:
            row = cur.one(
                "SELECT text, through_seq FROM gptkit_summaries WHERE session_id = ?",
                (session_id,),
            )
        return Summary(row[0], int(row[1])) if row else None

    def set_summary(self, session_id: str, text: str, through_seq: int) -> None:
        check_session_id(session_id)
        if not isinstance(text, str):
            raise StoreError(f"a summary is text, got {type(text).__name__}.")
        text = self._text(text)
        with self._transaction(write=True) as cur:
            row = cur.one(
                f"SELECT last_seq FROM gptkit_sessions WHERE id = ?{self.FOR_UPDATE}",
                (session_id,),
            )
            if row is None:
                raise StoreError(f"there is no session {session_id!r} to summarise.")
            if not isinstance(through_seq, int) or not 0 <= through_seq <= int(row[0]):
                raise StoreError(
                    f"a summary of session {session_id!r} must cover messages 1 to N with N "
                    f"between 0 and {row[0]}, got {through_seq!r}."
                )
            cur.run(
                "INSERT INTO gptkit_summaries (session_id, text, through_seq, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET text = excluded.text, "
                "through_seq = excluded.through_seq, updated_at = excluded.updated_at",
                (session_id, text, through_seq, time.time()),
            )

    # facts --------------------------------------------------------------------------------

    def facts(self, assistant: str, user: str) -> list[Fact]:
        check_name(assistant, "assistant name")
        check_name(user, "user id")
        with self._transaction(write=False) as cur:
            rows = cur.all(
                "SELECT id, text, created_at FROM gptkit_facts WHERE assistant = ? AND user_id = ? "
                "ORDER BY created_at, id",
                (assistant, user),
            )
        return [Fact(str(r[0]), r[1], _time(r[2])) for r in rows]

    def remember(self, assistant: str, user: str, text: str) -> str:
        check_name(assistant, "assistant name")
        check_name(user, "user id")
        if not isinstance(text, str) or not text.strip():
            raise StoreError("nothing to remember: the fact is empty.")
        text = " ".join(self._text(text).split())
        if len(text) > MAX_FACT_CHARS:
            raise StoreError(
                f"a fact holds at most {MAX_FACT_CHARS} characters, this one has {len(text)}; "
                "save a shorter one."
            )
        with self._transaction(write=True) as cur:
            row = cur.one(
                "SELECT count(*) FROM gptkit_facts WHERE assistant = ? AND user_id = ?",
                (assistant, user),
            )
            added = cur.run(
                "INSERT INTO gptkit_facts (assistant, user_id, text, norm, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (assistant, user_id, norm) DO NOTHING",
                (assistant, user, text, _norm(text), time.time()),
            )
            if added and row and int(row[0]) >= MAX_FACTS:
                raise StoreError(
                    f"{MAX_FACTS} facts are already saved for this user; forget one first."
                )
            if not added:
                kept = cur.one(
                    "SELECT text FROM gptkit_facts WHERE assistant = ? AND user_id = ? "
                    "AND norm = ?",
                    (assistant, user, _norm(text)),
                )
                text = kept[0] if kept else text
        return f"remembered: {text}" if added else f"already remembered: {text}"

    def forget(self, assistant: str, user: str, text_or_id: str) -> bool:
        check_name(assistant, "assistant name")
        check_name(user, "user id")
        if not isinstance(text_or_id, str) or not text_or_id.strip():
            return False
        key = text_or_id.strip()
        norms = {_norm(key), _norm(self._text(key))}
        with self._transaction(write=True) as cur:
            deleted = 0
            if key.isascii() and key.isdigit() and len(key) < 19:
                deleted = cur.run(
                    "DELETE FROM gptkit_facts WHERE assistant = ? AND user_id = ? AND id = ?",
                    (assistant, user, int(key)),
                )
            if not deleted:
                for norm in norms:
                    deleted += cur.run(
                        "DELETE FROM gptkit_facts WHERE assistant = ? AND user_id = ? AND norm = ?",
                        (assistant, user, norm),
                    )
        return deleted > 0

    # upkeep -------------------------------------------------------------------------------

    def purge(self, assistant: str, retention_days: float) -> int:
        check_name(assistant, "assistant name")
        if (
            isinstance(retention_days, bool)
            or not isinstance(retention_days, (int, float))
            or (retention_days <= 0)
        ):
            raise StoreError(f"retention_days must be a positive number, got {retention_days!r}.")
        cutoff = time.time() - retention_days * 86400
        with self._transaction(write=True) as cur:
            ids = [
                r[0]
                for r in cur.all(
                    "SELECT id FROM gptkit_sessions WHERE assistant = ? AND updated_at < ?",
                    (assistant, cutoff),
                )
            ]
            if not ids:
                return 0
            # locked and checked again: a session written meanwhile is kept
            deleted = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                stale = [
                    r[0]
                    for r in cur.all(
                        f"SELECT id FROM gptkit_sessions WHERE id IN ({marks}) "
                        f"AND updated_at < ?{self.FOR_UPDATE}",
                        (*chunk, cutoff),
                    )
                ]
                deleted += self._delete_sessions(cur, stale)
        return deleted

    def integrity_check(self) -> list[str]:
        problems: list[str] = []
        with self._transaction(write=False) as cur:
            problems += self._extra_integrity_problems(cur)
            for sid, last, count, n, low, high in cur.all(
                "SELECT s.id, s.last_seq, s.message_count, count(m.seq), min(m.seq), max(m.seq) "
                "FROM gptkit_sessions s LEFT JOIN gptkit_messages m ON m.session_id = s.id "
                "GROUP BY s.id, s.last_seq, s.message_count"
            ):
                if n and (low != 1 or high != n):
                    problems.append(
                        f"session {sid}: its {n} messages are not numbered 1 to {n} "
                        f"(seq {low} to {high}): a gap"
                    )
                if last != (high or 0) or count != n:
                    problems.append(
                        f"session {sid}: the session row says {count} messages up to seq {last}, "
                        f"the messages table holds {n} up to seq {high or 0}"
                    )
            for sid, seq in cur.all(
                "SELECT session_id, seq FROM (SELECT session_id, seq, tokens_before, "
                "lag(tokens_before + tokens) OVER (PARTITION BY session_id ORDER BY seq) AS want "
                "FROM gptkit_messages) t WHERE want IS NOT NULL AND want <> tokens_before "
                "ORDER BY session_id, seq LIMIT 20"
            ):
                problems.append(f"session {sid}: the running token total breaks at seq {seq}")
            orphans = cur.one(
                "SELECT count(*) FROM gptkit_messages m WHERE NOT EXISTS "
                "(SELECT 1 FROM gptkit_sessions s WHERE s.id = m.session_id)"
            )
            if orphans and orphans[0]:
                problems.append(f"{orphans[0]} messages belong to no session")
        return problems


# --------------------------------------------------------------------------------------------
# Rows and values
# --------------------------------------------------------------------------------------------


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Text any database stores: NUL and unpaired surrogates become U+FFFD."""
    if not isinstance(text, str):
        raise StoreError(f"expected text, got {type(text).__name__}.")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text


def _norm(text: str) -> str:
    """How facts are compared: case-folded, with spacing collapsed."""
    return " ".join(text.casefold().split())


def _time(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), timezone.utc)


def _session(row: Sequence[Any]) -> SessionInfo:
    return SessionInfo(row[0], row[1], row[2], _time(row[3]), _time(row[4]), int(row[5]))


def _message(row: Sequence[Any]) -> Message:
    _seq, role, content, calls, call_id, name, usage = row[:7]
    return Message(
        role=role,
        content=content,
        tool_calls=tuple(ToolCall(**c) for c in json.loads(calls)) if calls else (),
        tool_call_id=call_id,
        name=name,
        usage=Usage(**json.loads(usage)) if usage else None,
    )
