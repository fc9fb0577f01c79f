"""The served assistants and their turns: stateless, or in a stored conversation, one at a time.

Each assistant has one base :class:`gptkit.Session`, opened at start: its API client, tools and
store are shared by every request (:meth:`gptkit.Session.sibling`).

- Stateless (no conversation id): the client's messages are the history; gptkit adds the system
  prompt and the tools, and keeps nothing.
- In a conversation (an id): the history is the stored conversation, read and written by the
  assistant's memory policy and store exactly as ``gptkit chat`` does (session id =
  conversation id). Only the client's last user message is taken. A second turn of a
  conversation while one is in flight is refused with 409 (:mod:`gptkit.serve.locks`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gptkit.serve.errors import ApiError
from gptkit.serve.locks import TurnLocks

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.memory.store import Store
    from gptkit.messages import Message
    from gptkit.runtime.events import Event
    from gptkit.runtime.session import Session
    from gptkit.serve.options import ServeOptions

#: What the page may use as a conversation id (and the API's X-Conversation-Id).
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_conversation_id(value: str) -> str:
    """``value`` when it is a usable conversation id, else a 400."""
    from gptkit.memory.ids import is_session_id

    if not CONVERSATION_ID.fullmatch(value) or not is_session_id(value):
        raise ApiError(
            400,
            "the conversation id must be 1 to 64 letters, digits, '_' or '-', starting with a "
            "letter or digit",
            "invalid_conversation_id",
            param="conversation",
        )
    return value


@dataclass
class Turn:
    """One request's turn: the session to run it in and what it sends."""

    served: Served
    session: Session
    text: str
    history: list[Message] | None  # None: the stored conversation's
    conversation: str | None

    def events(self) -> AsyncIterator[Event]:
        return self.session.astream(self.text, history=self.history)


class Served:
    """One assistant as the server runs it."""

    def __init__(self, config: Assistant, options: ServeOptions) -> None:
        import gptkit

        self.config = config
        self.name = config.name
        confirm = _allow if options.yes else None  # None: confirm: true tools are refused
        self.session: Session = gptkit.Session(config, user=options.user, confirm=confirm)
        self.user = options.user
        self.stores = config.memory.policy != "none"
        self._store: Store | None = None

    def open(self) -> None:
        """Connect what can fail now rather than at the first request (the store, the tools)."""
        _ = self.session.tools, self.session.provider, self.session.secrets
        if self.stores or self.config.memory.long_term:
            self._store = self.session.memory.store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.session.memory.store
        return self._store

    @property
    def store_url(self) -> str | None:
        return self.config.memory.store

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.session.secrets

    @property
    def display_name(self) -> str:
        return self.config.display_name or self.config.name

    def stateless(self, text: str, history: list[Message]) -> Turn:
        return Turn(self, self.session, text, history, None)

    def in_conversation(self, text: str, conversation: str) -> Turn:
        """A turn of a stored conversation (created with its first turn)."""
        conversation = check_conversation_id(conversation)
        if self.stores:
            info = self.store.get_session(conversation)
            if info is not None and info.assistant != self.name:
                raise ApiError(
                    400,
                    f"conversation {conversation!r} belongs to the assistant {info.assistant!r}, "
                    f"not {self.name!r}; use another conversation id",
                    "conversation_assistant_mismatch",
                    param="conversation",
                )
            if info is not None and info.user is not None and info.user != self.user:
                raise ApiError(400, f"conversation {conversation!r} belongs to another user",
                               "conversation_user_mismatch", param="conversation")
        return Turn(self, self.session.sibling(conversation), text, None, conversation)

    def close(self) -> None:
        self.session.close()


async def _allow(name: str, arguments: dict[str, Any]) -> bool:
    return True


class Assistants:
    """Every served assistant by name (= model id), and who holds which conversation."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.by_name: dict[str, Served] = {}
        for config in options.assistants:
            self.by_name[config.name] = Served(config, options)
        self.locks = TurnLocks()

    def open(self) -> None:
        for served in self.by_name.values():
            served.open()

    def get(self, name: object, param: str = "model") -> Served:
        if not isinstance(name, str) or not name:
            raise ApiError(400, f"'{param}' is required: the name of a served assistant "
                           f"({self.listing()})", "missing_model", param=param)
        served = self.by_name.get(name)
        if served is None:
            raise ApiError(404, f"there is no assistant named {name[:100]!r} here; the served "
                           f"assistants are: {self.listing()}", "model_not_found", param=param)
        return served

    def listing(self) -> str:
        return ", ".join(sorted(self.by_name)) or "none"

    def hold(self, conversation: str | None, served: Served) -> Holder:
        """Take the turn now (409 when busy); the holder gives it back exactly once."""
        holder = Holder(self.locks, conversation, served.store_url)
        holder.take()
        return holder

    def close(self) -> None:
        for served in self.by_name.values():
            served.close()
        self.locks.close()


class Holder:
    """A conversation's turn, taken; :meth:`release` may be called any number of times."""

    def __init__(self, locks: TurnLocks, conversation: str | None, url: str | None) -> None:
        self.locks, self.conversation, self.url = locks, conversation, url
        self.held = False

    def take(self) -> None:
        if self.conversation is None:
            return
        if not self.locks.acquire(self.conversation, self.url):
            raise ApiError(
                409,
                f"conversation {self.conversation!r} already has a turn in progress; wait for "
                "its answer, then send the next message",
                "conversation_busy",
            )
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.locks.release(self.conversation, self.url)  # type: ignore[arg-type]
