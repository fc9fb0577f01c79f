"""Context windows of well-known models, used when ``model.context_window`` is not given."""

from __future__ import annotations

# Longest prefix wins: "gpt-4o-mini-2024-07-18" finds "gpt-4o-mini".
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
}


def context_window(model: str) -> int | None:
    """Return the context window of ``model`` in tokens, or None when it is not known."""
    best = ""
    for prefix in CONTEXT_WINDOWS:
        if model.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return CONTEXT_WINDOWS[best] if best else None
