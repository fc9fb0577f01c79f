"""Sections to passages of at most ``chunk_tokens`` tokens that overlap by ``overlap_tokens``.

A token is about four characters (the estimate :mod:`gptkit.memory.tokens` uses without
tiktoken), so a passage is at most ``4 * chunk_tokens`` characters. A cut is made at a paragraph
break, else a sentence end, else a space in the second half of the window, and only inside a
word when the word alone is longer than a passage. Consecutive passages of a section leave no
gap: together they hold every character of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gptkit.knowledge.parsers import Section

CHARS_PER_TOKEN = 4
_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"[.!?:;]\s"), re.compile(r"\s"))


@dataclass(frozen=True)
class Chunk:
    """One passage: its text, where it is in the document, and its number in the document."""

    text: str
    where: str
    ordinal: int


def chunk(sections: Iterable[Section], chunk_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Every section cut into passages, as the module docstring says."""
    size = chunk_tokens * CHARS_PER_TOKEN
    overlap = min(overlap_tokens * CHARS_PER_TOKEN, size // 2)
    chunks: list[Chunk] = []
    for section in sections:
        for start, end in spans(section.text, size, overlap):
            chunks.append(Chunk(section.text[start:end], section.where, len(chunks)))
    return chunks


def spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each passage of ``text``; no span is longer than ``size``."""
    found: list[tuple[int, int]] = []
    n = len(text)
    start = _skip_space(text, 0)
    while start < n:
        end = min(n, start + size)
        if end < n:
            end = _cut(text, start, end, size)
        trimmed = end
        while trimmed > start and text[trimmed - 1].isspace():
            trimmed -= 1
        found.append((start, trimmed))
        if end >= n:
            break
        following = max(end - overlap, start + 1)
        # start the next passage at a word, but never after the end of this one
        while following < end and not text[following - 1].isspace():
            following += 1
        start = _skip_space(text, following) if following < end else _skip_space(text, end)
    return [(s, e) for s, e in found if e > s]


def _cut(text: str, start: int, end: int, size: int) -> int:
    low = start + size // 2
    window = text[low:end]
    for pattern in _BREAKS:
        matches = list(pattern.finditer(window))
        if matches:
            return low + matches[-1].end()
    return end  # one word longer than half a passage: cut inside it


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index
