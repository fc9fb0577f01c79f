"""Checks of ``knowledge:``: the files exist, stay inside the project, are of a supported type
and within the size limit, and pass the cheap content checks of
:func:`gptkit.knowledge.files.sniff` (a DOCX's zip directory, a PDF's trailer, a text file's
encoding). No parser library is imported and no document is parsed.
"""

from __future__ import annotations

from pathlib import Path

from gptkit.config.compose import Composed
from gptkit.knowledge.files import find_files, sniff

DEFAULT_MAX_MB = 25


def check_knowledge(composed: Composed) -> None:
    """Report each knowledge file gptkit cannot use, at the glob that names it."""
    knowledge = composed.data.get("knowledge")
    if not isinstance(knowledge, dict):
        return
    patterns = knowledge.get("files")
    if not isinstance(patterns, list):
        return
    limit = knowledge.get("max_file_mb", DEFAULT_MAX_MB)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
        limit = DEFAULT_MAX_MB
    max_bytes = int(limit * 1_000_000)
    overlap, size = knowledge.get("overlap_tokens", 60), knowledge.get("chunk_tokens", 400)
    if isinstance(overlap, int) and isinstance(size, int) and overlap >= size:
        composed.problem(
            ("knowledge", "overlap_tokens"),
            "knowledge-overlap",
            f"overlap_tokens ({overlap}) must be less than chunk_tokens ({size})",
        )
    texts = [p if isinstance(p, str) else "" for p in patterns]
    found, unmatched = find_files(
        [t for t in texts if t], composed.path.parent, composed.root, max_bytes
    )
    positions = [i for i, t in enumerate(texts) if t]
    for miss in unmatched:
        composed.problem(
            ("knowledge", "files", positions[miss.glob_index]),
            "knowledge-missing",
            f"{miss.pattern!r} matches no file",
            "globs are relative to the assistant file's folder; check the path",
        )
    for file in found:
        where = ("knowledge", "files", positions[file.glob_index])
        if file.problem is not None:
            composed.problem(where, file.code, f"knowledge file {file.name} {file.problem}")
            continue
        problem = sniff(Path(file.path), max_bytes)
        if problem is not None:
            composed.problem(
                where,
                "knowledge-unreadable",
                f"knowledge file {file.name} {problem}",
                "fix or replace the file, or leave it out of knowledge.files",
            )
