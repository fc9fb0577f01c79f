"""Long-term facts, per assistant and user: remembered once, forgotten by id or text."""

from __future__ import annotations

import time

from gptkit.errors import StoreError
from gptkit.memory.ids import check_name
from gptkit.memory.sql.base import SQLBase
from gptkit.memory.sql.rows import fact_key, from_epoch
from gptkit.memory.store import MAX_FACT_CHARS, MAX_FACTS, Fact


class Facts(SQLBase):
    """``facts``, ``remember`` and ``forget``."""

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
        return [Fact(str(r[0]), r[1], from_epoch(r[2])) for r in rows]

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
                (assistant, user, text, fact_key(text), time.time()),
            )
            if added and row and int(row[0]) >= MAX_FACTS:
                raise StoreError(
                    f"{MAX_FACTS} facts are already saved for this user; forget one first."
                )
            if not added:
                kept = cur.one(
                    "SELECT text FROM gptkit_facts WHERE assistant = ? AND user_id = ? "
                    "AND norm = ?",
                    (assistant, user, fact_key(text)),
                )
                text = kept[0] if kept else text
        return f"remembered: {text}" if added else f"already remembered: {text}"

    def forget(self, assistant: str, user: str, text_or_id: str) -> bool:
        check_name(assistant, "assistant name")
        check_name(user, "user id")
        if not isinstance(text_or_id, str) or not text_or_id.strip():
            return False
        key = text_or_id.strip()
        norms = {fact_key(key), fact_key(self._text(key))}
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
