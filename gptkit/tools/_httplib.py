"""The HTTP client library, imported only when a network tool runs.

The openai package brings it: ``httpx2`` (and ``httpcore2``) in current releases, ``httpx`` (and
``httpcore``) in older ones. Both have the same API; this module names whichever is installed.
"""

from __future__ import annotations

from typing import Any

try:
    import httpcore2 as _httpcore
    import httpx2 as _httpx
except ImportError:  # pragma: no cover - an older openai, with httpx
    import httpcore as _httpcore  # type: ignore[no-redef,import-not-found,unused-ignore]
    import httpx as _httpx  # type: ignore[no-redef,import-not-found,unused-ignore]

httpx: Any = _httpx
httpcore: Any = _httpcore
