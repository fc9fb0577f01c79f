"""What ``gptkit serve`` was started with: the assistants and the safety settings."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gptkit.config.models import Assistant

#: The largest request body accepted by default (413 above it).
DEFAULT_MAX_BODY_BYTES = 1_000_000

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass
class ServeOptions:
    """The server's settings, as the command line gave them."""

    assistants: list[Assistant]
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None  # the value of --api-key-env's variable; None: no key asked
    cors_origins: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    yes: bool = False  # confirm: true tools run without asking
    log_format: Literal["text", "json"] = "text"
    user: str = "local"  # whose conversations these are in the store (as `gptkit chat`)


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """Whether ``host`` binds every interface (0.0.0.0, ::, or empty)."""
    name = host.strip("[]")
    return name in ("", "0.0.0.0", "::")
