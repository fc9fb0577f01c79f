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


def find_secret(text: str) -> str | None:
    """Return what kind of secret ``text`` holds, or None."""
    if len(text) < 16:
        return None
    for label, pattern in PATTERNS:
        if pattern.search(text):
            return label
    return None


def scan(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield ``(path, kind)`` for every string (keys too) in ``data`` that holds a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            found = find_secret(str(key))
            if found:
                yield (*path, key), found
            yield from scan(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from scan(value, (*path, index))
    elif isinstance(data, str):
        found = find_secret(data)
        if found:
            yield path, found


def secret_problems(doc: Any) -> list[Any]:
    """Problems for every literal secret in a loaded document, at its line."""
    from gptkit.config.problems import Problem, format_location

    problems = []
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
