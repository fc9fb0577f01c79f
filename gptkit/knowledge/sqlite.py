"""The knowledge index in an SQLite file: FTS5 with BM25 ranking (Porter stemming).

One file per corpus (an assistant file), in the folder of the memory store (the gptkit home by
default). WAL mode, so searches never wait for an indexing process; writes take ``BEGIN
IMMEDIATE`` and wait up to a minute for another process's indexing to finish.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gptkit.knowledge.chunker import Chunk
from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.index import FileRow, Index, query_terms, searchable
from gptkit.knowledge.passages import Passage

BUSY_TIMEOUT_MS = 60_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS kn_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kn_files (
    name TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL, indexed INTEGER NOT NULL, error TEXT
);
CREATE TABLE IF NOT EXISTS kn_chunks (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, ordinal INTEGER NOT NULL,
    location TEXT NOT NULL, text TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kn_chunks_doc ON kn_chunks (sha256);
CREATE VIRTUAL TABLE IF NOT EXISTS kn_fts USING fts5(
    body, content='kn_chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
"""


class KnowledgeStoreError(DocumentError):
    """The index itself cannot be opened or written."""


class SQLiteIndex(Index):
    """See the module docstring."""

    def __init__(self, path: Path | str, chunk_tokens: int, overlap_tokens: int, max_bytes: int) -> None:
        super().__init__(chunk_tokens, overlap_tokens, max_bytes)
        self.path = path
        try:
            if isinstance(path, Path):
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.db = sqlite3.connect(
                str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            if not self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'kn_fts'"
            ).fetchone():
                with self.writing():
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
        except (sqlite3.Error, OSError) as exc:
            raise KnowledgeStoreError(f"the knowledge index {path} cannot be opened: {exc}") from None

    def rows(self) -> dict[str, FileRow]:
        found = self.db.execute(
            "SELECT name, size, mtime_ns, sha256, indexed, error FROM kn_files"
        ).fetchall()
        return {r[0]: FileRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in found}

    def stored_settings(self) -> str | None:
        row = self.db.execute("SELECT value FROM kn_meta WHERE key = 'settings'").fetchone()
        return row[0] if row else None

    @contextmanager
    def writing(self) -> Iterator[None]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise KnowledgeStoreError(f"the knowledge index {self.path} is busy: {exc}") from None
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def clear(self) -> None:
        self.db.execute("DELETE FROM kn_files")
        self.db.execute("DELETE FROM kn_chunks")
        self.db.execute("INSERT INTO kn_fts(kn_fts) VALUES ('delete-all')")
        self.db.execute(
            "INSERT OR REPLACE INTO kn_meta (key, value) VALUES ('settings', ?)", (self.settings,)
        )

    def has_document(self, sha256: str) -> bool:
        return self.db.execute(
            "SELECT 1 FROM kn_chunks WHERE sha256 = ? LIMIT 1", (sha256,)
        ).fetchone() is not None

    def add_document(self, sha256: str, chunks: list[Chunk]) -> None:
        for piece in chunks:
            body = searchable(piece)
            cursor = self.db.execute(
                "INSERT INTO kn_chunks (sha256, ordinal, location, text, body) VALUES (?, ?, ?, ?, ?)",
                (sha256, piece.ordinal, piece.where, piece.text, body),
            )
            self.db.execute("INSERT INTO kn_fts (rowid, body) VALUES (?, ?)", (cursor.lastrowid, body))

    def put_file(self, row: FileRow) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO kn_files (name, size, mtime_ns, sha256, indexed, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (row.name, row.size, row.mtime_ns, row.sha256, int(row.indexed), row.error),
        )

    def drop_file(self, name: str) -> None:
        self.db.execute("DELETE FROM kn_files WHERE name = ?", (name,))

    def collect(self) -> None:
        orphans = self.db.execute(
            "SELECT id, body FROM kn_chunks WHERE sha256 NOT IN "
            "(SELECT sha256 FROM kn_files WHERE indexed = 1)"
        ).fetchall()
        for rowid, body in orphans:
            self.db.execute(
                "INSERT INTO kn_fts (kn_fts, rowid, body) VALUES ('delete', ?, ?)", (rowid, body)
            )
            self.db.execute("DELETE FROM kn_chunks WHERE id = ?", (rowid,))

    def search(self, query: str, k: int) -> list[Passage]:
        terms = query_terms(query)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        hits = self.db.execute(
            "SELECT rowid, rank FROM kn_fts WHERE kn_fts MATCH ? ORDER BY rank LIMIT ?", (match, k)
        ).fetchall()
        passages = []
        for rowid, rank in hits:
            row = self.db.execute(
                "SELECT c.location, c.text, (SELECT min(f.name) FROM kn_files f "
                "WHERE f.sha256 = c.sha256 AND f.indexed = 1) FROM kn_chunks c WHERE c.id = ?",
                (rowid,),
            ).fetchone()
            if row is not None and row[2] is not None:
                passages.append(Passage(row[2], row[0], row[1], -float(rank)))
        return passages

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM kn_chunks").fetchone()[0])

    def close(self) -> None:
        self.db.close()
