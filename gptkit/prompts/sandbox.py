"""The Jinja environment every assistant template runs in.

``ImmutableSandboxedEnvironment`` blocks internals and mutation, ``StrictUndefined`` turns a
missing name into an error instead of an empty string, and the loader serves only files inside
the assistant's own folder (names with ``..``, absolute paths and symlinks out are refused).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from gptkit.config.yamlfile import MAX_FILE_BYTES, is_within


def make_environment(root: Path | None = None) -> Any:
    """Return a sandboxed environment whose includes are confined to ``root``."""
    from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _FolderLoader(BaseLoader):
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            if root is None:
                raise TemplateNotFound(template)
            path = template_path(root, template)
            refused = _refusal(template, path)
            if refused:
                raise TemplateNotFound(template, refused)  # the message says what and why
            mtime = path.stat().st_mtime
            text = path.read_text(encoding="utf-8")
            return text, str(path), lambda: path.stat().st_mtime == mtime

    return ImmutableSandboxedEnvironment(
        loader=_FolderLoader(),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@functools.lru_cache(maxsize=1)
def analysis_environment() -> Any:
    """A shared environment for parsing templates without rendering them."""
    return make_environment(None)


def _refusal(name: str, path: Path | None) -> str | None:
    """Why the include ``name`` (found at ``path``, None when outside) is refused, if it is."""
    if path is None:
        return (
            f"the include '{name}' was refused: it leads outside the assistant's folder "
            "(includes name files inside it, without '..')"
        )
    if not path.is_file():
        return f"the included template '{name}' does not exist in the assistant's folder"
    if path.stat().st_size > MAX_FILE_BYTES:
        return f"the included template '{name}' was refused: it is over 10 MiB"
    return None


def template_path(root: Path, name: str) -> Path | None:
    """Return the file an include name refers to, or None when it would leave ``root``.

    The rule of :func:`gptkit.config.paths.inside`: ``./a.md``, ``a//b.md`` and ``x/../a.md``
    are normal spellings of a file inside; absolute names, ``~`` and whatever resolves outside
    (``..``, a symbolic link) are refused.
    """
    if not name or os.path.isabs(name) or name.startswith("~"):
        return None
    path = root / name.replace("\\", "/")  # pathlib drops "." and empty segments
    return path if is_within(path, root) else None
