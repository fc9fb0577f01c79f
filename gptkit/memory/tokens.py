"""Token counts for the ``tokens`` memory policy: tiktoken when it works offline, else an estimate.

tiktoken downloads its encoding files on first use. gptkit never lets it: it loads an encoding
only when the file is already in tiktoken's cache (``TIKTOKEN_CACHE_DIR``, ``DATA_GYM_CACHE_DIR``
or ``<tmp>/data-gym-cache``), trying ``o200k_base`` (the GPT-4o family) then ``cl100k_base``.
Otherwise, or when tiktoken is not installed, counts are approximate:

- text: ``ceil(characters / 4)`` (about four characters per token in English prose);
- each message: text + :data:`MESSAGE_OVERHEAD` tokens (role and framing), plus the name and
  arguments of each tool call + :data:`CALL_OVERHEAD`, plus a tool message's name.

:func:`backend` says which one is in use; :func:`notice` says why counts are approximate, and
:func:`take_notice` returns that text once per process, for the CLI to print.

Set ``GPTKIT_TOKENIZER=approximate`` to always use the estimate (reproducible counts).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gptkit.messages import Message

MESSAGE_OVERHEAD = 3
CALL_OVERHEAD = 3
CHARS_PER_TOKEN = 4

# (encoding, the URL tiktoken caches it under, its sha256) in order of preference
_BLOBS = "https://openaipublic.blob.core.windows.net/encodings/"
_ENCODINGS = (
    (
        "o200k_base",
        _BLOBS + "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    (
        "cl100k_base",
        _BLOBS + "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
)

_lock = threading.Lock()
_state: dict[str, object] = {}  # "encode", "backend", "notice", "noticed"


def _cache_dir() -> str | None:
    """tiktoken's cache folder, as tiktoken.load computes it; None when caching is off."""
    for name in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if name in os.environ:
            return os.environ[name] or None
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def _load() -> None:
    """Pick the backend once: a cached tiktoken encoding, else the approximation."""
    with _lock:
        if "backend" in _state:
            return
        encode: Callable[[str], int] | None = None
        reason = ""
        if os.environ.get("GPTKIT_TOKENIZER", "").lower() == "approximate":
            reason = "GPTKIT_TOKENIZER=approximate is set"
        else:
            try:
                import tiktoken
            except ImportError:
                reason = "tiktoken is not installed (pip install tiktoken)"
            else:
                cache = _cache_dir()
                for name, url, sha256 in _ENCODINGS:
                    # tiktoken downloads a missing file, and deletes and re-downloads one whose
                    # hash is wrong: call it only when the cached file is there and intact.
                    if not cache or not _cached_intact(cache, url, sha256):
                        continue
                    try:
                        enc = tiktoken.get_encoding(name)
                    except Exception:
                        continue
                    encode = _counter(enc)
                    _state["encoding"] = name
                    break
                else:
                    reason = (
                        "tiktoken's o200k_base/cl100k_base encoding is not in its cache "
                        f'({cache or "caching is off"}); run `python -c "import tiktoken; '
                        "tiktoken.get_encoding('o200k_base')\"` once with network access"
                    )
        if encode is None:
            _state["encode"] = approximate_text
            _state["backend"] = "approximate"
            _state["notice"] = (
                f"token counts are approximate (about {CHARS_PER_TOKEN} characters per token): "
                f"{reason}."
            )
        else:
            _state["encode"] = encode
            _state["backend"] = "tiktoken"
            _state["notice"] = None


def _cached_intact(cache: str, url: str, sha256: str) -> bool:
    path = os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest() == sha256
    except OSError:
        return False


def _counter(enc: object) -> Callable[[str], int]:
    def count(text: str) -> int:
        return len(enc.encode(text, disallowed_special=()))  # type: ignore[attr-defined]

    return count


def approximate_text(text: str) -> int:
    """The estimate: ``ceil(len(text) / 4)``."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def backend() -> str:
    """``"tiktoken"`` or ``"approximate"``."""
    _load()
    return str(_state["backend"])


def notice() -> str | None:
    """Why counts are approximate, or None when tiktoken is in use."""
    _load()
    return _state["notice"]  # type: ignore[return-value]


def take_notice() -> str | None:
    """:func:`notice`, the first time it is asked for in this process; None after that."""
    text = notice()
    with _lock:
        if _state.get("noticed"):
            return None
        _state["noticed"] = True
    return text


def count_text(text: str) -> int:
    """Tokens in ``text``."""
    if not text:
        return 0
    _load()
    return _state["encode"](text)  # type: ignore[operator,no-any-return]


def count_message(message: Message) -> int:
    """Tokens one message takes in a request, framing included; always at least 1."""
    total = MESSAGE_OVERHEAD + count_text(message.content)
    for call in message.tool_calls:
        total += CALL_OVERHEAD + count_text(call.name) + count_text(call.arguments)
    if message.name:
        total += 1 + count_text(message.name)
    return total


def _reset() -> None:
    """Forget the chosen backend (tests)."""
    with _lock:
        _state.clear()
