"""Knowledge through the Python API, `chat`, and a PostgreSQL store: the passages a turn used
come back with the answer; the index lives beside the store."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

import gptkit
from gptkit.testing import FakeOpenAI, call, text, tool_calls
from tests.knowledge_samples import assistant, write
from tests.pg_server import PG_URL, postgres_unavailable

KEY = "sk-test-SECRETKEY0123456789abcdef"


def project(tmp_path: Path, extra: str = "") -> Path:
    write(tmp_path, "kb/refunds.md", "# Refunds\n\nRefunds are paid within 14 days.\n")
    write(tmp_path, "kb/shipping.md", "# Shipping\n\nShipping is free over 50 euros.\n")
    return assistant(tmp_path, ["kb/*.md"], extra)


def test_the_answer_carries_the_passages_it_used(tmp_path: Path) -> None:
    script = [tool_calls(call("search_knowledge", {"query": "shipping free"}, id="c1")),
              text("Free over 50 euros."), text("No tool this time.")]
    with FakeOpenAI(script) as server:
        session = gptkit.Session(gptkit.load(project(tmp_path)), base_url=server.url,
                                 environ={"OPENAI_API_KEY": KEY})
        with session:
            answer = session.send("Is shipping free?")
            assert [p.citation for p in answer.passages][:1] == ["kb/shipping.md, Shipping"]
            assert answer.passages[0].text == "Shipping\n\nShipping is free over 50 euros."
            second = session.send("thanks")
            assert second.passages == []  # each turn reports its own


def test_the_sqlite_index_is_beside_the_memory_store(tmp_path: Path) -> None:
    file = project(tmp_path, "memory:\n  store: sqlite:///data/memory.db\n")
    with FakeOpenAI([text("ok")]) as server:
        with gptkit.Session(gptkit.load(file), base_url=server.url,
                            environ={"OPENAI_API_KEY": KEY}) as session:
            session.send("hello")
    (index,) = (tmp_path / "data" / "knowledge-index").iterdir()
    assert index.name.startswith("kb-test-") and index.suffix == ".db"


def test_with_a_postgresql_store_the_index_is_in_postgresql(tmp_path: Path) -> None:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"kn_run_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        file = project(tmp_path, f"memory:\n  store: {url}\n")
        script = [tool_calls(call("search_knowledge", {"query": "refund days"}, id="c1")),
                  text("14 days.")]
        with FakeOpenAI(script) as server:
            with gptkit.Session(gptkit.load(file), base_url=server.url,
                                environ={"OPENAI_API_KEY": KEY}) as session:
                answer = session.send("refunds?")
        assert answer.passages[0].citation == "kb/refunds.md, Refunds"
        with psycopg.connect(url, autocommit=True) as conn:
            files = conn.execute("SELECT name FROM gptkit_kn_files ORDER BY name").fetchall()
        assert [f[0] for f in files] == ["kb/refunds.md", "kb/shipping.md"]
        assert not (tmp_path / "gptkit-home" / "knowledge-index").exists()  # no SQLite index
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_chat_lists_the_sources_after_the_answer(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    file = project(tmp_path)
    script = [tool_calls(call("search_knowledge", {"query": "refund"}, id="c1")),
              text("Within 14 days.")]
    with FakeOpenAI(script) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.url, NO_COLOR="1")
        child = pexpect.spawn(sys.executable, ["-m", "gptkit", "chat", str(file)], env=env,
                              encoding="utf-8", timeout=30, dimensions=(40, 200))
        child.expect_exact("you> ")
        child.sendline("how long do refunds take?")
        child.expect_exact("assistant> Within 14 days.")
        child.expect_exact("Sources:")
        child.expect_exact("[1] kb/refunds.md, Refunds")
        child.expect_exact("you> ")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.wait()
    assert child.exitstatus == 0
