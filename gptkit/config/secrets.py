"""Literal secrets in assistant files: keys belong in the environment, never in the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Shapes of real credentials; a template or an example value rarely matches them by chance.
PATTERNS = (
    ("an OpenAI-style API key", re.compile(r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_\-]{20,}")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("an AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
)


# All the shapes in one regex: it matches exactly when one of them does, so one search rules
# out the common case (no secret) instead of one search per shape.
_ANY = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in PATTERNS))
_STARTS = ("sk-", "gh", "AKIA", "xox", "AIza")  # the literal start of each shape, in order


def find_secret(text: str) -> str | None:
    """Return what kind of secret ``text`` holds, or None."""
    if len(text) < 16 or _ANY.search(text) is None:
        return None
    for label, pattern in PATTERNS:
        if pattern.search(text):
            return label
    return None


def scan(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield ``(path, kind)`` for every string (keys too) in ``data`` that holds a secret."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    _collect(data, path, found)
    return iter(found)


def _collect(data: Any, path: tuple[str | int, ...], found: list[Any]) -> None:
    """``scan``'s walk, appending to one list (nested generators cost more than the search)."""
    if isinstance(data, dict):
        for key, value in data.items():
            kind = find_secret(str(key))
            if kind:
                found.append(((*path, key), kind))
            _collect(value, (*path, key), found)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _collect(value, (*path, index), found)
    elif isinstance(data, str):
        kind = find_secret(data)
        if kind:
            found.append((path, kind))


def secret_problems(doc: Any) -> list[Any]:
    """Problems for every literal secret in a loaded document, at its line."""
    from gptkit.config.problems import Problem, format_location

    problems: list[Any] = []
    if _clean_text(getattr(doc, "text", None)):
        return problems
    for path, kind in scan(doc.data):
        node = doc.nodes.get(path)
        problems.append(
            Problem(
                doc.path,
                node.line if node else 0,
                node.column if node else 0,
                format_location(path),
                "secret",
                f"this looks like {kind}; keys must not be written in the file",
                "put it in an environment variable and name the variable in "
                "model.api_key_env (or use ${VAR})",
            )
        )
    return problems


def _clean_text(text: Any) -> bool:
    """Whether no value of a YAML text can hold a secret, judged on the text as a whole.

    Every key and value is a piece of the text: YAML only drops indentation and quotes and
    folds line breaks into a space or a newline, all of which separate rather than join the
    characters a secret is made of; only escapes (a backslash) can make characters that are not
    in the text. So without a backslash, a text that holds no secret has no value that does,
    and walking the values to search each one is skipped.
    """
    if not isinstance(text, str) or "\\" in text:
        return False
    # Each shape starts with one of these; most texts hold none, and finding text is faster
    # than matching a pattern at every position.
    return not any(start in text for start in _STARTS) or _ANY.search(text) is None
