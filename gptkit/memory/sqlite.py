"""The SQLite store, gptkit's default: one file, safe for several processes at once.

The connection runs in WAL mode (readers never wait for the writer) with a 30 s
``busy_timeout``; every write starts with ``BEGIN IMMEDIATE``, so two processes appending to one
session queue up instead of failing. A new database file is created readable by its owner only
(0600).

Durability (``synchronous=NORMAL``, :data:`SYNCHRONOUS`):

- A turn is stored when ``append_turn`` returns. A crash of the process after that (an
  exception, Ctrl-C, ``kill -9``, out of memory) keeps it, and a crash before leaves nothing of
  it: the last complete turn is always there, never half a turn.
- A power cut or an operating-system crash may lose the most recent turns (those written since
  SQLite's last checkpoint, which syncs the file); the database stays consistent and opens
  normally, it simply ends at an earlier complete turn. A tool with side effects in a lost turn
  may then be asked for again on resume.
- Why not ``FULL`` (one fsync per commit, which survives the power cut too): that fsync is most
  of a stored turn's wall time on a slow disk (33.6 ms of wall against 6.9 ms of CPU per turn
  was measured), for a conversation history. Pass ``SQLiteStore(path, synchronous="FULL")`` as
  the session's ``store`` to pay it. ``bench/memory`` measures both, side by side.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gptkit.errors import StoreError
from gptkit.memory.sql import SQLStore

BUSY_TIMEOUT_S = 30.0
SYNCHRONOUS = "NORMAL"  # see the module docstring: durability

SCHEMA_V1 = (
    """CREATE TABLE gptkit_sessions (
        id TEXT PRIMARY KEY,
        assistant TEXT NOT NULL,
        user_id TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0,
        last_seq INTEGER NOT NULL DEFAULT 0,
        total_tokens INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX gptkit_sessions_by_assistant ON gptkit_sessions (assistant, updated_at)",
    """CREATE TABLE gptkit_messages (
        session_id TEXT NOT NULL REFERENCES gptkit_sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
        content TEXT NOT NULL,
        tool_calls TEXT,
        tool_call_id TEXT,
        name TEXT,
        usage TEXT,
        tokens INTEGER NOT NULL,
        tokens_before INTEGER NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (session_id, seq)
    ) WITHOUT ROWID""",
    "CREATE INDEX gptkit_messages_by_tokens ON gptkit_messages (session_id, tokens_before)",
    """CREATE TABLE gptkit_summaries (
        session_id TEXT PRIMARY KEY REFERENCES gptkit_sessions (id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        through_seq INTEGER NOT NULL,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE gptkit_facts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        assistant TEXT NOT NULL,
        user_id TEXT NOT NULL,
        text TEXT NOT NULL,
        norm TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (assistant, user_id, norm)
    )""",
)


class _Cursor:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._conn.execute(sql, params).fetchone()  # type: ignore[no-any-return]

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)


def _wal_mode(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL. Several processes opening a new file at once race for it, and SQLite
    answers "locked" at once there (the busy handler does not apply): try again until the
    busy timeout."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


class SQLiteStore(SQLStore):
    """The store in an SQLite file (or ``":memory:"``)."""

    MIGRATIONS = {1: SCHEMA_V1}

    def __init__(
        self,
        path: str | Path,
        *,
        redactor: Any = None,
        busy_timeout: float = BUSY_TIMEOUT_S,
        synchronous: str = SYNCHRONOUS,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        super().__init__(redactor)
        self.path = str(path)
        self.description = self.path
        self._busy_timeout = busy_timeout
        if self.path != ":memory:" and not os.path.exists(self.path):
            try:  # owner-only from the start; SQLite gives its -wal and -shm files the same mode
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as exc:
                raise StoreError(f"cannot create the memory store {self.path}: {exc}.") from exc
        self._conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._conn = conn
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            _wal_mode(conn, busy_timeout)
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            self.close()
            raise self._error(exc) from exc
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _error(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(
                f"the memory store {self.path} stayed locked by another process for more than "
                f"{self._busy_timeout:g} s; try again when it has finished."
            )
        if "not a database" in text or "malformed" in text:
            return StoreError(
                f"{self.path} is not a usable gptkit memory store ({text}); move it away or name "
                "another file in memory.store."
            )
        if "unable to open" in text or "readonly" in text:
            return StoreError(
                f"cannot open the memory store {self.path} for writing ({text}); check the "
                "folder exists and that you may write to it."
            )
        return StoreError(f"the memory store {self.path} failed: {text}.")

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[_Cursor]:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError(f"the memory store {self.path} is closed.")
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            try:
                yield _Cursor(conn)
                conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from exc
                raise

    def _table_exists(self, cur: Any, name: str) -> bool:
        return (
            cur.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            is not None
        )

    def _extra_integrity_problems(self, cur: Any) -> list[str]:
        rows = [r[0] for r in cur.all("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else [f"SQLite integrity_check: {r}" for r in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
