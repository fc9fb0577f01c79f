"""Where a SQLite store may be (issue 9, item 11), through the real CLI in a subprocess.

An assistant file may keep its database in its project folder or the gptkit home, by a relative
or an absolute path; a URL the person gives (``--store`` on the command line, or a whole
environment variable the file refers to) may be anywhere. Reading (``sessions list``) never
creates a database for a mistyped name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.memory.backends import open_store
from gptkit.messages import Message
from gptkit.testing import FakeOpenAI


def gptkit(*args: str, cwd: Path, server: FakeOpenAI | None = None,
           **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    environ.update({"OPENAI_API_KEY": "sk-test", **env})
    if server is not None:
        environ["OPENAI_BASE_URL"] = server.url
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, env=environ, cwd=cwd, stdin=subprocess.DEVNULL, timeout=60)


def assistant(folder: Path, store: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "assistant.yaml"
    path.write_text("version: 1\nname: keeper\nmodel: {name: gpt-4o-mini, max_retries: 0}\n"
                    f"instructions: Be brief.\nmemory:\n  store: {store}\n")
    return path


def stored_session(path: Path, session: str = "s1") -> None:
    """A database at ``path`` holding one session of one turn."""
    with open_store(f"sqlite:///{path}", project_root=path.parent, named_by_user=True) as store:
        store.ensure_session("keeper", session)
        store.append_turn(session, [Message("user", "hi"), Message("assistant", "hello")])


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_an_assistant_file_may_keep_its_store_in_its_project(tmp_path: Path, how: str) -> None:
    project = tmp_path / "project"
    db = project / "state" / "memory.db"
    file = assistant(project, f"sqlite:///{db}" if how == "absolute" else "sqlite:///state/memory.db")
    with FakeOpenAI("echo") as server:
        result = gptkit("run", "--session", "s1", str(file), "hello there", cwd=tmp_path, server=server)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo: hello there\n"
    listed = gptkit("sessions", "--file", str(file), "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "s1" in listed.stdout and "keeper" in listed.stdout
    assert db.is_file()


def test_an_assistant_file_cannot_write_a_store_outside_project_and_home(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "x.db"
    file = assistant(tmp_path / "project", f"sqlite:///{outside}")
    with FakeOpenAI("echo") as server:
        result = gptkit("run", "--session", "s1", str(file), "hi", cwd=tmp_path, server=server)
    assert result.returncode == 1
    assert "points outside the project" in result.stderr and "Traceback" not in result.stderr
    assert not outside.parent.exists()
    assert not server.requests  # refused before any call


def test_a_store_named_in_the_environment_may_be_anywhere(tmp_path: Path) -> None:
    outside = tmp_path / "shared" / "team.db"
    file = assistant(tmp_path / "project", "${KEEPER_STORE}")
    with FakeOpenAI("echo") as server:
        result = gptkit("run", "--session", "s1", str(file), "hi", cwd=tmp_path, server=server,
                        KEEPER_STORE=f"sqlite:///{outside}")
    assert result.returncode == 0, result.stderr
    listed = gptkit("sessions", "--store", f"sqlite:///{outside}", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "s1" in listed.stdout


def test_a_store_named_on_the_command_line_may_be_anywhere(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    stored_session(work / "elsewhere.db", "from-cwd")
    stored_session(tmp_path / "abs" / "other.db", "from-abs")
    relative = gptkit("sessions", "--store", "sqlite:///elsewhere.db", "list", cwd=work)
    assert relative.returncode == 0, relative.stderr
    assert "from-cwd" in relative.stdout
    absolute = gptkit("sessions", "--store", f"sqlite:///{tmp_path / 'abs' / 'other.db'}",
                      "show", "from-abs", cwd=work)
    assert absolute.returncode == 0, absolute.stderr
    assert "hello" in absolute.stdout


@pytest.mark.parametrize("action", [["list"], ["show", "s1"], ["delete", "s1"]])
def test_a_mistyped_store_is_an_error_not_a_new_database(tmp_path: Path, action: list[str]) -> None:
    stored_session(tmp_path / "elsewhere.db")
    result = gptkit("sessions", "--store", "sqlite:///elswhere.db", *action, cwd=tmp_path)
    assert result.returncode == 2
    assert f"there is no memory store at {tmp_path / 'elswhere.db'}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "elswhere.db").exists()


def test_listing_before_anything_is_stored_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = gptkit("sessions", "list", cwd=tmp_path, GPTKIT_HOME=str(home))
    assert result.returncode == 0, result.stderr
    assert f"no stored sessions in {home / 'gptkit.db'}" in result.stdout
    assert not home.exists()
