"""knowledge.embeddings: passages get vectors through the model's provider (the fake server's
/v1/embeddings), searches fuse BM25 and vectors by reciprocal rank; without vectors (a replayed
cassette, PostgreSQL without pgvector, a bad reply) search is BM25 alone and a warning says why."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import gptkit
from gptkit.errors import ProviderError
from gptkit.knowledge.passages import Passage
from gptkit.providers.embeddings import _vectors
from gptkit.runtime.knowledge import RRF_K, fuse
from gptkit.testing import FakeOpenAI, call, text, tool_calls
from tests.knowledge_samples import assistant, write
from tests.pg_server import PG_URL, postgres_unavailable

KEY = "sk-test-SECRETKEY0123456789abcdef"
EMBED = "  embeddings: {model: text-embedding-3-small}\n"


def project(tmp_path: Path, extra: str = EMBED) -> Path:
    write(tmp_path, "kb/refunds.md", "# Refunds\n\nRefunds are paid within 14 days.\n\n## Gift cards\n\nGift cards are never refunded.\n")
    write(tmp_path, "kb/shipping.md", "# Shipping\n\nShipping is free over 50 euros.\n")
    return assistant(tmp_path, ["kb/*.md"], extra)


def embedding_requests(server: FakeOpenAI) -> list[list[str]]:
    return [r.body["input"] for r in server.requests if r.path == "/v1/embeddings"]


def test_passages_are_embedded_once_and_searches_are_fused(tmp_path: Path) -> None:
    file = project(tmp_path)
    script = [tool_calls(call("search_knowledge", {"query": "gift cards refunded"}, id="c1")),
              text("Never."), text("ok")]
    with FakeOpenAI(script) as server:
        with gptkit.Session(gptkit.load(file), base_url=server.url,
                            environ={"OPENAI_API_KEY": KEY}) as session:
            answer = session.send("Can gift cards be refunded?")
        first, query = embedding_requests(server)
        assert len(first) == 3 and any("Gift cards are never refunded." in t for t in first)
        assert query == ["gift cards refunded"]
        assert answer.warnings == []
        best = answer.passages[0]
        assert best.citation == "kb/refunds.md, Refunds > Gift cards"
        assert best.score == pytest.approx(2 / (RRF_K + 1))  # first in both rankings
        # a new session: the vectors are kept, nothing is embedded again
        with gptkit.Session(gptkit.load(file), base_url=server.url,
                            environ={"OPENAI_API_KEY": KEY}) as session:
            session.send("hello")
        assert len(embedding_requests(server)) == 2


def test_reciprocal_rank_fusion_prefers_agreement() -> None:
    a, b, c = (Passage(n, "", n, 0.0) for n in "abc")
    fused = fuse([[a, b, c], [b]], 3)
    assert [p.file for p in fused] == ["b", "a", "c"]  # b: 1/62 + 1/61 beats a: 1/61
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_a_replayed_cassette_searches_with_bm25_alone(tmp_path: Path) -> None:
    file = project(tmp_path)
    cassette = tmp_path / "run.cassette.yaml"
    script = [tool_calls(call("search_knowledge", {"query": "shipping"}, id="c1")), text("Free.")]
    with FakeOpenAI(script) as server:
        with gptkit.Session(gptkit.load(file), base_url=server.url, record=cassette,
                            environ={"OPENAI_API_KEY": KEY}) as session:
            session.send("Is shipping free?")
            session.save_recording()
    assert "/embeddings" not in cassette.read_text()  # vectors are not part of the conversation
    with gptkit.Session(gptkit.load(file), replay=cassette) as session:
        answer = session.send("Is shipping free?")
    assert answer.passages[0].citation == "kb/shipping.md, Shipping"
    assert any("embeddings: not used while a cassette is replayed" in w for w in answer.warnings)


def test_postgresql_without_pgvector_says_so(tmp_path: Path) -> None:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
            pytest.skip("this server has pgvector")
        schema = f"kn_vec_{uuid.uuid4().hex[:12]}"
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        file = project(tmp_path, EMBED + f"memory:\n  store: {url}\n")
        with FakeOpenAI([text("ok")]) as server:
            with gptkit.Session(gptkit.load(file), base_url=server.url,
                                environ={"OPENAI_API_KEY": KEY}) as session:
                answer = session.send("hello")
        (warning,) = answer.warnings
        assert "the PostgreSQL database has no pgvector extension" in warning
        assert "ranked by full-text search alone" in warning
        assert embedding_requests(server) == []
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.parametrize("reply", [
    {"data": []},
    {"data": [{"index": 0, "embedding": "nope"}]},
    {"data": [{"index": 0, "embedding": [1.0, float("nan")]}]},
    "text",
])
def test_a_bad_embeddings_reply_is_a_clear_error(reply: object) -> None:
    with pytest.raises(ProviderError, match="embeddings"):
        _vectors(reply, 1, "m", "http://x/v1")


def test_the_cli_search_uses_the_vectors(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    file = project(tmp_path)
    with FakeOpenAI([]) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.url)
        result = subprocess.run(
            [sys.executable, "-m", "gptkit", "knowledge", str(file), "search", "shipping", "--json"],
            capture_output=True, text=True, env=env, timeout=60,
        )
    assert result.returncode == 0, result.stderr
    best = json.loads(result.stdout)["passages"][0]
    assert best["file"] == "kb/shipping.md" and best["score"] == pytest.approx(2 / 61, abs=1e-4)
    assert len([r for r in server.requests if r.path == "/v1/embeddings"]) == 2
