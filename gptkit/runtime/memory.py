"""The memory policy of one conversation, over the store or, when nothing is stored, in process.

- ``none``: every turn starts empty; nothing is stored.
- ``window`` / ``tokens``: the last ``max_messages`` messages / as many as fit ``max_tokens``.
- ``summary``: the messages a running summary does not cover yet; when they grow over
  ``max_messages``, the older ones are folded into the summary by the model (``summary_model``,
  else the assistant's model), incrementally, and templates see it as ``memory.summary``.

A conversation is stored when it has a session id (``--session``, and every ``chat``); long-term
facts (``memory.long_term``) are stored per assistant and user whenever they are on. A turn is
written in one transaction after it completes, so a failed or cancelled turn leaves nothing.
Under ``summary`` the fold runs before the turn is written; when the summary call fails the turn
is still kept (with a warning) and the next turn folds again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gptkit.messages import Message, Usage
from gptkit.prompts.render import MemoryView

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.memory.store import Store

#: (earlier summary, messages to fold) -> (new summary, the call's usage)
Summarize = Callable[[str, list[Message]], Awaitable[tuple[str, Usage | None]]]


@dataclass(frozen=True)
class Fold:
    """A new running summary: it covers the session's messages through ``through_seq``."""

    text: str
    through_seq: int
    usage: Usage | None = None  # what the summary call used


class ConversationMemory:
    """What a session remembers and where; see the module docstring."""

    def __init__(
        self,
        config: Assistant,
        *,
        session_id: str | None,
        user: str,
        root: Path,
        secrets: tuple[str, ...] = (),
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.policy = config.memory.policy
        self.session_id = session_id
        self.user = user
        self.root = root
        self.secrets = secrets
        self._store = store
        self._opened = False
        self._exists = False  # whether the stored session exists yet
        self.local: list[Message] = []  # the conversation when it is not stored
        # window policy, stored: the last max_messages messages, through seq _tail_last. Each
        # turn then reads only what is new (its own last turn, or another process's), not the
        # whole window again: the cost of a turn does not grow with the conversation.
        self._tail: list[Message] = []
        self._tail_last = 0

    @property
    def stored(self) -> bool:
        """Whether turns go to the store (a session id, and a policy that keeps anything)."""
        return self.session_id is not None and self.policy != "none"

    @property
    def store(self) -> Store:
        """The store, opened (and old sessions purged) on first use."""
        if self._store is None:
            from gptkit.memory.backends import open_store
            from gptkit.memory.redact import Redactor

            memory = self.config.memory
            redactor = Redactor(memory.redact, literals=self.secrets)
            self._store = open_store(memory.store, project_root=self.root, redactor=redactor)
        if not self._opened:
            self._opened = True
            memory = self.config.memory
            if memory.retention_days is not None:
                self._store.purge(self.config.name, memory.retention_days)
            if self.stored:  # resuming someone else's session is refused before any call
                self._check_owner(self._store)
        return self._store

    def _check_owner(self, store: Store) -> None:
        from gptkit.errors import StoreError

        info = store.get_session(self.session_id)  # type: ignore[arg-type]
        self._exists = info is not None
        if info is None:
            return  # created with its first turn: reading (render) never writes
        if info.assistant != self.config.name:
            raise StoreError(
                f"session {self.session_id!r} belongs to the assistant {info.assistant!r}, not "
                f"{self.config.name!r}; use another session id, or leave it out to start a new one."
            )
        if info.user is not None and info.user != self.user:
            raise StoreError(f"session {self.session_id!r} belongs to another user; use another session id.")

    def view(self) -> MemoryView:
        """What templates see as ``memory``: the user's facts and the session's summary."""
        facts: tuple[str, ...] = ()
        summary = ""
        if self.config.memory.long_term:
            facts = tuple(f.text for f in self.store.facts(self.config.name, self.user))
        if self.stored and self.policy == "summary":
            found = self.store.summary(self.session_id)  # type: ignore[arg-type]
            summary = found.text if found else ""
        return MemoryView(facts, summary)

    def context(self) -> list[Message]:
        """The past messages the next request carries."""
        memory = self.config.memory
        if self.policy == "none":
            return []
        if self.stored:
            store, sid = self.store, self.session_id
            if self.policy == "tokens":
                return store.recent(sid, max_tokens=memory.max_tokens)  # type: ignore[arg-type]
            if self.policy == "summary":
                found = store.summary(sid)  # type: ignore[arg-type]
                return store.messages_after(sid, found.through_seq if found else 0)  # type: ignore[arg-type]
            return self._window(memory.max_messages)
        if not self.local:
            return []
        from gptkit.memory import policies

        if self.policy == "tokens":
            return policies.fit_tokens(self.local, memory.max_tokens)
        return policies.window(self.local, memory.max_messages)

    def _window(self, size: int) -> list[Message]:
        from gptkit.memory import policies

        store, sid = self.store, self.session_id
        last = store.count(sid)  # type: ignore[arg-type]
        if last < self._tail_last:  # the session was deleted or rewritten meanwhile
            self._tail, self._tail_last = [], 0
        if last > self._tail_last:
            start = max(self._tail_last, last - size)
            new = store.messages_between(sid, start, last)  # type: ignore[arg-type]
            self._tail = (self._tail + new if start == self._tail_last else new)[-size:]
            self._tail_last = last
        return policies.window(self._tail, size)

    def commit(self, turn: list[Message], summary: Fold | None = None) -> None:
        """Keep a completed turn (one transaction when stored), then its new summary, if any."""
        if self.policy == "none":
            return
        if self.stored:
            store = self.store
            if not self._exists:
                store.ensure_session(self.config.name, self.session_id, self.user)  # type: ignore[arg-type]
                self._exists = True
            store.append_turn(self.session_id, turn)  # type: ignore[arg-type]
            if summary is not None:
                store.set_summary(self.session_id, summary.text, summary.through_seq)  # type: ignore[arg-type]
        else:
            self.local.extend(turn)
            if self.policy == "summary" and len(self.local) > 4 * self.config.memory.max_messages:
                from gptkit.memory import policies  # unstored: keep the process bounded

                self.local = policies.window(self.local, self.config.memory.max_messages)

    async def fold(self, summarize: Summarize, turn: list[Message]) -> Fold | None:
        """Under ``summary``, the new summary once ``turn`` is kept; None when none is due.

        The messages over ``max_messages`` (counting ``turn``, not stored yet) are folded into
        the summary; :meth:`commit` writes it after the turn. Nothing is written here, so a
        failed or cancelled summary call changes nothing, and the next turn folds again.
        """
        if self.policy != "summary" or not self.stored:
            return None
        from gptkit.memory import policies

        store, sid = self.store, self.session_id
        found = store.summary(sid)  # type: ignore[arg-type]
        through = found.through_seq if found else 0
        pending = store.messages_after(sid, through) + list(turn)  # type: ignore[arg-type]
        if len(pending) <= self.config.memory.max_messages:
            return None
        folded, _ = policies.split_for_summary(pending, keep_messages=self.config.memory.max_messages)
        if not folded:
            return None
        text, usage = await summarize(found.text if found else "", folded)
        return Fold(text, through + len(folded), usage)

    def history(self) -> list[Message]:
        """Every message of the conversation so far."""
        if self.stored:
            return self.store.messages(self.session_id)  # type: ignore[arg-type]
        return list(self.local)

    def close(self) -> None:
        self._tail, self._tail_last = [], 0
        if self._store is not None:
            self._store.close()
            self._store = None
            self._opened = False


SUMMARY_PROMPT = """You keep the running summary of a conversation between a user and an assistant.
Merge the earlier summary and the new messages into one concise summary (at most 200 words) that
keeps what matters for continuing the conversation: the user's goals, decisions, facts given,
open questions. Write only the summary."""


def summary_request_text(previous: str, messages: list[Message]) -> str:
    """The user message of a summary call: the earlier summary and the messages to fold."""
    lines = [f"Earlier summary:\n{previous or '(none)'}", "", "New messages:"]
    for message in messages:
        if message.role == "tool":
            lines.append(f"[tool {message.name} result] {message.content[:500]}")
        elif message.tool_calls:
            calls = ", ".join(f"{c.name}({c.arguments[:200]})" for c in message.tool_calls)
            lines.append(f"assistant (calls {calls}) {message.content}".rstrip())
        else:
            lines.append(f"{message.role}: {message.content}")
    return "\n".join(lines)


def summary_messages(previous: str, messages: list[Message]) -> list[Message]:
    """The one message of a summary call."""
    return [Message("user", summary_request_text(previous, messages))]
