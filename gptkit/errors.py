"""The exception family of gptkit.

::

    GptkitError            anything gptkit raises on purpose; the CLI prints it without a traceback
     ├── ConfigError       an assistant file (or a file it names) has problems; holds all of them
     └── UsageError        a value the user gave on the command line or to the API is unusable

Problems in files are values (:class:`gptkit.config.problems.Problem`), collected from every
layer and raised once inside a :class:`ConfigError`.
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
