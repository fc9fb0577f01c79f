"""The watchman between gptkit and a stdio MCP server: no server process outlives gptkit.

gptkit runs ``python -I mcp_guard.py PARENT_PID WATCH COMMAND [ARGS...]`` as the server's command
(the MCP SDK starts it in a session of its own). The guard starts COMMAND in a process group of its
own, handing it stdin, stdout and stderr, and reads nothing itself. It ends that whole group
(SIGTERM, then SIGKILL after a short grace), children of the server included:

- when the server exits (its leftover children go with it);
- when the guard is told to stop (SIGTERM, SIGINT, SIGHUP), as the SDK's shutdown does;
- when gptkit dies without cleaning up (SIGKILL, a crash): the guard sees its parent change
  within 0.2 s; on Linux, with WATCH ``pdeathsig``, the kernel also sends it SIGTERM at once
  (``PR_SET_PDEATHSIG``). That signal comes when the *thread* that started the guard ends, so
  gptkit asks for it only from the main thread; WATCH ``poll`` relies on the poll alone.

A process that leaves the group on purpose (``setsid``, a daemon) is beyond anyone's reach.
Standard library only, and no import of gptkit: it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

GRACE_S = 1.0  # from SIGTERM to SIGKILL; shorter than the SDK's own 2 s escalation
POLL_S = 0.2


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the poll of getppid below still notices


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + GRACE_S
    while _group_alive(group) and time.monotonic() < deadline:
        try:
            os.waitpid(-group, os.WNOHANG)  # reap the server if it is still our zombie
        except ChildProcessError:
            pass
        time.sleep(0.01)
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv: list[str]) -> int:
    """Run ``argv[2:]`` under watch of parent ``argv[0]`` (see the module); the server's exit code."""
    parent, watch, command = int(argv[0]), argv[1], argv[2:]
    if watch == "pdeathsig":
        _die_with_parent()
    if os.getppid() != parent:
        return 1  # gptkit died before the guard could watch it
    stopping: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda signum, frame: stopping.append(signum))
    try:
        server = subprocess.Popen(command, start_new_session=True)  # its own group to end
    except OSError as exc:
        print(f"gptkit: cannot start {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    # The server holds the pipes now; the guard's copies would keep gptkit from seeing EOF.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    code: int | None = None
    while code is None and not stopping:
        try:
            code = server.wait(POLL_S)
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:
                break
    _end_group(server.pid)
    if code is None:
        code = server.poll()
    return 0 if code is None else (code if code >= 0 else 128 - code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
