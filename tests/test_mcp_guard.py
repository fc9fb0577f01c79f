"""The guard process alone: when its parent dies by SIGKILL, the server and the server's own
children go too, whether the kernel tells the guard (pdeathsig) or it notices (poll)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from mcp_support import clean_env, marker, wait_until_gone, wait_until_present

from gptkit.tools import mcp_guard

PARENT = """
import os, subprocess, sys, time
guard, watch, word = sys.argv[1:4]
server = ("import subprocess, sys, time; "
          "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', sys.argv[1]]); "
          "time.sleep(600)")
subprocess.Popen([sys.executable, "-I", guard, str(os.getpid()), watch,
                  sys.executable, "-c", server, word])
time.sleep(600)
"""


@pytest.mark.skipif(os.name != "posix", reason="the guard is POSIX only")
@pytest.mark.parametrize("watch", ["pdeathsig", "poll"])
def test_a_killed_parent_takes_the_server_and_its_children_along(watch: str) -> None:
    word = marker()
    parent = subprocess.Popen([sys.executable, "-c", PARENT, mcp_guard.__file__, watch, word],
                              env=clean_env(), start_new_session=True)
    try:
        found = wait_until_present(word, count=3)  # the guard, the server, its child
        assert len(found) >= 3, found
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    assert wait_until_gone(word) == []


@pytest.mark.skipif(os.name != "posix", reason="the guard is POSIX only")
def test_a_command_that_cannot_start_exits_127_with_a_message() -> None:
    result = subprocess.run(
        [sys.executable, "-I", mcp_guard.__file__, str(os.getpid()), "poll", "/no/such/server"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 127
    assert result.stderr.startswith("gptkit: cannot start '/no/such/server': ")
