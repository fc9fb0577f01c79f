"""Session ids and the other names the store keeps: checked before they reach a query or a path.

A session id comes from the command line (``--session``), an API caller or :func:`new_session_id`.
It is kept conservative so it is safe in a file name, a URL and a log line alike.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from gptkit.errors import StoreError

SESSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SESSION_ID_MEANING = (
    "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters, "
    "and no '..'"
)
MAX_NAME_CHARS = 200

_SESSION_ID = re.compile(SESSION_ID_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_session_id(value: object) -> bool:
    """Whether ``value`` is a usable session id."""
    return isinstance(value, str) and _SESSION_ID.fullmatch(value) is not None and ".." not in value


def check_session_id(value: object) -> str:
    """Return ``value`` when it is a usable session id, else raise :class:`StoreError`."""
    if not is_session_id(value):
        raise StoreError(
            f"invalid session id {_show(value)}: use {SESSION_ID_MEANING}, "
            "for example '2024-06-01-trip' (or leave it out to start a new session)."
        )
    return value  # type: ignore[return-value]


def check_name(value: object, what: str) -> str:
    """Return ``value`` when it is usable as an assistant name or user id, else raise."""
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"invalid {what} {_show(value)}: it must be a non-empty string.")
    if len(value) > MAX_NAME_CHARS or _CONTROL.search(value):
        raise StoreError(
            f"invalid {what} {_show(value)}: at most {MAX_NAME_CHARS} characters, "
            "without control characters."
        )
    return value


def new_session_id(now: datetime | None = None) -> str:
    """A new, readable, unique session id: UTC date and time, then 6 random hex digits.

    For example ``20240601-142233-7f3a9c``; ids sort by creation time.
    """
    now = now or datetime.now(timezone.utc)
    return f"{now.astimezone(timezone.utc):%Y%m%d-%H%M%S}-{os.urandom(3).hex()}"


def _show(value: object) -> str:
    """A short, printable rendering of a rejected value."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
