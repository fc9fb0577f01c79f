"""gptkit: custom GPT-style assistants as code.

The public names (``__all__``; the README's "From Python" shows them at work):

- :func:`load` reads an assistant file into an :class:`Assistant`, or raises :class:`ConfigError`
  whose ``problems`` are :class:`Problem` values.
- :class:`Session` is a conversation with an assistant. A turn (``send``, ``asend``) gives an
  :class:`Answer`; ``stream`` and ``astream`` yield :class:`TextDelta`, :class:`ToolStarted` and
  :class:`ToolFinished` events on the way, then the Answer. Its ``transport=`` is
  :class:`Network` (the default), :class:`Record` or :class:`Replay` (cassettes).
- The exceptions, all :class:`GptkitError`: :class:`ConfigError`, :class:`UsageError` (and its :class:`SetupError`),
  :class:`RenderError`, :class:`ToolError`, :class:`ProviderError`, :class:`TurnError` and
  :class:`StoreError` (the tree is drawn in :mod:`gptkit.errors`).

Each name is imported on first use (the module ``__getattr__`` below), so ``import gptkit`` loads
nothing else, and ``gptkit --version`` or a ``validate`` never import the API client. Nothing
here imports the CLI.
"""

from __future__ import annotations

import typing

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Assistant",
    "ConfigError",
    "GptkitError",
    "Network",
    "Problem",
    "ProviderError",
    "Record",
    "RenderError",
    "Replay",
    "Session",
    "SetupError",
    "StoreError",
    "TextDelta",
    "ToolError",
    "ToolFinished",
    "ToolStarted",
    "TurnError",
    "UsageError",
    "__version__",
    "load",
]

if typing.TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.config.problems import Problem
    from gptkit.errors import (
        ConfigError,
        GptkitError,
        ProviderError,
        RenderError,
        SetupError,
        StoreError,
        ToolError,
        TurnError,
        UsageError,
    )
    from gptkit.loading import load
    from gptkit.runtime.events import Answer, TextDelta, ToolFinished, ToolStarted
    from gptkit.runtime.session import Session
    from gptkit.runtime.transport import Network, Record, Replay

#: Where each public name lives; imported when it is first asked for.
_HOMES = {
    "Answer": "gptkit.runtime.events",
    "Assistant": "gptkit.config.models",
    "ConfigError": "gptkit.errors",
    "GptkitError": "gptkit.errors",
    "Network": "gptkit.runtime.transport",
    "Problem": "gptkit.config.problems",
    "ProviderError": "gptkit.errors",
    "Record": "gptkit.runtime.transport",
    "Replay": "gptkit.runtime.transport",
    "RenderError": "gptkit.errors",
    "Session": "gptkit.runtime.session",
    "SetupError": "gptkit.errors",
    "StoreError": "gptkit.errors",
    "TextDelta": "gptkit.runtime.events",
    "ToolError": "gptkit.errors",
    "ToolFinished": "gptkit.runtime.events",
    "ToolStarted": "gptkit.runtime.events",
    "TurnError": "gptkit.errors",
    "UsageError": "gptkit.errors",
    "load": "gptkit.loading",
}


def __getattr__(name: str) -> object:
    """Import a public name from its home on first use, and keep it."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gptkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names only."""
    return list(__all__)
