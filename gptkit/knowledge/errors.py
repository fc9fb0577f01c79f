"""The one error of the knowledge package."""

from __future__ import annotations


class DocumentError(Exception):
    """A document (or the index) cannot be read; the message says why, for a person, and
    starts with a verb so it follows the file's name: "is an encrypted PDF; ..."."""
