"""The store under several writers and under ``kill -9``, on SQLite and on PostgreSQL.

Writers are separate processes (``python -c WORKER``), as separate ``gptkit`` runs would be.
"""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PG_URL, postgres_unavailable

from gptkit.memory.backends import open_store
from gptkit.memory.store import Store
from gptkit.messages import Message, ToolCall

WORKERS = 8
TURNS = 50
SESSION = "shared-session"

# argv: url project sid worker turns mode go_file
WORKER = r"""
import json, os, sys, time
from pathlib import Path
from gptkit.memory import open_store
from gptkit.messages import Message, ToolCall

url, project, sid, w, n, mode, go = sys.argv[1:8]
w, n = int(w), int(n)

def turn(j):
    cid = f"call-w{w}-t{j}"
    return [
        Message("user", f"w{w} t{j} question"),
        Message("assistant", "", (ToolCall(cid, "lookup", json.dumps({"w": w, "t": j})),)),
        Message("tool", f"w{w} t{j} result", tool_call_id=cid, name="lookup"),
        Message("assistant", f"w{w} t{j} answer"),
    ]

with open_store(url, project_root=Path(project)) as store:
    store.ensure_session("helper", sid)
    print("READY", flush=True)
    while not os.path.exists(go):
        time.sleep(0.005)
    for j in range(n):
        store.append_turn(sid, turn(j))
    if mode == "tool":
        # the next turn has begun: the model asked for a tool, which takes very long;
        # the turn is only appended once it is complete, so nothing of it is stored yet
        user = Message("user", f"w{w} t{n} question")
        print("IN_TOOL", flush=True)
        time.sleep(600)
    elif mode == "bulk":
        batch = [turn(j) for j in range(n, n + 20000)]
        print("WRITING", flush=True)
        store.append_turns(sid, batch)
        print("WROTE", flush=True)
        time.sleep(600)
print("DONE", flush=True)
"""


class Target:
    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.schema = ""
        self.app = f"gptkit-test-{uuid.uuid4().hex[:8]}"
        if name == "sqlite":
            self.url = "sqlite:///memory.db"
        else:
            import psycopg

            self.schema = f"gptkit_test_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.schema}"')
            self.url = f"{PG_URL}?options=-csearch_path%3D{self.schema}&application_name={self.app}"

    def open(self) -> Store:
        return open_store(self.url, project_root=self.project)

    def in_write_transaction(self) -> bool:
        """Whether a worker holds an open write transaction right now."""
        if self.name == "sqlite":
            conn = sqlite3.connect(self.project / "memory.db", timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND xact_start IS NOT NULL",
                (self.app,),
            ).fetchone()
        return bool(row and row[0])

    def drop(self) -> None:
        if self.schema:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s",
                    (self.app,),
                )
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "postgres":
        reason = postgres_unavailable()
        if reason:
            pytest.skip(reason)
    t = Target(request.param, tmp_path)
    try:
        yield t
    finally:
        t.drop()


def start_worker(
    target: Target, worker: int, turns: int, mode: str, go: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            target.url,
            str(target.project),
            SESSION,
            str(worker),
            str(turns),
            mode,
            str(go),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


_PENDING: dict[int, str] = {}  # output read past a line waited for, by process id


def wait_for(proc: subprocess.Popen[str], word: str, timeout: float = 60) -> None:
    """Wait until the worker prints the line ``word``.

    Reads the pipe's file descriptor itself: a buffered ``readline`` after ``select`` would keep
    a second line that arrived in the same chunk (READY and IN_TOOL together, when the turns in
    between are fast) in its buffer, where ``select`` never sees it.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = _PENDING.pop(proc.pid, "")
    deadline = time.monotonic() + timeout
    while True:
        while "\n" in buffer:
            line, buffer = buffer.split("\n", 1)
            if line.strip() == word:
                _PENDING[proc.pid] = buffer
                return
        if time.monotonic() > deadline:
            break
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk and proc.poll() is not None:
                break
            buffer += chunk.decode()
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"worker never printed {word}; stderr:\n{err}")


def turns_of(messages: list[Message]) -> list[tuple[int, int]]:
    """(worker, turn) of each stored turn, checking each is whole and in one piece."""
    assert len(messages) % 4 == 0
    out = []
    for i in range(0, len(messages), 4):
        user, call, result, answer = messages[i : i + 4]
        w, t = (int(x[1:]) for x in user.content.split()[:2])
        tag = f"w{w} t{t}"
        assert (user.role, call.role, result.role, answer.role) == (
            "user",
            "assistant",
            "tool",
            "assistant",
        )
        assert call.tool_calls == (
            ToolCall(f"call-w{w}-t{t}", "lookup", f'{{"w": {w}, "t": {t}}}'),
        )
        assert result.tool_call_id == f"call-w{w}-t{t}" and result.content == f"{tag} result"
        assert answer.content == f"{tag} answer"
        out.append((w, t))
    return out


def test_eight_processes_append_to_one_session_and_lose_nothing(
    target: Target, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [start_worker(target, w, TURNS, "plain", go) for w in range(WORKERS)]
    try:
        for proc in procs:
            wait_for(proc, "READY")
        go.touch()  # all at once
        for proc in procs:
            _, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    with target.open() as store:
        messages = store.messages(SESSION)
        assert len(messages) == WORKERS * TURNS * 4
        assert store.count(SESSION) == len(messages)
        order = turns_of(messages)
        assert len(order) == WORKERS * TURNS
        for w in range(WORKERS):
            assert [t for (ww, t) in order if ww == w] == list(range(TURNS))
        assert store.integrity_check() == []


def test_kill_9_during_a_long_tool_call_keeps_every_complete_turn(
    target: Target, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    go.touch()
    proc = start_worker(target, 0, 3, "tool", go)
    try:
        wait_for(proc, "IN_TOOL")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with target.open() as store:
        assert turns_of(store.messages(SESSION)) == [(0, 0), (0, 1), (0, 2)]
        assert store.integrity_check() == []
        # the store is writable again at once, and numbering goes on without a gap
        store.append_turn(SESSION, [Message("user", "w9 t0 question"), Message("assistant", "ok")])
        assert store.count(SESSION) == 14
        assert store.integrity_check() == []


def test_kill_9_inside_a_write_transaction_stores_nothing_of_it(
    target: Target, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    go.touch()
    proc = start_worker(target, 0, 3, "bulk", go)
    try:
        wait_for(proc, "WRITING")
        deadline = time.monotonic() + 60
        while not target.in_write_transaction():  # catch it inside the transaction
            assert time.monotonic() < deadline, "the worker never began its transaction"
            assert proc.poll() is None
            time.sleep(0.001)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with target.open() as store:
        count = store.count(SESSION)
        # killed inside its transaction (which takes seconds): none of it is stored
        assert count == 12
        assert len(store.messages(SESSION)) == count
        assert store.integrity_check() == []
        store.append_turn(SESSION, [Message("user", "w9 t0 question"), Message("assistant", "ok")])
        assert store.count(SESSION) == count + 2
