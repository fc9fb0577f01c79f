"""An assistant's knowledge at run time: the index opened, brought up to date, and searched.

The index is SQLite in the folder of the memory store (the gptkit home by default), or the
PostgreSQL database when ``memory.store`` is PostgreSQL (so several machines share it). It is
synced once per session, before the first turn; a file that cannot be read becomes a warning
naming it, and the others are searched. ``mode: tool`` adds the ``search_knowledge`` tool;
``mode: context`` puts the best passages for each user message into the system prompt.

With ``knowledge.embeddings`` the passages also get vectors (through the model's provider and
base URL, at indexing for new passages, and one call per query), and a search fuses the BM25
ranking and the vector ranking by reciprocal rank (:func:`fuse`). The vectors are made over the
network even when a cassette is recorded (they are not part of the conversation), and not at all
while a cassette is replayed: then, as when the index cannot keep vectors (PostgreSQL without
pgvector) or the embeddings call fails, search is BM25 alone and a warning says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gptkit.config.names import KNOWLEDGE_TOOL
from gptkit.errors import GptkitError, StoreError
from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.files import find_files
from gptkit.knowledge.passages import Passage, as_documents

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.knowledge.files import Found
    from gptkit.knowledge.index import FileState, Index, SyncReport
    from gptkit.tools.base import Tool

TOOL_NAME = KNOWLEDGE_TOOL
RRF_K = 60  # the constant of reciprocal rank fusion: 1 / (RRF_K + rank)
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]


class Knowledge:
    """One assistant's knowledge files and their index."""

    def __init__(
        self,
        assistant: Assistant,
        root: Path,
        folder: Path,
        embed: Embed | None = None,
        no_embed_reason: str | None = None,
    ) -> None:
        assert assistant.knowledge is not None
        self.assistant = assistant
        self.settings = assistant.knowledge
        self.root = root
        self.folder = folder
        self.max_bytes = int(self.settings.max_file_mb * 1_000_000)
        self._index: Index | None = None
        self._synced: SyncReport | None = None
        self._found: list[Found] = []  # what the last sync looked at
        self.used: list[Passage] = []  # passages given to the model in the current turn
        self.embed = embed
        self.vector_problem = no_embed_reason  # why vectors are not used, when they are not
        self._prepared: list[str] | None = None

    def files(self) -> list[Found]:
        """The files the globs name, each checked (nothing is read)."""
        return find_files(list(self.settings.files), self.folder, self.root, self.max_bytes)[0]

    @property
    def index(self) -> Index:
        """The index, opened on first use."""
        if self._index is None:
            self._index = open_index(self.assistant, self.root)
        return self._index

    def sync(self) -> SyncReport:
        """Index what changed (see :mod:`gptkit.knowledge.index`)."""
        try:
            self._found = self.files()
            self._synced = self.index.sync(self._found)
        except DocumentError as exc:
            raise StoreError(str(exc)) from None
        return self._synced

    def warnings(self) -> list[str]:
        """The files left out of the index, each with its reason (synced once per session)."""
        report = self._synced if self._synced is not None else self.sync()
        found = self._found
        problems = {f.name: f.problem for f in found if f.problem}
        problems.update(report.unreadable)
        found_warnings = [
            f"knowledge file {name} {reason}; it is left out, the other files are searched"
            for name, reason in sorted(problems.items())
        ]
        return found_warnings

    async def aprepare(self) -> list[str]:
        """Sync, make the missing vectors (with embeddings); the warnings, once per session."""
        if self._prepared is not None:
            return []
        warnings = self.warnings()
        if self.settings.embeddings is not None:
            if self.embed is not None and self.vector_problem is None:
                self.vector_problem = self.index.vectors_unavailable()
            if self.embed is not None and self.vector_problem is None:
                try:
                    await self._embed_missing(self.settings.embeddings.model)
                except GptkitError as exc:
                    self.vector_problem = f"{exc}; passages are ranked by BM25 alone"
            if self.vector_problem:
                warnings.append(f"knowledge.embeddings: {self.vector_problem}")
        self._prepared = warnings
        return warnings

    async def _embed_missing(self, model: str) -> None:
        assert self.embed is not None
        while True:
            missing = self.index.missing_vectors(model, 256)
            if not missing:
                return
            vectors = await self.embed([text for _, text in missing])
            self.index.put_vectors(model, [(i, v) for (i, _), v in zip(missing, vectors, strict=True)])

    @property
    def hybrid(self) -> bool:
        """Whether searches fuse BM25 with vectors."""
        return (
            self.settings.embeddings is not None
            and self.embed is not None
            and self.vector_problem is None
            and self._prepared is not None
        )

    async def asearch(self, query: str, k: int | None = None) -> list[Passage]:
        """:meth:`search`, fused with the vector ranking when embeddings are on."""
        await self.aprepare()
        k = k or self.settings.top_k
        if not self.hybrid:
            return self.index.search(query, k)
        assert self.embed is not None and self.settings.embeddings is not None
        pool = max(3 * k, 20)
        lexical = self.index.search(query, pool)
        try:
            (vector,) = await self.embed([query])
        except GptkitError as exc:
            self.vector_problem = f"{exc}; passages are ranked by BM25 alone"
            return lexical[:k]
        nearest = self.index.vector_search(self.settings.embeddings.model, vector, pool)
        return fuse([lexical, nearest], k)

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """The best passages for ``query`` (``knowledge.top_k`` of them by default)."""
        if self._synced is None:
            self.sync()
        return self.index.search(query, k or self.settings.top_k)

    def status(self) -> list[FileState]:
        """Each file's state, for ``gptkit knowledge status``."""
        return list(self.index.status(self.files()))

    async def acontext_block(self, message: str) -> str:
        """For ``mode: context``: the passages for ``message``, quoted, for the system prompt."""
        passages = await self.asearch(message)
        self.used.extend(passages)
        return as_documents(passages)

    def tool(self) -> Tool:
        """The ``search_knowledge`` tool (``mode: tool``)."""
        from gptkit.tools.python import PythonTool

        async def search_knowledge(query: str) -> str:
            """Search the assistant's knowledge files (manuals, policies, price lists) and
            return the best passages, each with its file and page or section. Use it before
            answering a question the files may cover, and cite the sources you use.

            Args:
                query: What to look for, in a few keywords or a short question.
            """
            passages = await self.asearch(query)
            self.used.extend(passages)
            return as_documents(passages)

        return PythonTool.from_function(search_knowledge, name=TOOL_NAME)

    def take_used(self) -> list[Passage]:
        """The passages given to the model since the last call, each once."""
        seen: dict[tuple[str, str, str], Passage] = {}
        for passage in self.used:
            seen.setdefault((passage.file, passage.where, passage.text), passage)
        self.used = []
        return list(seen.values())

    def close(self) -> None:
        """Close the index's connection."""
        if self._index is not None:
            self._index.close()
            self._index = None

    async def aclose(self) -> None:
        """Close the embeddings client and the index."""
        closer = getattr(self.embed, "aclose", None)
        if closer is not None:
            await closer()
        self.close()


def fuse(rankings: list[list[Passage]], k: int) -> list[Passage]:
    """Reciprocal rank fusion: each passage scores the sum of 1 / (60 + its rank) in each
    ranking; the best ``k``, with that score."""
    scores: dict[tuple[str, str, str], float] = {}
    first: dict[tuple[str, str, str], Passage] = {}
    for ranking in rankings:
        for rank, passage in enumerate(ranking, start=1):
            key = (passage.file, passage.where, passage.text)
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
            first.setdefault(key, passage)
    best = sorted(scores, key=lambda key: -scores[key])[:k]
    return [
        Passage(first[key].file, first[key].where, first[key].text, scores[key]) for key in best
    ]


class Embedder:
    """``knowledge.embeddings`` calls over the network, with the model's endpoint."""

    def __init__(self, session: Any) -> None:
        from gptkit.providers.client import LazyTransport
        from gptkit.runtime.transport import Network

        self.endpoint = session.provider.endpoint
        self.secrets = tuple(session.secrets)
        self.model = session.assistant.knowledge.embeddings.model
        endpoint, secrets = self.endpoint, self.secrets
        self.transport = LazyTransport(lambda: Network().connect(endpoint, secrets))

    async def __call__(self, texts: list[str]) -> list[list[float]]:
        from gptkit.providers.embeddings import embed

        return await embed(
            self.transport, self.model, texts, base_url=self.endpoint.base_url, secrets=self.secrets
        )

    async def aclose(self) -> None:
        await self.transport.aclose()


def for_session(session: Any) -> Knowledge:
    """The knowledge of ``session``'s assistant, with an embedder when embeddings are on."""
    config = session.assistant
    embed: Embed | None = None
    reason = None
    if config.knowledge.embeddings is not None:
        # a cassette holds no embeddings call: a replay makes none, so a recording makes none
        # either, or its passages (and so its requests) could never be replayed
        cassette = getattr(session.transport, "cassette", None)
        if session.replay is not None or cassette == "replay":
            reason = "not used while a cassette is replayed; passages are ranked by BM25 alone"
        elif session.record is not None or cassette == "record":
            reason = ("not used while a cassette is recorded (its replay could not make the "
                      "same calls); passages are ranked by BM25 alone")
        else:
            embed = Embedder(session)
    return Knowledge(config, session.root, session.folder, embed, reason)

def open_index(assistant: Assistant, root: Path) -> Index:
    """The index of ``assistant``'s corpus: PostgreSQL beside a PostgreSQL store, else SQLite."""
    from gptkit.memory.backends import sqlite_path
    from gptkit.memory.store import default_home

    settings = assistant.knowledge
    assert settings is not None
    store = assistant.memory.store
    max_bytes = int(settings.max_file_mb * 1_000_000)
    corpus = corpus_key(assistant)
    try:
        if store is not None and store.startswith(("postgresql://", "postgres://")):
            from gptkit.knowledge.postgres import PostgresIndex

            return PostgresIndex(
                store, corpus, settings.chunk_tokens, settings.overlap_tokens, max_bytes
            )
        from gptkit.knowledge.sqlite import SQLiteIndex

        db = sqlite_path(store, project_root=root)
        folder = db.parent if db is not None else default_home()
        return SQLiteIndex(
            folder / "knowledge-index" / f"{corpus}.db",
            settings.chunk_tokens,
            settings.overlap_tokens,
            max_bytes,
        )
    except DocumentError as exc:
        raise StoreError(str(exc)) from None


def corpus_key(assistant: Assistant) -> str:
    """``<name>-<hash of the assistant file's path>``: one corpus per assistant file."""
    source = str(assistant.source_path or "")
    return f"{assistant.name}-{hashlib.sha256(source.encode()).hexdigest()[:12]}"
