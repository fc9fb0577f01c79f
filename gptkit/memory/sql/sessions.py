"""Sessions and their running summaries: the session rows."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from gptkit.errors import StoreError
from gptkit.memory.ids import check_name, check_session_id
from gptkit.memory.sql.base import Cursor, SQLBase
from gptkit.memory.sql.rows import SESSION_COLUMNS, session_info
from gptkit.memory.store import SessionInfo, Summary


class Sessions(SQLBase):
    """Create, find, list and delete sessions; read and replace their summaries."""

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
                f"SELECT {SESSION_COLUMNS} FROM gptkit_sessions WHERE id = ?", (session_id,)
            )
        assert row is not None
        info = session_info(row)
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
                f"SELECT {SESSION_COLUMNS} FROM gptkit_sessions WHERE id = ?", (session_id,)
            )
        return session_info(row) if row else None

    def list_sessions(self, assistant: str | None = None) -> list[SessionInfo]:
        sql = f"SELECT {SESSION_COLUMNS} FROM gptkit_sessions"
        params: tuple[Any, ...] = ()
        if assistant is not None:
            sql += " WHERE assistant = ?"
            params = (assistant,)
        with self._transaction(write=False) as cur:
            rows = cur.all(sql + " ORDER BY updated_at DESC, id", params)
        return [session_info(row) for row in rows]

    def delete_session(self, session_id: str) -> bool:
        check_session_id(session_id)
        with self._transaction(write=True) as cur:
            return delete_sessions(cur, [session_id], self.FOR_UPDATE) > 0

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


def delete_sessions(cur: Cursor, ids: Sequence[str], for_update: str) -> int:
    """Delete these sessions with their messages and summaries (row-locked first); how many."""
    deleted = 0
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        locked = cur.all(f"SELECT id FROM gptkit_sessions WHERE id IN ({marks}){for_update}", chunk)
        if not locked:
            continue
        chunk = [row[0] for row in locked]
        marks = ", ".join("?" * len(chunk))
        cur.run(f"DELETE FROM gptkit_messages WHERE session_id IN ({marks})", chunk)
        cur.run(f"DELETE FROM gptkit_summaries WHERE session_id IN ({marks})", chunk)
        deleted += cur.run(f"DELETE FROM gptkit_sessions WHERE id IN ({marks})", chunk)
    return deleted
