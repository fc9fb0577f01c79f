"""Problems found in a user's files: plain values, collected from every layer, printed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a file, with where it is and what to do about it."""

    path: Path
    line: int  # 1-based; 0 when the problem concerns the whole file
    column: int  # 1-based; 0 when unknown
    location: str  # YAML-style path such as "tools[1].function"; "" for the whole file
    code: str  # stable identifier: "unknown-key", "type", "template-syntax", ...
    message: str
    hint: str | None = None
    severity: Severity = field(default="error")

    def describe(self) -> str:
        """Return ``path:line:col: message`` on one line, for logs and exception text."""
        where = f"{self.path}:{self.line}:{self.column}" if self.line else str(self.path)
        loc = f"{self.location}: " if self.location else ""
        return f"{where}: {loc}{self.message}"


def format_location(path: tuple[str | int, ...]) -> str:
    """Turn ``("tools", 1, "function")`` into ``tools[1].function``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
