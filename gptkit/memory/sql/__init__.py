"""The SQL both backends share: one implementation of :class:`~gptkit.memory.store.Store`.

:mod:`gptkit.memory.sqlite` and :mod:`gptkit.memory.postgres` supply a connection, a cursor and
the table definitions; everything else is written once here, so the two behave the same, one
idea a module:

- :mod:`~gptkit.memory.sql.base`: the backend's contract, the schema's migrations, cleaning and
  redaction of what is written;
- :mod:`~gptkit.memory.sql.sessions`: sessions and their summaries;
- :mod:`~gptkit.memory.sql.messages`: turn writes and the window and token reads;
- :mod:`~gptkit.memory.sql.facts`: long-term facts;
- :mod:`~gptkit.memory.sql.upkeep`: purge and the integrity check;
- :mod:`~gptkit.memory.sql.rows`: rows and values.
"""

from __future__ import annotations

from gptkit.memory.sql.base import Cursor
from gptkit.memory.sql.facts import Facts
from gptkit.memory.sql.messages import Messages
from gptkit.memory.sql.sessions import Sessions
from gptkit.memory.sql.upkeep import Upkeep

__all__ = ["Cursor", "SQLStore"]


class SQLStore(Sessions, Messages, Facts, Upkeep):
    """The store over a DB-API connection; a backend supplies transactions and its DDL.

    Subclasses set :attr:`MIGRATIONS` (version -> statements; version 1 creates the schema),
    :attr:`FOR_UPDATE` (the row-lock suffix of a SELECT) and implement :meth:`_transaction`.
    """
