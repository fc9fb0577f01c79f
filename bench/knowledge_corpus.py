"""The documents bench/knowledge measures on, assembled from text that ships with Python and the
installed packages (shared by bench/knowledge and bench/knowledge-data/make_questions.py).

- The quality corpus: every topic of Python's own documentation in ``pydoc_data.topics`` (the
  text ``help()`` shows), one reStructuredText file per topic; the long description (the
  README) of each installed package's ``METADATA``, as Markdown or reStructuredText as it says;
  and the docstrings of the standard library's public top-level modules, one Markdown file per
  module (a heading per class, function and method).
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
    (folder / "docstrings").mkdir(parents=True, exist_ok=True)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for source in sorted(stdlib.glob("*.py")):
        if source.name.startswith("_"):
            continue
        text = _docstrings(source)
        if len(text) >= 2000:
            path = folder / "docstrings" / f"{source.stem}.md"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return sorted(written)


def _docstrings(source: Path) -> str:
    """The module's docstrings as Markdown: the module's, then each public class and function's
    under a heading of its name (methods under their class)."""
    import ast

    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return ""
    parts = [f"# {source.stem}\n\n{ast.get_docstring(tree) or ''}"]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            doc = ast.get_docstring(node)
            if doc:
                parts.append(f"## {node.name}\n\n{doc}")
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        doc = ast.get_docstring(item)
                        if doc:
                            parts.append(f"### {node.name}.{item.name}\n\n{doc}")
    return "\n\n".join(parts) + "\n"


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
