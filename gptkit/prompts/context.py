"""What a template can see: the names of format.md's template context and their attributes."""

from __future__ import annotations

#: Each context name, and the attributes it has (None: a list, or open-ended such as ``vars``).
CONTEXT: dict[str, frozenset[str] | None] = {
    "assistant": frozenset({"name", "description"}),
    "persona": frozenset({"name", "role", "tone", "traits", "language", "style"}),
    "vars": None,  # the declared variables, checked against ``variables``
    "now": frozenset({"iso", "date", "time", "weekday", "timezone"}),
    "tools": None,
    "memory": frozenset({"facts", "summary"}),
    "user": frozenset({"id"}),
}
