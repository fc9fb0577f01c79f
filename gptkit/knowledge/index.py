"""The index of one assistant's knowledge files, whatever keeps it (SQLite or PostgreSQL).

:meth:`Index.sync` brings the index up to date with the files. Each file's size and mtime are
kept; when both are unchanged the file is not opened, so an unchanged corpus costs one ``stat``
per file. A changed file is read and hashed: the same content is not indexed again (passages
are keyed by the content's SHA-256, shared by files with the same content), new content is
parsed and chunked. The writing happens in one transaction that holds the backend's write lock
(SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), and what it finds is read again inside
it, so processes that start at once index each file once and never see half an index.

A file that cannot be read is recorded with its reason and left out; the others are indexed.
"""

from __future__ import annotations

import abc
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from gptkit.knowledge.chunker import Chunk, chunk
from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.files import Found, kind_of
from gptkit.knowledge.parsers import parse_data
from gptkit.knowledge.passages import Passage

PARSER_VERSION = 1  # raise when parsing or chunking changes what is stored

STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from has have how i if in into is it its "
    "me my not of on or our so than that the their them then there these they this to was "
    "we what when where which who why will with you your".split()
)


@dataclass(frozen=True)
class FileRow:
    """What the index knows of one file."""

    name: str
    size: int
    mtime_ns: int
    sha256: str
    indexed: bool  # its passages are in the index
    error: str | None = None  # why it could not be read


@dataclass
class SyncReport:
    """What :meth:`Index.sync` did: files indexed again, and files that cannot be read."""

    indexed: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # name -> reason
    chunks: int = 0  # passages written


@dataclass(frozen=True)
class FileState:
    """One file's state for ``gptkit knowledge status``."""

    name: str
    state: str  # indexed, changed, new, missing, unreadable
    detail: str = ""


def settings_key(chunk_tokens: int, overlap_tokens: int) -> str:
    """What the stored passages depend on besides the content."""
    return f"v{PARSER_VERSION}:{chunk_tokens}:{overlap_tokens}"


def searchable(chunk: Chunk) -> str:
    """The text indexed for ``chunk``: its section's heading path, then its text."""
    return f"{chunk.where}\n{chunk.text}" if chunk.where else chunk.text


def query_terms(query: str) -> list[str]:
    """The words of ``query`` that are searched: lower case, no stop words, each once."""
    words = re.findall(r"[^\W_]+", query.lower())  # the tokens FTS5's unicode61 makes
    kept = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(kept))[:64]


class Index(abc.ABC):
    """One corpus's passages; see the module docstring. Backends implement the storage steps."""

    def __init__(self, chunk_tokens: int, overlap_tokens: int, max_bytes: int) -> None:
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self.max_bytes = max_bytes
        self.settings = settings_key(chunk_tokens, overlap_tokens)

    # -- storage steps ------------------------------------------------------------------------

    @abc.abstractmethod
    def rows(self) -> dict[str, FileRow]:
        """Every file row of the corpus."""

    @abc.abstractmethod
    def stored_settings(self) -> str | None:
        """The settings key the stored passages were made with, None for an empty corpus."""

    @abc.abstractmethod
    def writing(self) -> AbstractContextManager[None]:
        """One transaction holding the corpus's write lock."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Forget every file and passage of the corpus, and store the current settings."""

    @abc.abstractmethod
    def has_document(self, sha256: str) -> bool:
        """Whether passages of this content are stored."""

    @abc.abstractmethod
    def add_document(self, sha256: str, chunks: list[Chunk]) -> None:
        """Store the passages of one content."""

    @abc.abstractmethod
    def put_file(self, row: FileRow) -> None:
        """Insert or replace one file row."""

    @abc.abstractmethod
    def drop_file(self, name: str) -> None:
        """Forget one file."""

    @abc.abstractmethod
    def collect(self) -> None:
        """Delete passages no file of the corpus refers to."""

    @abc.abstractmethod
    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many passages the corpus has."""

    # -- vectors (knowledge.embeddings); a backend without them says why ---------------------

    def vectors_unavailable(self) -> str | None:
        """Why this index cannot keep vectors, or None when it can."""
        return "this index keeps no vectors"

    def missing_vectors(self, model: str, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` passages (id, indexed text) with no vector of ``model`` yet."""
        return []

    def put_vectors(self, model: str, vectors: list[tuple[int, list[float]]]) -> None:
        """Store the vectors of passages (by id)."""
        raise NotImplementedError(self.vectors_unavailable())

    def vector_search(self, model: str, vector: list[float], k: int) -> list[Passage]:
        """The ``k`` passages nearest ``vector`` (cosine), best first."""
        return []

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # -- the algorithm ------------------------------------------------------------------------

    def up_to_date(self, files: list[Found]) -> SyncReport | None:
        """The report of a sync that would change nothing, or None: one ``stat`` per file."""
        if self.stored_settings() != self.settings:
            return None
        rows = self.rows()
        usable = [f for f in files if f.problem is None]
        if len(rows) != len(usable):
            return None
        report = SyncReport()
        for found in usable:
            row = rows.get(found.name)
            if row is None or (row.size, row.mtime_ns) != (found.size, found.mtime_ns):
                return None
            if row.error:
                report.unreadable[found.name] = row.error
            else:
                report.unchanged += 1
        return report

    def sync(self, files: list[Found]) -> SyncReport:
        """Bring the index up to date with ``files`` (the module docstring says how)."""
        quick = self.up_to_date(files)
        if quick is not None:
            return quick
        report = SyncReport()
        with self.writing():
            if self.stored_settings() != self.settings:
                self.clear()
            rows = self.rows()
            usable = {f.name: f for f in files if f.problem is None}
            for name in sorted(set(rows) - set(usable)):
                self.drop_file(name)
                report.removed.append(name)
            for name, found in sorted(usable.items()):
                self._sync_file(found, rows.get(name), report)
            self.collect()
        return report

    def _sync_file(self, found: Found, row: FileRow | None, report: SyncReport) -> None:
        name = found.name
        try:
            stat = os.stat(found.path)
        except OSError as exc:
            self._unreadable(name, 0, 0, "", f"cannot be read: {exc.strerror}", report)
            return
        if row is not None and (row.size, row.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            if row.error:
                report.unreadable[name] = row.error
            else:
                report.unchanged += 1
            return
        if stat.st_size > self.max_bytes:
            reason = f"is {stat.st_size / 1e6:.1f} MB, over the limit of {self.max_bytes / 1e6:g} MB"
            self._unreadable(name, stat.st_size, stat.st_mtime_ns, "", reason, report)
            return
        try:
            data = found.path.read_bytes()
        except OSError as exc:
            self._unreadable(name, stat.st_size, stat.st_mtime_ns, "", f"cannot be read: {exc.strerror}", report)
            return
        digest = hashlib.sha256(data).hexdigest()
        if row is not None and row.sha256 == digest and not row.error:
            self.put_file(FileRow(name, stat.st_size, stat.st_mtime_ns, digest, True))
            report.unchanged += 1
            return
        if not self.has_document(digest):
            try:
                chunks = self._chunks(found.path, data)
            except DocumentError as exc:
                self._unreadable(name, stat.st_size, stat.st_mtime_ns, digest, str(exc), report)
                return
            self.add_document(digest, chunks)
            report.chunks += len(chunks)
        self.put_file(FileRow(name, stat.st_size, stat.st_mtime_ns, digest, True))
        report.indexed.append(name)

    def _chunks(self, path: Path, data: bytes) -> list[Chunk]:
        kind = kind_of(path)
        if kind is None:
            raise DocumentError(f"the file type {path.suffix or '(none)'} is not supported")
        if kind == "docx":
            from gptkit.knowledge.files import zip_problem

            problem = zip_problem(path, self.max_bytes)
            if problem:
                raise DocumentError(problem)
        return chunk(parse_data(kind, data), self.chunk_tokens, self.overlap_tokens)

    def _unreadable(
        self, name: str, size: int, mtime_ns: int, digest: str, reason: str, report: SyncReport
    ) -> None:
        self.put_file(FileRow(name, size, mtime_ns, digest, False, reason))
        report.unreadable[name] = reason

    def status(self, files: list[Found]) -> Iterator[FileState]:
        """Each file's state: indexed, changed, new, missing (indexed, now gone), unreadable."""
        rows = self.rows() if self.stored_settings() == self.settings else {}
        seen = set()
        for found in files:
            seen.add(found.name)
            if found.problem is not None:
                yield FileState(found.name, "unreadable", found.problem)
                continue
            row = rows.get(found.name)
            if row is None:
                yield FileState(found.name, "new", "not indexed yet")
            elif not _same_stat(row, found.path):
                yield FileState(found.name, "changed", "changed since it was indexed")
            elif row.error:
                yield FileState(found.name, "unreadable", row.error)
            else:
                yield FileState(found.name, "indexed")
        for name in sorted(set(rows) - seen):
            yield FileState(name, "missing", "indexed, but no longer there")


def _same_stat(row: FileRow, path: Path) -> bool:
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return (row.size, row.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
