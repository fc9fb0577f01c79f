"""Upkeep: purging old sessions and checking the stored data."""

from __future__ import annotations

import time

from gptkit.errors import StoreError
from gptkit.memory.ids import check_name
from gptkit.memory.sql.base import SQLBase
from gptkit.memory.sql.sessions import delete_sessions


class Upkeep(SQLBase):
    """``purge`` and ``integrity_check``."""

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
                deleted += delete_sessions(cur, stale, self.FOR_UPDATE)
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
