"""The index: each file indexed once, only changed files again, unreadable files recorded and
the others indexed; two processes at once; SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gptkit.knowledge.files import find_files
from gptkit.knowledge.index import Index
from gptkit.knowledge.sqlite import SQLiteIndex
from tests.knowledge_samples import assistant, docx_bomb, pdf_bytes, write
from tests.pg_server import PG_URL, postgres_unavailable

LIMIT = 25_000_000


@pytest.fixture(params=["sqlite", "postgres"])
def make_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    opened: list[Index] = []
    if request.param == "sqlite":
        def make(chunk_tokens: int = 400, overlap: int = 60) -> Index:
            index = SQLiteIndex(tmp_path / "k.db", chunk_tokens, overlap, LIMIT)
            opened.append(index)
            return index
        yield make
    else:
        reason = postgres_unavailable()
        if reason:
            pytest.skip(reason)
        import psycopg

        schema = f"kn_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        from gptkit.knowledge.postgres import PostgresIndex

        def make(chunk_tokens: int = 400, overlap: int = 60) -> Index:
            index = PostgresIndex(url, "corpus-1", chunk_tokens, overlap, LIMIT)
            opened.append(index)
            return index
        try:
            yield make
        finally:
            for index in opened:
                index.close()
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
        return
    for index in opened:
        index.close()


def corpus(folder: Path) -> None:
    write(folder, "docs/refunds.md", "# Refunds\n\nRefunds are paid within 14 days of the request.\n")
    write(folder, "docs/shipping.txt", "Shipping is free for orders over 50 euros.")
    write(folder, "docs/manual.pdf", pdf_bytes(["Press the reset button for ten seconds", "Warranty lasts two years"]))
    write(folder, "docs/prices.csv", "plan,price\nBasic,5\nPro,12\n")


def files(folder: Path) -> list:
    return find_files(["docs/**/*"], folder, folder, LIMIT)[0]


def test_search_finds_the_passage_with_its_place(make_index, tmp_path: Path) -> None:
    corpus(tmp_path)
    index = make_index()
    report = index.sync(files(tmp_path))
    assert sorted(report.indexed) == ["docs/manual.pdf", "docs/prices.csv", "docs/refunds.md", "docs/shipping.txt"]
    best = index.search("how long is the warranty?", 3)[0]
    assert (best.file, best.where) == ("docs/manual.pdf", "page 2")
    best = index.search("refunds days", 3)[0]
    assert (best.file, best.where) == ("docs/refunds.md", "Refunds")
    assert index.search("price of the Pro plan", 1)[0].file == "docs/prices.csv"
    assert index.search("zzzz qqqq", 5) == []


def test_only_the_changed_file_is_indexed_again(make_index, tmp_path: Path) -> None:
    corpus(tmp_path)
    index = make_index()
    index.sync(files(tmp_path))
    again = index.sync(files(tmp_path))
    assert again.indexed == [] and again.unchanged == 4
    write(tmp_path, "docs/shipping.txt", "Shipping costs 4 euros; free over 80 euros.")
    report = index.sync(files(tmp_path))
    assert report.indexed == ["docs/shipping.txt"] and report.unchanged == 3
    assert "80 euros" in index.search("shipping cost", 1)[0].text
    assert not any("50 euros" in p.text for p in index.search("shipping", 10))


def test_a_touched_file_with_the_same_content_is_not_parsed(make_index, tmp_path: Path) -> None:
    corpus(tmp_path)
    index = make_index()
    index.sync(files(tmp_path))
    path = tmp_path / "docs/refunds.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    report = index.sync(files(tmp_path))
    assert report.indexed == [] and report.unchanged == 4 and report.chunks == 0


def test_removed_files_leave_the_index(make_index, tmp_path: Path) -> None:
    corpus(tmp_path)
    index = make_index()
    index.sync(files(tmp_path))
    (tmp_path / "docs/shipping.txt").unlink()
    states = {s.name: s.state for s in index.status(files(tmp_path))}
    assert states["docs/shipping.txt"] == "missing"
    report = index.sync(files(tmp_path))
    assert report.removed == ["docs/shipping.txt"]
    assert index.search("shipping free", 5) == [] or all(
        p.file != "docs/shipping.txt" for p in index.search("shipping free", 5)
    )


def test_unreadable_files_are_recorded_and_the_others_indexed(make_index, tmp_path: Path) -> None:
    corpus(tmp_path)
    write(tmp_path, "docs/locked.pdf", pdf_bytes(["secret"], password="pw"))
    write(tmp_path, "docs/latin1.txt", b"caf\xe9")
    write(tmp_path, "docs/bomb.docx", docx_bomb())
    index = make_index()
    report = index.sync(files(tmp_path))
    assert set(report.unreadable) == {"docs/locked.pdf", "docs/latin1.txt", "docs/bomb.docx"}
    assert "encrypted PDF" in report.unreadable["docs/locked.pdf"]
    assert "archive bomb" in report.unreadable["docs/bomb.docx"]
    assert "not UTF-8" in report.unreadable["docs/latin1.txt"]
    assert len(report.indexed) == 4
    states = {s.name: s.state for s in index.status(files(tmp_path))}
    assert states["docs/locked.pdf"] == "unreadable" and states["docs/refunds.md"] == "indexed"
    # not tried again while unchanged, still reported
    assert set(index.sync(files(tmp_path)).unreadable) == set(report.unreadable)


def test_new_chunk_settings_index_everything_again(make_index, tmp_path: Path) -> None:
    corpus(tmp_path)
    make_index().sync(files(tmp_path))
    report = make_index(chunk_tokens=100, overlap=10).sync(files(tmp_path))
    assert len(report.indexed) == 4


def test_files_with_the_same_content_share_passages(make_index, tmp_path: Path) -> None:
    write(tmp_path, "docs/a.md", "# Same\n\nidentical words here\n")
    write(tmp_path, "docs/b.md", "# Same\n\nidentical words here\n")
    index = make_index()
    report = index.sync(files(tmp_path))
    assert report.indexed == ["docs/a.md", "docs/b.md"] and index.count() == 1


def gptkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gptkit", *args], capture_output=True, text=True, timeout=120,
        env=dict(os.environ),
    )


def test_the_cli_reports_only_the_changed_file(tmp_path: Path) -> None:
    corpus(tmp_path)
    file = str(assistant(tmp_path, ["docs/*"]))
    first = json.loads(gptkit("knowledge", file, "index", "--json").stdout)
    assert len(first["indexed"]) == 4
    write(tmp_path, "docs/refunds.md", "# Refunds\n\nRefunds are paid within 30 days.\n")
    second = json.loads(gptkit("knowledge", file, "index", "--json").stdout)
    assert second["indexed"] == ["docs/refunds.md"] and second["unchanged"] == 3


def test_two_processes_indexing_at_once_index_each_file_once(tmp_path: Path) -> None:
    for i in range(40):
        write(tmp_path, f"docs/doc{i:02}.md", f"# Topic {i}\n\n" + f"word{i} " * 400)
    file = str(assistant(tmp_path, ["docs/*.md"]))
    command = [sys.executable, "-m", "gptkit", "knowledge", file, "index", "--json"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), outs
    reports = [json.loads(out) for out, _ in outs]
    indexed = [name for report in reports for name in report["indexed"]]
    assert sorted(indexed) == [f"docs/doc{i:02}.md" for i in range(40)]  # each once
    status = json.loads(gptkit("knowledge", file, "status", "--json").stdout)
    assert {f["state"] for f in status["files"]} == {"indexed"}
    search = json.loads(gptkit("knowledge", file, "search", "word17", "--json").stdout)
    assert search["passages"][0]["file"] == "docs/doc17.md"
