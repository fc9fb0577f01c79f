"""The base of the shared SQL: the backend's contract (a cursor, transactions), the schema's
migrations, and how text is cleaned and redacted before anything is written."""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from gptkit.errors import StoreError
from gptkit.memory.sql.rows import clean
from gptkit.memory.store import Store
from gptkit.messages import Message, ToolCall


class Cursor(Protocol):
    """What a backend's transaction hands to :class:`SQLStore`; SQL uses ``?`` placeholders."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


class SQLBase(Store):
    """What every part of :class:`~gptkit.memory.sql.SQLStore` stands on: the backend's
    transactions, the schema and its migrations, and the cleaning and redaction of what is
    written. A backend supplies transactions and its DDL.

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
        text = clean(text)
        return self._redactor(text) if self._redactor else text

    def _prepare(self, message: Message) -> Message:
        """The message as it will be stored: cleaned and redacted."""
        calls = tuple(
            ToolCall(
                clean(call.id),
                clean(call.name),
                self._redact_json(clean(call.arguments))
                if self._redact_json
                else clean(call.arguments),
            )
            for call in message.tool_calls
        )
        return Message(
            role=message.role,
            content=self._text(message.content),
            tool_calls=calls,
            tool_call_id=None if message.tool_call_id is None else clean(message.tool_call_id),
            name=None if message.name is None else clean(message.name),
            usage=message.usage,
        )
