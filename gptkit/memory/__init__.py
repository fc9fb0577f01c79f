"""Memory: the stores that keep conversations, summaries and facts, and the policies over them.

- :mod:`~gptkit.memory.store`: the :class:`Store` interface and :func:`default_home`.
- :mod:`~gptkit.memory.backends`: :func:`open_store` and where an SQLite file may be; the
  backends are :mod:`~gptkit.memory.sqlite` and :mod:`~gptkit.memory.postgres` (psycopg is
  imported only there), over the shared SQL in :mod:`~gptkit.memory.sql`.
- :mod:`~gptkit.memory.policies`: which messages a request carries (``window``, ``tokens``).
- :mod:`~gptkit.memory.redact`: what is removed before anything is stored.
- :mod:`~gptkit.memory.tokens`: token counts (tiktoken when available offline, else an estimate).
- :mod:`~gptkit.memory.ids`: session ids.
"""

from __future__ import annotations

from gptkit.memory.backends import open_store
from gptkit.memory.ids import check_session_id, new_session_id
from gptkit.memory.policies import fit_tokens, select, window
from gptkit.memory.redact import Redactor
from gptkit.memory.store import Fact, SessionInfo, Store, Summary, default_home

__all__ = [
    "Fact",
    "Redactor",
    "SessionInfo",
    "Store",
    "Summary",
    "check_session_id",
    "default_home",
    "fit_tokens",
    "new_session_id",
    "open_store",
    "select",
    "window",
]
