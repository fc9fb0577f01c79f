"""Prices of known models, in US dollars per million tokens (input, output).

A snapshot of OpenAI's published list prices; a model not listed here gets no cost, not a guess.
Dated suffixes (``gpt-4o-mini-2024-07-18``) use the price of their family.
"""

from __future__ import annotations

import re

from gptkit.messages import Usage

_DATED = re.compile(r"^(.+)-\d{4}-\d{2}-\d{2}$")

PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-3.5-turbo": (0.50, 1.50),
}


def price(model: str) -> tuple[float, float] | None:
    """The (input, output) price per million tokens of ``model``, or None when unknown."""
    dated = _DATED.match(model)
    return PRICES.get(dated.group(1) if dated else model)


def cost(model: str, usage: Usage | None) -> float | None:
    """The cost of ``usage`` on ``model`` in US dollars, or None when either is unknown."""
    if usage is None:
        return None
    known = price(model)
    if known is None:
        return None
    return round((usage.input_tokens * known[0] + usage.output_tokens * known[1]) / 1_000_000, 8)
