"""Opening a store from a ``memory.store`` URL: the one module that knows the backends.

:mod:`gptkit.memory.store` holds only the interface; this module picks SQLite
(:mod:`gptkit.memory.sqlite`) or PostgreSQL (:mod:`gptkit.memory.postgres`, imported only when a
``postgresql://`` URL asks for it) and decides where an SQLite file may be.

Where an SQLite file may be (the containment rule). An assistant file can come from someone
else (a pull request, a downloaded project), so a path it names must not make gptkit create or
write a database anywhere on the machine:

- a path from the assistant file must resolve (symlinks included) inside the project folder or
  the gptkit home; a relative path is taken from the project folder;
- a URL the person gave themselves is not limited: one typed on the command line
  (``gptkit sessions --store URL``, ``named_by_user=True``) or one that is, whole, the value of an
  environment variable (``memory.store: ${GPTKIT_STORE}`` with ``GPTKIT_STORE=sqlite:////x.db``).
  A file can only *refer* to the environment; it cannot set it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gptkit.errors import StoreError
from gptkit.memory.store import DB_NAME, Store, default_home

SQLITE_PREFIX = "sqlite:///"


def open_store(
    url: str | None,
    *,
    project_root: Path,
    home: Path | None = None,
    redactor: Any = None,
    named_by_user: bool = False,
) -> Store:
    """Open the store ``memory.store`` names (creating an SQLite file that is not there yet).

    Args:
        url: None for ``<home>/gptkit.db``; ``sqlite:///relative/path.db`` (from
            ``project_root``); ``sqlite:////absolute/path.db``; ``sqlite:///:memory:`` (a
            private, temporary store); ``postgresql://...`` or ``postgres://...`` (needs psycopg:
            ``pip install 'gptkit[postgres]'``). Where an SQLite file may be: see the module
            docstring.
        project_root: the folder of the assistant's project (the current folder for a URL typed
            on the command line).
        home: gptkit's data folder (default :func:`~gptkit.memory.store.default_home`).
        redactor: applied to everything written (a :class:`~gptkit.memory.redact.Redactor`).
        named_by_user: the person typed ``url`` (the command line): no containment.

    Raises:
        StoreError: the URL is not usable or the database cannot be opened; the message says
            why and never holds a password.
    """
    if isinstance(url, str) and url.startswith(("postgresql://", "postgres://")):
        from gptkit.memory.postgres import PostgresStore

        return PostgresStore(url, redactor=redactor)
    from gptkit.memory.sqlite import SQLiteStore

    if url == SQLITE_PREFIX + ":memory:":
        return SQLiteStore(":memory:", redactor=redactor)
    path = sqlite_path(url, project_root=project_root, home=home, named_by_user=named_by_user)
    assert path is not None
    _make_folder(path.parent)
    return SQLiteStore(path, redactor=redactor)


def sqlite_path(
    url: str | None,
    *,
    project_root: Path,
    home: Path | None = None,
    named_by_user: bool = False,
) -> Path | None:
    """The SQLite file ``url`` names, resolved and checked, without creating anything.

    None for a store that is not an SQLite file (PostgreSQL, ``:memory:``). Raises
    :class:`StoreError` as :func:`open_store` does for an unusable URL.
    """
    home = Path(home) if home is not None else default_home()
    if url is None:
        return home / DB_NAME
    if not isinstance(url, str):
        raise StoreError(f"memory.store must be a URL string, got {type(url).__name__}.")
    if url.startswith(("postgresql://", "postgres://")):
        return None
    if not url.startswith(SQLITE_PREFIX):
        shown = url.split("://", 1)[0] + "://..." if "://" in url else repr(url[:40])
        raise StoreError(
            f"memory.store {shown} is not supported: use sqlite:///path/to.db (relative to the "
            "project), sqlite:////absolute/path.db or postgresql://..."
        )
    raw = url[len(SQLITE_PREFIX) :]
    if raw == ":memory:":
        return None
    path_text = unquote(raw)
    if not path_text or any(c in path_text for c in "?#\x00"):
        raise StoreError(
            f"memory.store {url!r}: give a file path after sqlite:/// (no query or fragment)."
        )
    if path_text.startswith("~"):
        raise StoreError(
            f"memory.store {url!r}: '~' is not expanded; use a path relative to the project, "
            "or an absolute path."
        )
    project = Path(os.path.realpath(project_root))
    candidate = Path(path_text) if os.path.isabs(path_text) else project / path_text
    real = Path(os.path.realpath(candidate))
    if not (named_by_user or _from_environment(url)):
        homes = (project, Path(os.path.realpath(home)))
        if not any(real.is_relative_to(root) for root in homes):
            raise StoreError(
                f"memory.store {url!r} points outside the project ({project_root}) and the "
                f"gptkit home ({home}): it resolves to {real}. An assistant file may only keep "
                "its database inside one of them; to use another place, set memory.store to "
                "${VAR} and name the store in that environment variable, or leave memory.store "
                "out to use the gptkit home."
            )
    if real.is_dir():
        raise StoreError(f"memory.store {url!r} is a folder; name a database file.")
    return real


def _from_environment(url: str) -> bool:
    """Whether ``url`` is, whole, the value of an environment variable (the person set it)."""
    return any(value == url for value in os.environ.values())


def _make_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder} for the memory store: {exc}.") from exc
