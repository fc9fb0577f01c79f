"""What makes a base URL unusable: one answer for ``validate`` (a problem at the line) and for
the provider (an error naming where the URL came from: the file, the session, OPENAI_BASE_URL)."""

from __future__ import annotations

from urllib.parse import urlsplit

_EXAMPLE = "such as http://localhost:4000/v1"


def url_problem(url: str) -> tuple[str, str] | None:
    """What is wrong with the base URL ``url``, and what to do; None when it is usable."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as exc:
        netloc = url.split("://", 1)[-1].split("/", 1)[0]
        if "[" in netloc and "]" not in netloc:
            return ("the '[' of an IPv6 address is not closed", "write it as http://[::1]:4000/v1")
        if "Port out of range" in str(exc):
            return (f"the port {netloc.rsplit(':', 1)[1]} is out of range", "a port is 1 to 65535")
        if "Port" in str(exc):
            return (f"the port {netloc.rsplit(':', 1)[1]!r} is not a number", _EXAMPLE)
        return (str(exc), _EXAMPLE)
    if parts.scheme not in ("http", "https"):
        fix = f"for example http://{url}" if "://" not in url else _EXAMPLE
        return ("it needs an http:// or https:// address", fix)
    if not parts.hostname:
        return ("it names no host", _EXAMPLE)
    if port == 0:
        return ("the port 0 is out of range", "a port is 1 to 65535")
    return None
