"""An assistant's knowledge at run time: the index opened, brought up to date, and searched.

The index is SQLite in the folder of the memory store (the gptkit home by default), or the
PostgreSQL database when ``memory.store`` is PostgreSQL (so several machines share it). It is
synced once per session, before the first turn; a file that cannot be read becomes a warning
naming it, and the others are searched. ``mode: tool`` adds the ``search_knowledge`` tool;
``mode: context`` puts the best passages for each user message into the system prompt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from gptkit.errors import StoreError
from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.files import find_files
from gptkit.knowledge.passages import Passage, as_documents

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.knowledge.files import Found
    from gptkit.knowledge.index import FileState, Index, SyncReport
    from gptkit.tools.base import Tool

TOOL_NAME = "search_knowledge"


class Knowledge:
    """One assistant's knowledge files and their index."""

    def __init__(self, assistant: Assistant, root: Path, folder: Path) -> None:
        assert assistant.knowledge is not None
        self.assistant = assistant
        self.settings = assistant.knowledge
        self.root = root
        self.folder = folder
        self.max_bytes = int(self.settings.max_file_mb * 1_000_000)
        self._index: Index | None = None
        self._synced: SyncReport | None = None
        self.used: list[Passage] = []  # passages given to the model in the current turn

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
            self._synced = self.index.sync(self.files())
        except DocumentError as exc:
            raise StoreError(str(exc)) from None
        return self._synced

    def warnings(self) -> list[str]:
        """The files left out of the index, each with its reason (synced once per session)."""
        report = self._synced if self._synced is not None else self.sync()
        found = self.files()
        problems = {f.name: f.problem for f in found if f.problem}
        problems.update(report.unreadable)
        found_warnings = [
            f"knowledge file {name} {reason}; it is left out, the other files are searched"
            for name, reason in sorted(problems.items())
        ]
        if self.settings.embeddings is not None:
            found_warnings.append(
                "knowledge.embeddings is not used by this version of gptkit: passages are "
                "ranked by BM25 alone"
            )
        return found_warnings

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """The best passages for ``query`` (``knowledge.top_k`` of them by default)."""
        if self._synced is None:
            self.sync()
        return self.index.search(query, k or self.settings.top_k)

    def status(self) -> list[FileState]:
        """Each file's state, for ``gptkit knowledge status``."""
        return list(self.index.status(self.files()))

    def context_block(self, message: str) -> str:
        """For ``mode: context``: the passages for ``message``, quoted, for the system prompt."""
        passages = self.search(message)
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
            passages = self.search(query)
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
            folder / "knowledge" / f"{corpus}.db",
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
