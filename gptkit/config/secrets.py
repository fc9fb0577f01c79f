"""Secrets: the one list of credential shapes, and the literal secret values that must not show.

Two questions, answered here for every layer above (validate, the memory redactor, the runtime's
answers, errors and cassettes):

- **Does a text hold a credential?** :data:`SHAPES` lists the shapes of real keys and tokens.
  ``validate`` refuses a file that holds one (:func:`secret_problems`), and the memory redactor's
  ``api_key`` built-in replaces them (:data:`ANY_SECRET`), from the same list.
- **Which literal values hide?** The runtime knows some secret values (the API key, secret-named
  ``${VAR}`` values); :func:`redact` and :class:`StreamRedactor` replace them by ``***``, but only
  the values :func:`worth_redacting` accepts, so that a placeholder key such as ``local`` does
  not turn "running locally" into "running \\*\\*\\*ly".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shape:
    """One kind of credential: what to call it, its regex, and literal text every match holds."""

    label: str
    pattern: str
    starts: tuple[str, ...]  # a match always contains one of these (a cheap pre-check)


# Shapes of real credentials; a template or an example value rarely matches them by chance.
SHAPES = (
    Shape(
        "an OpenAI-style API key",  # OpenAI, Anthropic (sk-ant-...)
        r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        ("sk-",),
    ),
    Shape("a Stripe key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}", ("_live_", "_test_")),
    Shape("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}", ("gh",)),
    Shape("a GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{40,}", ("github_pat_",)),
    Shape("a GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}", ("glpat-",)),
    Shape("an AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", ("AKIA", "ASIA")),
    Shape("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    Shape("a Google API key", r"\bAIza[0-9A-Za-z_\-]{35}", ("AIza",)),
    Shape("a Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}", ("hf_",)),
    Shape(
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ("eyJ",),
    ),
    Shape("a bearer token", r"(?<=Bearer )[A-Za-z0-9._~+/-]{20,}=*", ("Bearer",)),
)

#: Every shape in one regex: it matches exactly when one of them does (the redactor uses it).
ANY_SECRET = re.compile("|".join(f"(?:{shape.pattern})" for shape in SHAPES))
_COMPILED = tuple((shape.label, re.compile(shape.pattern)) for shape in SHAPES)
_STARTS = tuple(start for shape in SHAPES for start in shape.starts)
#: The shortest text any shape matches (``xoxb-`` and 10 more), counted with the "Bearer " before
#: a bearer token; shorter texts are ruled out without a search.
MIN_SECRET_CHARS = 15


def find_secret(text: str) -> str | None:
    """Return what kind of secret ``text`` holds (the label of its shape), or None."""
    if len(text) < MIN_SECRET_CHARS or ANY_SECRET.search(text) is None:
        return None
    for label, pattern in _COMPILED:
        if pattern.search(text):
            return label
    return None  # pragma: no cover - ANY_SECRET matched, so one shape does


# --- literal secret values ---------------------------------------------------------------------

LITERAL_REPLACEMENT = "***"
MIN_LITERAL_CHARS = 8
MIN_WORDLIKE_CHARS = 16
_WORDLIKE = re.compile(r"[A-Za-z \-_.]+")


def worth_redacting(value: object) -> bool:
    """Whether a known secret value is long and specific enough to be replaced wherever it shows.

    A value is replaced when it has a credential's shape (:func:`find_secret`), or when it is at
    least 8 characters long and either holds a character other than ASCII letters, spaces,
    ``-``, ``_`` and ``.`` (a digit, another symbol, a non-ASCII letter), or is at least 16
    characters long. So ``sk-...`` keys, ``s3cr3t-pass`` and ``a-long-passphrase-here`` are
    replaced, while placeholders a local server accepts (``fine``, ``local``, ``ollama``,
    ``lm-studio``, ``not-needed``, ``changeme``) are not: replacing them would corrupt ordinary
    words in answers and stored data ("running \\*\\*\\*ly"), and they protect nothing.
    """
    if not isinstance(value, str):
        return False
    if find_secret(value):
        return True
    if len(value) < MIN_LITERAL_CHARS:
        return False
    return len(value) >= MIN_WORDLIKE_CHARS or not _WORDLIKE.fullmatch(value)


def secret_values(values: Iterable[str]) -> tuple[str, ...]:
    """The values of ``values`` worth redacting, longest first (none then leaks in part)."""
    return tuple(sorted({v for v in values if worth_redacting(v)}, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` by ``***`` (see :func:`worth_redacting`)."""
    for secret in secret_values(secrets):
        text = text.replace(secret, LITERAL_REPLACEMENT)
    return text


class StreamRedactor:
    """Redacts secret values from text that arrives in pieces (a streamed answer).

    A secret may be split across pieces, so a tail that could be the start of a secret is held
    back until more text arrives or :meth:`flush`; any other text passes at once.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = secret_values(secrets)
        self.buffer = ""

    def feed(self, text: str) -> str:
        """Return what of ``text`` (and the held-back tail) can be shown now."""
        if not self.secrets:
            return text
        self.buffer = redact(self.buffer + text, self.secrets)
        hold = self._partial(self.buffer)
        out = self.buffer[: len(self.buffer) - hold]
        self.buffer = self.buffer[len(self.buffer) - hold :]
        return out

    def flush(self) -> str:
        """Return the held-back tail, redacted: the stream has ended."""
        out, self.buffer = redact(self.buffer, self.secrets), ""
        return out

    def _partial(self, text: str) -> int:
        """The length of the longest tail of ``text`` that begins some secret."""
        longest = 0
        for secret in self.secrets:
            first = secret[0]
            start = max(len(text) - len(secret) + 1, 0)
            index = text.find(first, start)
            while index != -1:
                if secret.startswith(text[index:]):
                    longest = max(longest, len(text) - index)
                    break
                index = text.find(first, index + 1)
        return longest


# --- literal secrets in assistant files ---------------------------------------------------------


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
    and walking the values to search each one is skipped. The bearer shape is the exception: its
    match needs the "Bearer " before it, which a value may get from a folded "Bearer" at a line
    end, so a text that holds "Bearer" is always walked.
    """
    if not isinstance(text, str) or "\\" in text or "Bearer" in text:
        return False
    # Each shape holds one of its starts; most texts hold none, and finding text is faster
    # than matching a pattern at every position. Only the shapes whose start is there are
    # searched ("gh" is in many words, and then only the GitHub shape runs).
    return not any(
        any(start in text for start in shape.starts) and pattern.search(text)
        for shape, (_, pattern) in zip(SHAPES, _COMPILED, strict=True)
    )
