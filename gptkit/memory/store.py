"""The memory store: sessions and their messages, summaries, and long-term facts.

:class:`Store` is the interface the runtime and the CLI use;
:func:`gptkit.memory.backends.open_store` opens one from a ``memory.store`` URL (this module
imports no backend). Two backends implement it with the same SQL (:class:`gptkit.memory.sql.SQLStore`), so they
behave the same: SQLite (:mod:`gptkit.memory.sqlite`, the default) and PostgreSQL
(:mod:`gptkit.memory.postgres`, needs ``pip install 'gptkit[postgres]'``).

Guarantees:

- A turn is written in one transaction, with consecutive sequence numbers (1, 2, ... in each
  session): all of it or none of it, whatever else writes the same session at the same time.
- Everything written passes through the :class:`~gptkit.memory.redact.Redactor` first: message
  text, tool-call arguments, tool results, facts and summaries. NUL characters and unpaired
  surrogates become U+FFFD (PostgreSQL cannot store them; SQLite then stores the same).
- Reading recent history costs the size of the answer, not of the history (an index on
  ``(session_id, seq)`` and a running token total per message).
- Times are seconds since the epoch (UTC) in the database, aware ``datetime`` objects here.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gptkit.messages import Message

MAX_FACT_CHARS = 1000
MAX_FACTS = 200  # per assistant and user: they all go into every prompt
DB_NAME = "gptkit.db"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One stored conversation."""

    id: str
    assistant: str
    user: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int


@dataclass(frozen=True, slots=True)
class Fact:
    """A long-term fact saved with ``remember``; ``id`` is what ``forget`` accepts too."""

    id: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    """The running summary of a session: it covers every message up to ``through_seq``."""

    text: str
    through_seq: int


class Store(abc.ABC):
    """Where conversations, summaries and facts are kept. Use as a context manager."""

    description: str = ""
    """Where the store is, for messages: a path, or ``postgresql://host:port/db`` (no password)."""

    # sessions -----------------------------------------------------------------------------

    @abc.abstractmethod
    def ensure_session(
        self, assistant: str, session_id: str, user: str | None = None
    ) -> SessionInfo:
        """The session ``session_id``, created for ``assistant`` and ``user`` when missing.

        Raises:
            StoreError: the id is invalid, or it belongs to another assistant, or to another
                user (a ``None`` user matches any).
        """

    @abc.abstractmethod
    def get_session(self, session_id: str) -> SessionInfo | None:
        """The session, or None when there is none with this id."""

    @abc.abstractmethod
    def list_sessions(self, assistant: str | None = None) -> list[SessionInfo]:
        """Every session (of ``assistant`` when given), the most recently updated first."""

    @abc.abstractmethod
    def delete_session(self, session_id: str) -> bool:
        """Delete a session with its messages and summary; False when there was none."""

    # messages -----------------------------------------------------------------------------

    def append_turn(self, session_id: str, messages: Sequence[Message]) -> None:
        """Store one complete turn in one transaction (see :func:`policies.turn_problem`).

        Raises:
            StoreError: the session does not exist, the turn is malformed, or the database failed
                (then nothing of the turn is stored).
        """
        self.append_turns(session_id, [messages])

    @abc.abstractmethod
    def append_turns(self, session_id: str, turns: Iterable[Sequence[Message]]) -> None:
        """Store several turns in one transaction (imports, benchmarks): all or nothing."""

    @abc.abstractmethod
    def recent(
        self,
        session_id: str,
        *,
        max_messages: int | None = None,
        max_tokens: int | None = None,
        after_seq: int = 0,
    ) -> list[Message]:
        """The most recent messages within the limits, oldest first (see :mod:`policies`).

        Only messages after ``after_seq`` are considered (the ones a summary does not cover).
        The answer never starts with a tool message nor exceeds a limit; it starts at a user
        message when one is within the limits. An unknown session has no messages.
        """

    @abc.abstractmethod
    def messages(self, session_id: str) -> list[Message]:
        """Every message of the session, oldest first."""

    @abc.abstractmethod
    def messages_between(self, session_id: str, after_seq: int, through_seq: int) -> list[Message]:
        """The messages with ``after_seq < seq <= through_seq``, oldest first."""

    def messages_after(self, session_id: str, seq: int) -> list[Message]:
        """The messages with a sequence number above ``seq`` (the first message has seq 1)."""
        return self.messages_between(session_id, seq, 2**62)

    @abc.abstractmethod
    def count(self, session_id: str) -> int:
        """How many messages the session holds (0 when there is no such session)."""

    # summaries ----------------------------------------------------------------------------

    @abc.abstractmethod
    def summary(self, session_id: str) -> Summary | None:
        """The session's running summary, if one was written."""

    @abc.abstractmethod
    def set_summary(self, session_id: str, text: str, through_seq: int) -> None:
        """Replace the session's summary; it covers the messages with ``seq <= through_seq``."""

    # facts --------------------------------------------------------------------------------

    @abc.abstractmethod
    def facts(self, assistant: str, user: str) -> list[Fact]:
        """The facts saved for this assistant and user, oldest first."""

    @abc.abstractmethod
    def remember(self, assistant: str, user: str, text: str) -> str:
        """Save a fact (once: the same text, ignoring case and spacing, is not saved twice).

        Returns:
            ``"remembered: TEXT"`` or ``"already remembered: TEXT"`` (TEXT as stored, redacted).
        """

    @abc.abstractmethod
    def forget(self, assistant: str, user: str, text_or_id: str) -> bool:
        """Delete the fact with this id, or whose text equals this (ignoring case and spacing)."""

    # upkeep -------------------------------------------------------------------------------

    @abc.abstractmethod
    def purge(self, assistant: str, retention_days: float) -> int:
        """Delete the assistant's sessions not updated for ``retention_days``; return how many.

        Their messages and summaries go with them; facts are per user and stay.
        """

    @abc.abstractmethod
    def integrity_check(self) -> list[str]:
        """Problems found in the stored data, as sentences; empty when all is well."""

    @property
    @abc.abstractmethod
    def schema_version(self) -> int:
        """The version of the database schema."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Where gptkit keeps its data
# --------------------------------------------------------------------------------------------


def default_home() -> Path:
    """gptkit's data folder: ``$GPTKIT_HOME``, else ``$XDG_DATA_HOME/gptkit``, else
    ``~/.local/share/gptkit``."""
    home = os.environ.get("GPTKIT_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "gptkit"
    return Path.home() / ".local" / "share" / "gptkit"
