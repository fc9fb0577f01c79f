"""Redaction: what is removed from text before the memory store writes it.

``memory.redact`` names built-in patterns and custom ``{pattern, replace}`` rules; the runtime adds
the literal values of the secrets it holds (the API key), which become ``***`` when they are long
and specific enough to be secrets (:func:`gptkit.config.secrets.worth_redacting`).

Order, whatever the order in the file: literal secrets first, then the built-ins in a fixed order
(``api_key``, ``email``, ``credit_card``, ``phone``: a card number is not half eaten as a phone
number), then the custom rules as listed. A custom ``replace`` is literal text (no ``\\1``
back-references), so a rule can never fail at run time.

Built-ins, chosen to be conservative (a false positive mangles a conversation):

- ``email``: ``name@domain.tld`` -> ``[email]``
- ``phone``: 7 to 15 digits written as a phone number: a leading ``+`` or ``(area)``, or groups
  joined by dots or dashes (or by spaces, from 9 digits on); not dates (``2024-06-01``, ``01.06.2024``) nor IPv4 addresses
  -> ``[phone]``
- ``credit_card``: 13 to 19 digits, optionally grouped by spaces or dashes, passing the Luhn
  check -> ``[credit card]``
- ``api_key``: the shapes of OpenAI, Anthropic, GitHub, GitLab, AWS, Slack, Google, Stripe and
  Hugging Face keys, JSON Web Tokens and ``Bearer`` tokens -> ``[api key]``; the same list
  (:data:`gptkit.config.secrets.SHAPES`) that ``validate`` refuses in a file
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gptkit.config.secrets import ANY_SECRET, LITERAL_REPLACEMENT, secret_values
from gptkit.errors import StoreError

BUILTIN_NAMES = ("api_key", "email", "credit_card", "phone")

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+.-])"
    r"(?:\+\d{1,3}[ .-]?)?"  # country code
    r"(?:\(\d{1,5}\)[ .-]?)?"  # (area)
    r"\d{1,5}(?:[ .-]\d{2,5}){0,5}"
    r"(?![\w-]|\.\d)"
)
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_API_KEY = ANY_SECRET  # the one list of credential shapes, shared with validate


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (card numbers do)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[credit card]" if luhn_ok(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(ch.isdigit() for ch in text)
    marked = text.startswith("+") or "(" in text
    formatted = marked or bool(re.search(r"\d[.-]\d", text)) or (" " in text and digits >= 9)
    if (
        not 7 <= digits <= 15
        or not formatted
        or _DATE.fullmatch(text)
        or _IPV4.fullmatch(text)
        or re.fullmatch(r"\d{1,3}(?:[ .]\d{3})+", text)  # 1 234 567 / 1.234.567: an amount
    ):
        return text
    return "[phone]"


_BUILTINS: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = {
    "api_key": (_API_KEY, lambda m: "[api key]"),
    "email": (_EMAIL, lambda m: "[email]"),
    "credit_card": (_CARD, _card),
    "phone": (_PHONE, _phone),
}


class Redactor:
    """Replaces what must not be stored; call it on text, or use :meth:`json_text` on JSON."""

    def __init__(self, rules: Iterable[Any] = (), literals: Iterable[str] = ()) -> None:
        """Build from ``memory.redact`` entries and literal secret values.

        Args:
            rules: built-in names (``"email"``...), :class:`gptkit.config.models.RedactRule`
                objects, or ``{"pattern": ..., "replace": ...}`` dicts.
            literals: exact values (API keys) replaced by ``***`` wherever they appear; only
                the values long and specific enough to be secrets count (see
                :func:`gptkit.config.secrets.worth_redacting`): ``local`` is not replaced.

        Raises:
            StoreError: an unknown built-in name or an invalid regular expression.
        """
        self._literals = secret_values(literals)  # longest first: overlaps never leak
        names: set[str] = set()
        self._custom: list[tuple[re.Pattern[str], str]] = []
        for rule in rules:
            if isinstance(rule, str):
                if rule not in _BUILTINS:
                    raise StoreError(
                        f"memory.redact: unknown built-in pattern {rule!r}; use one of "
                        f"{', '.join(BUILTIN_NAMES)} or {{pattern: <regex>, replace: <text>}}."
                    )
                names.add(rule)
                continue
            if isinstance(rule, Mapping):
                pattern, replace = rule.get("pattern"), rule.get("replace", "[redacted]")
            else:
                pattern = getattr(rule, "pattern", None)
                replace = getattr(rule, "replace", "[redacted]")
            if not isinstance(pattern, str) or not pattern or not isinstance(replace, str):
                raise StoreError(
                    f"memory.redact: a custom rule needs a non-empty 'pattern' and a text "
                    f"'replace', got {rule!r}."
                )
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise StoreError(
                    f"memory.redact: the pattern {pattern!r} is not a valid regular "
                    f"expression ({exc}); fix it in the assistant file."
                ) from exc
            self._custom.append((compiled, replace))
        self._builtins = [_BUILTINS[name] for name in BUILTIN_NAMES if name in names]
        self._literal_re = (
            re.compile("|".join(re.escape(s) for s in self._literals)) if self._literals else None
        )

    def __bool__(self) -> bool:
        return bool(self._literal_re or self._builtins or self._custom)

    def __call__(self, text: str) -> str:
        """``text`` with every literal secret and every match of a rule replaced."""
        if not text:
            return text
        if self._literal_re is not None:
            text = self._literal_re.sub(LITERAL_REPLACEMENT, text)
        for pattern, repl in self._builtins:
            text = pattern.sub(repl, text)
        for pattern, replace in self._custom:
            text = pattern.sub(lambda m, r=replace: r, text)  # type: ignore[misc]
        return text

    def json_text(self, text: str) -> str:
        """Redact a JSON document (tool-call arguments) and keep it valid JSON when it was.

        Strings inside (keys too) are redacted one by one and the document is written again;
        text that is not JSON is redacted as text.
        """
        redacted = self(text)
        if redacted == text:
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return redacted
        return json.dumps(self._walk(data), ensure_ascii=False)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, dict):
            return {self(k): self._walk(v) for k, v in value.items()}
        return value
