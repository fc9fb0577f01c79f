"""Bytes to text for the text-based documents: UTF-8 (a BOM allowed), or UTF-16 with its BOM."""

from __future__ import annotations

import codecs

from gptkit.knowledge.errors import DocumentError


def decode(data: bytes) -> str:
    """``data`` as text; :class:`DocumentError` naming the first bad byte when it is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"is not valid UTF-16 text ({exc.reason})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
