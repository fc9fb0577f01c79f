"""One turn at a time per conversation, in this process and across processes on PostgreSQL.

In the process, a set of the conversations whose turn is in flight. When the assistant's store
is PostgreSQL, a session-level advisory lock (``pg_try_advisory_lock``) is taken too, on one
connection this process keeps per database: several ``gptkit serve`` processes behind a load
balancer then refuse a second turn of one conversation as one process does. A process that dies
drops its connection, and PostgreSQL releases its locks with it.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from gptkit.errors import StoreError


def lock_key(conversation: str) -> int:
    """The advisory lock number of a conversation (a signed 64-bit integer)."""
    digest = hashlib.sha256(b"gptkit-serve-turn\x00" + conversation.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _PgLocks:
    """Advisory locks on one autocommit connection to one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise StoreError(
                    "cannot connect to PostgreSQL for the conversation locks: "
                    f"{type(exc).__name__}; check that the server runs"
                ) from None
        return self._conn

    def try_lock(self, key: int) -> bool:
        with self._lock:
            row = self._connection().execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            return bool(row and row[0])

    def unlock(self, key: int) -> None:
        with self._lock:
            conn = self._conn
            if conn is None or conn.closed or conn.broken:
                return  # the connection went, and its locks with it
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except Exception:  # noqa: S110 - a lost connection released the lock already
                pass

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class TurnLocks:
    """Who holds which conversation; see the module docstring."""

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._pg: dict[str, _PgLocks] = {}

    def acquire(self, conversation: str, store_url: str | None) -> bool:
        """Take the conversation's turn; False when another turn holds it (here or elsewhere)."""
        if conversation in self._busy:
            return False
        pg = self._postgres(store_url)
        if pg is not None and not pg.try_lock(lock_key(conversation)):
            return False
        self._busy.add(conversation)
        return True

    def release(self, conversation: str, store_url: str | None) -> None:
        """Give the conversation's turn back (once per successful :meth:`acquire`)."""
        if conversation not in self._busy:
            return
        self._busy.discard(conversation)
        pg = self._postgres(store_url)
        if pg is not None:
            pg.unlock(lock_key(conversation))

    def busy(self, conversation: str) -> bool:
        return conversation in self._busy

    def _postgres(self, store_url: str | None) -> _PgLocks | None:
        if not (store_url and store_url.startswith(("postgresql://", "postgres://"))):
            return None
        found = self._pg.get(store_url)
        if found is None:
            found = self._pg[store_url] = _PgLocks(store_url)
        return found

    def close(self) -> None:
        for pg in self._pg.values():
            pg.close()
        self._pg.clear()
