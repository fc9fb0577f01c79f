"""gptkit: custom GPT-style assistants as code.

The public names are loaded on first use, so ``import gptkit`` (and ``gptkit --version``) stays
fast and never imports the API client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Assistant", "ConfigError", "GptkitError", "Problem", "Session", "__version__", "load"]

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.config.problems import Problem
    from gptkit.errors import ConfigError, GptkitError
    from gptkit.loading import load
    from gptkit.runtime.session import Session

_LAZY = {
    "Assistant": "gptkit.config.models",
    "ConfigError": "gptkit.errors",
    "GptkitError": "gptkit.errors",
    "Problem": "gptkit.config.problems",
    "Session": "gptkit.runtime.session",
    "load": "gptkit.loading",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gptkit' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
