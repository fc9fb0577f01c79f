"""Rows and values: what the SQL stores and reads back, written once for both backends.

Text is cleaned before it is written (NUL and unpaired surrogates become U+FFFD, which
PostgreSQL needs and SQLite then matches); times are seconds since the epoch in the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from gptkit.errors import StoreError
from gptkit.memory.store import SessionInfo
from gptkit.messages import Message, ToolCall, Usage

MESSAGE_COLUMNS = "seq, role, content, tool_calls, tool_call_id, name, usage, tokens"
SESSION_COLUMNS = "id, assistant, user_id, created_at, updated_at, message_count"

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Text any database stores: NUL and unpaired surrogates become U+FFFD."""
    if not isinstance(text, str):
        raise StoreError(f"expected text, got {type(text).__name__}.")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text


def fact_key(text: str) -> str:
    """How facts are compared: case-folded, with spacing collapsed."""
    return " ".join(text.casefold().split())


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), timezone.utc)


def session_info(row: Sequence[Any]) -> SessionInfo:
    return SessionInfo(row[0], row[1], row[2], from_epoch(row[3]), from_epoch(row[4]), int(row[5]))


def message_from_row(row: Sequence[Any]) -> Message:
    _seq, role, content, calls, call_id, name, usage = row[:7]
    return Message(
        role=role,
        content=content,
        tool_calls=tuple(ToolCall(**c) for c in json.loads(calls)) if calls else (),
        tool_call_id=call_id,
        name=name,
        usage=Usage(**json.loads(usage)) if usage else None,
    )
