"""A session's messages: turns written whole, and the recent history read by index.

A turn's messages get consecutive sequence numbers and a running token total
(``tokens_before``), so the window and token policies find where the answer starts with one
index lookup, whatever the length of the history.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

from gptkit.errors import StoreError
from gptkit.memory import policies
from gptkit.memory import tokens as _tokens
from gptkit.memory.ids import check_session_id
from gptkit.memory.sql.base import SQLBase
from gptkit.memory.sql.rows import MESSAGE_COLUMNS, message_from_row
from gptkit.messages import Message


class Messages(SQLBase):
    """Append turns; read the recent messages, a range, or all of them."""

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
                f"SELECT {MESSAGE_COLUMNS} FROM gptkit_messages WHERE session_id = ? AND seq >= ? "
                "ORDER BY seq",
                (session_id, low),
            )
        # Finish with the pure policy on the stored counts: it picks the valid start, and keeps
        # the limits even if another process appended between the two queries.
        messages = [message_from_row(r) for r in rows]
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
                f"SELECT {MESSAGE_COLUMNS} FROM gptkit_messages WHERE session_id = ? "
                "AND seq > ? AND seq <= ? ORDER BY seq",
                (session_id, int(after_seq), int(through_seq)),
            )
        return [message_from_row(r) for r in rows]

    def count(self, session_id: str) -> int:
        check_session_id(session_id)
        with self._transaction(write=False) as cur:
            row = cur.one("SELECT message_count FROM gptkit_sessions WHERE id = ?", (session_id,))
        return int(row[0]) if row else 0
