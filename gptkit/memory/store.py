"""The memory store: sessions and their messages, summaries, and long-term facts.

:class:`Store` is the interface the runtime and the CLI use; :func:`open_store` opens one from a
``memory.store`` URL. Two backends implement it with the same SQL (:class:`SQLStore`), so they
behave the same: SQLite (:mod:`gptkit.memory.sqlite`, the default) and PostgreSQL
(:mod:`gptkit.memory.postgres`, needs ``pip install 'gptkit[postgres]'``).

Guarantees:

- A turn is written in one transaction, with consecutive sequence numbers (1, 2, ... in each
  session): all of it or none of it, whatever else writes the same session at the same time.
- Everything written passes through the :class:`~gptkit.memory.redact.Redactor` first: message
  text, tool-call arguments, tool results, facts and summaries. NUL characters and unpaired
  surrogates become U+FFFD (PostgreSQL cannot store them; SQLite then stores the same).
- Reading recent history costs the size of the answer, not of the history (an index on
  ``(session_id, seq)`` and a running token total per message).
- Times are seconds since the epoch (UTC) in the database, aware ``datetime`` objects here.
"""

from __future__ import annotations

import abc
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from gptkit.errors import StoreError
from gptkit.memory import policies
from gptkit.memory import tokens as _tokens
from gptkit.memory.ids import check_name, check_session_id
from gptkit.messages import Message, ToolCall, Usage

MAX_FACT_CHARS = 1000
MAX_FACTS = 200  # per assistant and user: they all go into every prompt
DB_NAME = "gptkit.db"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One stored conversation."""

    id: str
    assistant: str
    user: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int


@dataclass(frozen=True, slots=True)
class Fact:
    """A long-term fact saved with ``remember``; ``id`` is what ``forget`` accepts too."""

    id: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    """The running summary of a session: it covers every message up to ``through_seq``."""

    text: str
    through_seq: int


class Store(abc.ABC):
    """Where conversations, summaries and facts are kept. Use as a context manager."""

    description: str = ""
    """Where the store is, for messages: a path, or ``postgresql://host:port/db`` (no password)."""

    # sessions -----------------------------------------------------------------------------

    @abc.abstractmethod
    def ensure_session(
        self, assistant: str, session_id: str, user: str | None = None
    ) -> SessionInfo:
        """The session ``session_id``, created for ``assistant`` and ``user`` when missing.

        Raises:
            StoreError: the id is invalid, or it belongs to another assistant, or to another
                user (a ``None`` user matches any).
        """

    @abc.abstractmethod
    def get_session(self, session_id: str) -> SessionInfo | None:
        """The session, or None when there is none with this id."""

    @abc.abstractmethod
    def list_sessions(self, assistant: str | None = None) -> list[SessionInfo]:
        """Every session (of ``assistant`` when given), the most recently updated first."""

    @abc.abstractmethod
    def delete_session(self, session_id: str) -> bool:
        """Delete a session with its messages and summary; False when there was none."""

    # messages -----------------------------------------------------------------------------

    def append_turn(self, session_id: str, messages: Sequence[Message]) -> None:
        """Store one complete turn in one transaction (see :func:`policies.turn_problem`).

        Raises:
            StoreError: the session does not exist, the turn is malformed, or the database failed
                (then nothing of the turn is stored).
        """
        self.append_turns(session_id, [messages])

    @abc.abstractmethod
    def append_turns(self, session_id: str, turns: Iterable[Sequence[Message]]) -> None:
        """Store several turns in one transaction (imports, benchmarks): all or nothing."""

    @abc.abstractmethod
    def recent(
        self,
        session_id: str,
        *,
        max_messages: int | None = None,
        max_tokens: int | None = None,
        after_seq: int = 0,
    ) -> list[Message]:
        """The most recent messages within the limits, oldest first (see :mod:`policies`).

        Only messages after ``after_seq`` are considered (the ones a summary does not cover).
        The answer never starts with a tool message nor exceeds a limit; it starts at a user
        message when one is within the limits. An unknown session has no messages.
        """

    @abc.abstractmethod
    def messages(self, session_id: str) -> list[Message]:
        """Every message of the session, oldest first."""

    @abc.abstractmethod
    def messages_between(self, session_id: str, after_seq: int, through_seq: int) -> list[Message]:
        """The messages with ``after_seq < seq <= through_seq``, oldest first."""

    def messages_after(self, session_id: str, seq: int) -> list[Message]:
        """The messages with a sequence number above ``seq`` (the first message has seq 1)."""
        return self.messages_between(session_id, seq, 2**62)

    @abc.abstractmethod
    def count(self, session_id: str) -> int:
        """How many messages the session holds (0 when there is no such session)."""

    # summaries ----------------------------------------------------------------------------

    @abc.abstractmethod
    def summary(self, session_id: str) -> Summary | None:
        """The session's running summary, if one was written."""

    @abc.abstractmethod
    def set_summary(self, session_id: str, text: str, through_seq: int) -> None:
        """Replace the session's summary; it covers the messages with ``seq <= through_seq``."""

    # facts --------------------------------------------------------------------------------

    @abc.abstractmethod
    def facts(self, assistant: str, user: str) -> list[Fact]:
        """The facts saved for this assistant and user, oldest first."""

    @abc.abstractmethod
    def remember(self, assistant: str, user: str, text: str) -> str:
        """Save a fact (once: the same text, ignoring case and spacing, is not saved twice).

        Returns:
            ``"remembered: TEXT"`` or ``"already remembered: TEXT"`` (TEXT as stored, redacted).
        """

    @abc.abstractmethod
    def forget(self, assistant: str, user: str, text_or_id: str) -> bool:
        """Delete the fact with this id, or whose text equals this (ignoring case and spacing)."""

    # upkeep -------------------------------------------------------------------------------

    @abc.abstractmethod
    def purge(self, assistant: str, retention_days: float) -> int:
        """Delete the assistant's sessions not updated for ``retention_days``; return how many.

        Their messages and summaries go with them; facts are per user and stay.
        """

    @abc.abstractmethod
    def integrity_check(self) -> list[str]:
        """Problems found in the stored data, as sentences; empty when all is well."""

    @property
    @abc.abstractmethod
    def schema_version(self) -> int:
        """The version of the database schema."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# The shared SQL implementation
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Opening a store
# --------------------------------------------------------------------------------------------


def default_home() -> Path:
    """gptkit's data folder: ``$GPTKIT_HOME``, else ``$XDG_DATA_HOME/gptkit``, else
    ``~/.local/share/gptkit``."""
    home = os.environ.get("GPTKIT_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "gptkit"
    return Path.home() / ".local" / "share" / "gptkit"


def open_store(
    url: str | None,
    *,
    project_root: Path,
    home: Path | None = None,
    redactor: Any = None,
) -> Store:
    """Open the store ``memory.store`` names.

    Args:
        url: None for ``<home>/gptkit.db``; ``sqlite:///relative/path.db`` (from
            ``project_root``, and it must stay inside it, symlinks resolved);
            ``sqlite:////absolute/path.db`` (only inside the gptkit home);
            ``sqlite:///:memory:`` (a private, temporary store); ``postgresql://...`` or
            ``postgres://...`` (needs psycopg: ``pip install 'gptkit[postgres]'``).
        project_root: the folder of the assistant's project.
        home: gptkit's data folder (default :func:`default_home`).
        redactor: applied to everything written (a :class:`~gptkit.memory.redact.Redactor`).

    Raises:
        StoreError: the URL is not usable or the database cannot be opened; the message says
            why and never holds a password.
    """
    home = Path(home) if home is not None else default_home()
    if url is None:
        _make_folder(home)
        return _sqlite(home / DB_NAME, redactor)
    if not isinstance(url, str):
        raise StoreError(f"memory.store must be a URL string, got {type(url).__name__}.")
    if url.startswith(("postgresql://", "postgres://")):
        from gptkit.memory.postgres import PostgresStore

        return PostgresStore(url, redactor=redactor)
    if not url.startswith("sqlite:///"):
        shown = url.split("://", 1)[0] + "://..." if "://" in url else repr(url[:40])
        raise StoreError(
            f"memory.store {shown} is not supported: use sqlite:///path/to.db (relative to the "
            "project), sqlite:////absolute/path.db (inside the gptkit home) or postgresql://..."
        )
    raw = url[len("sqlite:///") :]
    if raw == ":memory:":
        from gptkit.memory.sqlite import SQLiteStore

        return SQLiteStore(":memory:", redactor=redactor)
    path_text = unquote(raw)
    if not path_text or any(c in path_text for c in "?#\x00"):
        raise StoreError(
            f"memory.store {url!r}: give a file path after sqlite:/// (no query or fragment)."
        )
    if path_text.startswith("~"):
        raise StoreError(
            f"memory.store {url!r}: '~' is not expanded; use a path relative to the project, "
            "or an absolute path inside the gptkit home."
        )
    if os.path.isabs(path_text):
        root, where = Path(os.path.realpath(home)), f"the gptkit home ({home})"
        candidate = Path(path_text)
    else:
        root, where = Path(os.path.realpath(project_root)), f"the project ({project_root})"
        candidate = root / path_text
    real = Path(os.path.realpath(candidate))
    if not real.is_relative_to(root):
        raise StoreError(
            f"memory.store {url!r} points outside {where} (it resolves to {real}); keep the "
            "database inside it, or leave memory.store out to use the gptkit home."
        )
    if real.is_dir():
        raise StoreError(f"memory.store {url!r} is a folder; name a database file.")
    _make_folder(real.parent)
    return _sqlite(real, redactor)


def _make_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder} for the memory store: {exc}.") from exc


def _sqlite(path: Path, redactor: Any) -> Store:
    from gptkit.memory.sqlite import SQLiteStore

    return SQLiteStore(path, redactor=redactor)
