"""The documents bench/knowledge measures on, assembled from text that ships with Python and the
installed packages (shared by bench/knowledge and bench/knowledge-data/make_questions.py).

- The quality corpus: every topic of Python's own documentation in ``pydoc_data.topics`` (the
  text ``help()`` shows), one reStructuredText file per topic, and the long description (the
  README) of each installed package's ``METADATA``, as Markdown or reStructuredText as it says.
- The volume corpus: the ``.py`` files of the standard library, then of the installed
  packages, as text, up to a size.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import re
import sysconfig
from pathlib import Path


def quality_corpus(folder: Path) -> list[Path]:
    """Write the quality corpus into ``folder``; the files, sorted."""
    from pydoc_data.topics import topics

    written = []
    (folder / "python").mkdir(parents=True, exist_ok=True)
    for name, text in sorted(topics.items()):
        path = folder / "python" / f"{_safe(name)}.rst"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    (folder / "packages").mkdir(parents=True, exist_ok=True)
    seen = set()
    for dist in sorted(importlib.metadata.distributions(), key=lambda d: d.metadata["Name"] or ""):
        name = (dist.metadata["Name"] or "").lower()
        raw = dist.read_text("METADATA")
        if not name or name in seen or not raw:
            continue
        seen.add(name)
        message = email.parser.Parser().parsestr(raw)
        body = message.get_payload()
        if not isinstance(body, str) or len(body) < 2000:
            continue
        kind = (message.get("Description-Content-Type") or "").lower()
        suffix = ".md" if "markdown" in kind else ".rst"
        path = folder / "packages" / f"{_safe(name)}{suffix}"
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return sorted(written)


def volume_corpus(folder: Path, megabytes: float) -> list[Path]:
    """Copy standard-library modules into ``folder`` as .txt files until ``megabytes``."""
    paths = sysconfig.get_paths()
    folder.mkdir(parents=True, exist_ok=True)
    written, total = [], 0
    for label in ("stdlib", "purelib"):
        top = Path(paths[label])
        for source in sorted(top.rglob("*.py")):
            if label == "stdlib" and ("site-packages" in source.parts or "test" in source.parts):
                continue
            try:
                data = source.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            path = folder / (label + "_" + _safe(str(source.relative_to(top))) + ".txt")
            path.write_text(data, encoding="utf-8")
            written.append(path)
            total += len(data.encode())
            if total >= megabytes * 1e6:
                return written
    return written


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
