"""The exception family of gptkit: every public exception, each also ``gptkit.<Name>``.

::

    GptkitError            anything gptkit raises on purpose; the CLI prints it without a traceback
     ├── ConfigError       an assistant file (or a file it names) has problems; holds all of them
     ├── UsageError        a value the user gave on the command line or to the API is unusable
     │    └── SetupError   ... given on the command line or in the environment (the CLI exits 2)
     ├── RenderError       a template failed while rendering (time or size budget, a bad value)
     ├── ToolError         a tool could not be prepared (its module failed to import, say)
     ├── ProviderError     the model API failed: auth, not found, rate limit, timeout, a cut stream
     ├── TurnError         a turn could not finish: the tool-round limit, an answer off its schema
     └── StoreError        the memory store failed or holds something unexpected

A failed turn leaves the conversation as it was, whichever of these it raises. Problems in files
are values (:class:`gptkit.config.problems.Problem`), collected from every layer and raised once
inside a :class:`ConfigError`. A leaf module: it imports nothing of gptkit at run time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gptkit.config.problems import Problem


class GptkitError(Exception):
    """Base of every error gptkit raises on purpose."""


class ConfigError(GptkitError):
    """Raised when an assistant file has errors; ``problems`` lists every one of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        first = errors[0] if errors else (self.problems[0] if self.problems else None)
        summary = f"{len(errors)} error(s)"
        if first is not None:
            summary += f"; first: {first.describe()}"
        super().__init__(summary)


class UsageError(GptkitError):
    """Raised when a value given on the command line or through the API cannot be used."""


class SetupError(UsageError):
    """Raised when the command line or an environment variable (``OPENAI_BASE_URL``) holds an
    unusable value; the CLI exits 2."""


class RenderError(GptkitError):
    """Raised when a template cannot be rendered (a runtime error, the time or size budget)."""


class ToolError(GptkitError):
    """Raised when a tool cannot be prepared for a run (its module does not import, say)."""


class ProviderError(GptkitError):
    """Raised when the model API fails; the message names the base URL and what to check."""


class TurnError(GptkitError):
    """Raised when a turn cannot finish: the tool-round limit, or an answer that does not fit the schema."""


class StoreError(GptkitError):
    """Raised when the memory store cannot be opened, read or written."""
