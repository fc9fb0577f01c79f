"""The knowledge index in an SQLite file: FTS5 with BM25 ranking (Porter stemming).

A query is the OR of its words, but not of all of them: a word in most passages adds almost
nothing to a BM25 ranking (its IDF is near zero) and costs most of the time, since every passage
it is in gets scored. So the words are stemmed as the index stems them (through a temporary FTS5
table), their passage counts looked up (``fts5vocab``), and the rarest kept while the passages
they reach stay within :data:`SCORED_BUDGET` of the index or :data:`MIN_SCORED` passages,
whichever is more (at least the rarest two words, at most :data:`MAX_TERMS`). An index of fewer
than :data:`PRUNE_FROM` passages scores every word (it is fast enough without).

One file per corpus (an assistant file), in the folder of the memory store (the gptkit home by
default). WAL mode, so searches never wait for an indexing process; writes take ``BEGIN
IMMEDIATE`` and wait up to a minute for another process's indexing to finish.
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gptkit.knowledge.chunker import Chunk
from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.files import Found
from gptkit.knowledge.index import FileRow, Index, SyncReport, query_terms, searchable
from gptkit.knowledge.passages import Passage

BUSY_TIMEOUT_MS = 60_000
PRUNE_FROM = 20_000  # an index of fewer passages scores every word of a query
SCORED_BUDGET = 0.02  # the share of passages one query may score, beyond its two rarest words
MIN_SCORED = 2000  # ... but at least this many
MAX_TERMS = 12
TOKENIZER = "porter unicode61 remove_diacritics 2"

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
CREATE VIRTUAL TABLE IF NOT EXISTS kn_vocab USING fts5vocab(kn_fts, 'row');
CREATE TABLE IF NOT EXISTS kn_vectors (
    id INTEGER PRIMARY KEY, model TEXT NOT NULL, vector BLOB NOT NULL
);
"""


class KnowledgeStoreError(DocumentError):
    """The index itself cannot be opened or written."""


def _to_wal(db: sqlite3.Connection) -> None:
    """Switch a new index to WAL. The switch takes an exclusive lock and ignores busy_timeout,
    so a second process opening the same new file at that moment is told 'locked': wait, retry."""
    import time

    for attempt in range(50):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)


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
            _to_wal(self.db)
            self.db.execute("PRAGMA synchronous = NORMAL")
            made = self.db.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('kn_fts', 'kn_vectors')"
            ).fetchone()[0]
            if made != 2:
                with self.writing():
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
        except (sqlite3.Error, OSError) as exc:
            raise KnowledgeStoreError(
                f"the knowledge index {path} cannot be opened: {exc}; it is kept in the folder "
                "of the memory store: make that folder writable, or point GPTKIT_HOME (or "
                "memory.store) at one that is"
            ) from None
        self._names: dict[str, str] | None = None  # content hash -> a file name, for citations
        self._total: int | None = None
        self._stemmer = False  # the temporary tables that stem a query, made on first use
        self._counts: dict[str, int] = {}  # query word -> passages it is in, until the next sync
        self._vectors: tuple[str, list[int], list[list[float]]] | None = None  # model, ids, unit vectors

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
        self.db.execute("DELETE FROM kn_vectors")
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
            self.db.execute("DELETE FROM kn_vectors WHERE id = ?", (rowid,))

    def sync(self, files: list[Found]) -> SyncReport:
        self._names = self._total = None
        self._counts = {}
        return super().sync(files)

    def search(self, query: str, k: int) -> list[Passage]:
        terms = self._selective(query_terms(query))
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        hits = self.db.execute(
            "WITH hits AS (SELECT rowid, rank FROM kn_fts WHERE kn_fts MATCH ? ORDER BY rank "
            "LIMIT ?) SELECT c.sha256, c.location, c.text, hits.rank FROM hits "
            "JOIN kn_chunks c ON c.id = hits.rowid ORDER BY hits.rank",
            (match, k),
        ).fetchall()
        names = self._file_names()
        return [
            Passage(names[sha], where, text, -float(rank))
            for sha, where, text, rank in hits
            if sha in names
        ]

    def _selective(self, terms: list[str]) -> list[str]:
        """The words of ``terms`` worth scoring (the module docstring says which)."""
        budget = max(SCORED_BUDGET * self._passages(), MIN_SCORED)
        if len(terms) <= 2 or self._passages() < PRUNE_FROM:
            return terms
        reach = self._reach(terms)
        present = sorted((reach[t], i) for i, t in enumerate(terms) if reach[t] > 0)
        kept: list[int] = []
        scored = 0
        for n, i in present:
            if len(kept) >= 2 and (scored + n > budget or len(kept) >= MAX_TERMS):
                break
            kept.append(i)
            scored += n
        return [terms[i] for i in sorted(kept)]

    def _reach(self, terms: list[str]) -> dict[str, int]:
        """How many passages each word is in (its rarest token's count), remembered."""
        missing = [t for t in terms if t not in self._counts]
        if missing:
            if not self._stemmer:
                self.db.execute(
                    f"CREATE VIRTUAL TABLE temp.kn_query USING fts5(body, tokenize='{TOKENIZER}')"
                )
                self.db.execute(
                    "CREATE VIRTUAL TABLE temp.kn_query_terms "
                    "USING fts5vocab(temp, kn_query, 'instance')"
                )
                self._stemmer = True
            self.db.execute("DELETE FROM temp.kn_query")
            self.db.executemany(
                "INSERT INTO temp.kn_query (rowid, body) VALUES (?, ?)", list(enumerate(missing))
            )
            stems: dict[int, list[str]] = {}
            for doc, term in self.db.execute("SELECT doc, term FROM temp.kn_query_terms"):
                stems.setdefault(doc, []).append(term)
            wanted = sorted({t for found in stems.values() for t in found})
            counts: dict[str, int] = {}
            if wanted:
                counts = dict(self.db.execute(
                    f"SELECT term, doc FROM kn_vocab WHERE term IN ({','.join('?' * len(wanted))})",
                    wanted,
                ).fetchall())
            for i, word in enumerate(missing):
                self._counts[word] = min((counts.get(t, 0) for t in stems.get(i, [])), default=0)
        return {t: self._counts[t] for t in terms}

    def _file_names(self) -> dict[str, str]:
        if self._names is None:
            self._names = {}
            for sha, name in self.db.execute(
                "SELECT sha256, min(name) FROM kn_files WHERE indexed = 1 GROUP BY sha256"
            ):
                self._names[sha] = name
        return self._names

    def _passages(self) -> int:
        if self._total is None:
            self._total = self.count()
        return self._total

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM kn_chunks").fetchone()[0])

    def vectors_unavailable(self) -> str | None:
        return None

    def missing_vectors(self, model: str, limit: int) -> list[tuple[int, str]]:
        return [
            (int(r[0]), str(r[1]))
            for r in self.db.execute(
                "SELECT c.id, c.body FROM kn_chunks c LEFT JOIN kn_vectors v "
                "ON v.id = c.id AND v.model = ? WHERE v.id IS NULL ORDER BY c.id LIMIT ?",
                (model, limit),
            )
        ]

    def put_vectors(self, model: str, vectors: list[tuple[int, list[float]]]) -> None:
        with self.writing():
            self.db.executemany(
                "INSERT OR REPLACE INTO kn_vectors (id, model, vector) VALUES (?, ?, ?)",
                [(i, model, array("f", v).tobytes()) for i, v in vectors],
            )
        self._vectors = None

    def vector_search(self, model: str, vector: list[float], k: int) -> list[Passage]:
        if self._vectors is None or self._vectors[0] != model:
            ids, units = [], []
            for rowid, blob in self.db.execute(
                "SELECT id, vector FROM kn_vectors WHERE model = ?", (model,)
            ):
                ids.append(int(rowid))
                units.append(_unit(array("f", blob).tolist()))
            self._vectors = (model, ids, units)
        _, ids, units = self._vectors
        query = _unit(vector)
        scored = sorted(
            (
                (sum(a * b for a, b in zip(query, unit, strict=True)), rowid)
                for rowid, unit in zip(ids, units, strict=True)
                if len(unit) == len(query)
            ),
            reverse=True,
        )[:k]
        names = self._file_names()
        passages = []
        for score, rowid in scored:
            row = self.db.execute(
                "SELECT sha256, location, text FROM kn_chunks WHERE id = ?", (rowid,)
            ).fetchone()
            if row is not None and row[0] in names:
                passages.append(Passage(names[row[0]], row[1], row[2], score))
        return passages

    def close(self) -> None:
        self.db.close()


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]
