"""Which files a ``knowledge:`` section names, and whether each may be used, reading no content.

Globs are taken from the assistant file's folder and must stay inside the project folder: a
path that leads out of it (``..``, an absolute path, or a symlink whose target is outside) is
refused. Only the checks that need no parsing are here: the file type by its suffix and the
size by ``stat``; :func:`sniff` adds the cheap content checks (a DOCX's zip directory, a PDF's
trailer) that validate runs.
"""

from __future__ import annotations

import glob
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gptkit.knowledge.errors import DocumentError
from gptkit.knowledge.text import decode

#: suffix -> the document kind its parser reads
KINDS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".csv": "csv",
    ".json": "json",
}
MAX_ZIP_RATIO = 100  # a DOCX whose parts expand more than this is treated as a bomb
MAX_ZIP_ENTRIES = 10_000
PDF_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Found:
    """One file a glob matched: its path, its name relative to the project, and its problem."""

    path: Path
    name: str  # relative to the project, with "/" separators: how citations name it
    glob_index: int
    problem: str | None = None  # why it cannot be used (outside, type, size), else None
    code: str = ""  # the problem code validate reports
    size: int = -1  # from the one stat find_files made
    mtime_ns: int = -1


@dataclass(frozen=True)
class Unmatched:
    """A glob that matched no file."""

    pattern: str
    glob_index: int


def kind_of(path: Path) -> str | None:
    """The document kind of ``path`` by its suffix, or None when it is not supported."""
    return KINDS.get(path.suffix.lower())


def find_files(
    patterns: list[str], folder: Path, root: Path, max_bytes: int
) -> tuple[list[Found], list[Unmatched]]:
    """Expand ``patterns`` (relative to ``folder``), each file once, checked as the module says."""
    real_root = Path(os.path.realpath(root))
    folders: dict[str, str] = {}  # a folder -> its real path: symlinked folders resolved once
    found: dict[str, Found] = {}
    unmatched: list[Unmatched] = []
    for index, pattern in enumerate(patterns):
        if os.path.isabs(pattern) or pattern.startswith("~"):
            found[pattern] = Found(
                Path(pattern), pattern, index,
                "an absolute path; give a glob relative to the assistant file, inside the project",
                "knowledge-outside",
            )
            continue
        matched = False
        for match in sorted(glob.glob(pattern, root_dir=folder, recursive=True)):
            text = os.path.normpath(os.path.join(folder, match))
            try:
                info = os.lstat(text)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                real_text = os.path.realpath(text)
                try:
                    info = os.stat(real_text)
                except OSError:
                    info = None  # type: ignore[assignment]
            else:
                parent, name = os.path.split(text)
                if parent not in folders:
                    folders[parent] = os.path.realpath(parent)
                real_text = os.path.join(folders[parent], name)
            if info is not None and stat.S_ISDIR(info.st_mode):
                continue
            matched = True
            if real_text in found:
                continue
            found[real_text] = _checked(text, real_text, real_root, index, max_bytes, info)
        if not matched:
            unmatched.append(Unmatched(pattern, index))
    return sorted(found.values(), key=lambda f: f.name), unmatched


def _checked(
    text: str, real_text: str, root: Path, index: int, max_bytes: int, info: os.stat_result | None
) -> Found:
    # strings, not Paths: this runs once per file at the start of every run
    path = Path(text)
    top = str(root)
    if not real_text.startswith(top.rstrip(os.sep) + os.sep):
        # a path that leads out by "..", or through a symlinked file or folder
        linked = os.path.abspath(text) != real_text
        where = f"is a symlink to {real_text}, outside" if linked else "is outside"
        return Found(
            path, _shown(path, root), index,
            f"{where} the project ({root}); knowledge files must stay inside it",
            "knowledge-outside",
        )
    name = real_text[len(top.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    suffix = os.path.splitext(real_text)[1]
    if suffix.lower() not in KINDS:
        return Found(
            path, name, index,
            f"is of type {suffix or '(no suffix)'}, which is not supported; use one of "
            + ", ".join(sorted({s for s in KINDS})),
            "knowledge-type",
        )
    if info is None:
        return Found(path, name, index, "cannot be read: a broken symlink", "knowledge-unreadable")
    if info.st_size > max_bytes:
        return Found(
            path, name, index,
            f"is {info.st_size / 1e6:.1f} MB, over knowledge.max_file_mb ({max_bytes / 1e6:g} MB)",
            "knowledge-size",
        )
    return Found(path, name, index, size=info.st_size, mtime_ns=info.st_mtime_ns)


def sniff(path: Path, max_bytes: int) -> str | None:
    """A cheap content check, or None when it passes: what validate reads of a document.

    A DOCX's zip directory (not its parts) shows a bomb; a PDF's last 64 KB show an /Encrypt
    entry or a missing %%EOF; a text file is decoded as UTF-8 (reading it is the check).
    """
    kind = kind_of(path)
    try:
        if kind == "docx":
            return zip_problem(path, max_bytes)
        if kind == "pdf":
            with path.open("rb") as handle:
                head = handle.read(5)
                if head != b"%PDF-":
                    return "is not a PDF (it does not start with %PDF-)"
                size = path.stat().st_size
                handle.seek(max(0, size - PDF_TAIL_BYTES))
                tail = handle.read()
                if b"%%EOF" not in tail:  # cut short (a partial download): pypdf cannot read it
                    return "is a damaged PDF (it does not end with %%EOF: cut short?)"
                if b"/Encrypt" in tail:
                    return "is an encrypted PDF; save an unencrypted copy"
            return None
        if kind is not None:
            decode(path.read_bytes())
    except DocumentError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    return None


def zip_problem(path: Path, max_bytes: int) -> str | None:
    """Why the zip at ``path`` must not be opened (a bomb, not a zip), from its directory alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"is not a valid DOCX (zip) file: {exc}"
    if len(entries) > MAX_ZIP_ENTRIES:
        return f"has {len(entries):,} parts, over {MAX_ZIP_ENTRIES:,}: refused as an archive bomb"
    total = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if total > max_bytes * 4 or total / packed > MAX_ZIP_RATIO and total > 1_000_000:
        return (
            f"expands to {total / 1e6:,.1f} MB from {packed / 1e6:,.2f} MB: refused as an "
            "archive bomb"
        )
    return None


def _shown(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return str(path)
