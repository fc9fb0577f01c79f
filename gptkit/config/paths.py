"""Paths an assistant file names (``extends``, ``instructions_file``, includes): kept inside.

A name is read relative to the folder of the file that gives it, and judged by where it really
leads: ``./prompts/system.md``, ``prompts//system.md`` and ``prompts/../prompts/system.md`` are
the same file as ``prompts/system.md`` and all accepted; a name that is absolute, starts with
``~``, or resolves (``..`` and symbolic links followed) to a place outside the allowed folder is
refused, however it is spelt.
"""

from __future__ import annotations

import os
from pathlib import Path

from gptkit.config.yamlfile import is_within


def is_relative_name(name: str) -> bool:
    """Whether ``name`` is a relative path: not empty, not absolute, not ``~``, no NUL."""
    return bool(name) and "\0" not in name and not os.path.isabs(name) and not name.startswith("~")


def inside(folder: Path, name: str, root: Path | None = None) -> Path | None:
    """The file ``name`` names relative to ``folder``, or None when it would leave ``root``.

    Args:
        folder: the folder ``name`` is relative to.
        name: the path as the file gives it.
        root: the folder the resolved path must stay inside; ``folder`` when not given.

    Returns:
        ``folder / name`` with ``.`` segments and doubled slashes dropped (``..`` is kept, so
        the operating system follows it after any link, as it will when the file is opened),
        or None for a name that is not relative or resolves outside ``root``.
    """
    if not is_relative_name(name):
        return None
    path = folder / name  # pathlib drops "." segments and empty ones (a doubled slash)
    return path if is_within(path, folder if root is None else root) else None


def temporary_sibling(path: Path) -> Path:
    """A fresh name beside ``path`` to write to before ``os.replace``-ing it into place: unique
    per process and call, so two writers of one file never share a half-written temporary."""
    import secrets

    return path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
