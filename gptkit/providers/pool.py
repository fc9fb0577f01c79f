"""A cheaper idle-connection check in the model client's connection pool.

On every request and every response, httpcore's pool asks each idle keep-alive connection
whether the server has closed it (``get_extra_info("is_readable")``, a zero-timeout poll of the
socket). Its anyio stream answers by first building the socket's whole attribute table, about
3 microseconds a time, so a pool that keeps 50 idle connections after a burst spends a quarter
of a millisecond of CPU per model call on it (``bench/serve``: about a tenth of ``gptkit serve``'s
CPU per turn). :func:`cheaper_idle_checks` wraps the pool's network backend so that each stream
keeps its socket and answers with the same poll; everything else passes through unchanged.

The pool and its backend are httpx / httpcore internals: when they are not where this expects
(another version), the client is left exactly as it was.
"""

from __future__ import annotations

import select
import sys
from typing import Any


def cheaper_idle_checks(client: Any) -> bool:
    """Wrap the network backend of the connection pools of ``client`` (an httpx AsyncClient,
    before its first request); whether any was wrapped."""
    transports = [getattr(client, "_transport", None)]
    mounts = getattr(client, "_mounts", None)
    if isinstance(mounts, dict):
        transports += list(mounts.values())
    wrapped = False
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is None or isinstance(backend, _Backend):
            continue
        if not all(callable(getattr(backend, name, None))
                   for name in ("connect_tcp", "connect_unix_socket", "sleep")):
            continue
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
        wrapped = True
    return wrapped


class _Backend:
    """A network backend whose streams are :class:`_Stream`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> _Stream:
        return _Stream(await self.inner.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> _Stream:
        return _Stream(await self.inner.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Stream:
    """A network stream that answers ``is_readable`` from its socket, looked up once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sock: Any = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = await self.inner.read(max_bytes, timeout)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(self, *args: Any, **kwargs: Any) -> _Stream:
        return _Stream(await self.inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        if info != "is_readable":
            return self.inner.get_extra_info(info)
        if self.sock is None:
            self.sock = self.inner.get_extra_info("socket")
            if self.sock is None:  # a stream without a socket: ask it as before
                return self.inner.get_extra_info(info)
        return readable(self.sock)


def readable(sock: Any) -> bool:
    """Whether a read on ``sock`` would not block (data, or the server's close); a closed
    socket counts as readable, so the pool drops its connection."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        ready, _, _ = select.select([fd], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
