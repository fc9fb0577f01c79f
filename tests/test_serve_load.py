"""`gptkit serve` under load and under a crash: 50 conversations streaming at once lose or mix
nothing (each answer in its own conversation, in order), on SQLite and on PostgreSQL; a kill -9
in the middle of turns leaves every completed turn stored and nothing of the others.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_server import PG_URL, postgres_unavailable
from serve_helpers import Serve, write_project

from gptkit.testing import FakeOpenAI, call, delay, text, tool_calls

CONVERSATIONS = 50
TURNS = 3


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None  # the default store, in the serve process's GPTKIT_HOME
        return
    why = postgres_unavailable()
    if why:
        pytest.skip(why)
    import psycopg

    schema = f"gptkit_serve_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def open_store(url: str | None, home: Path) -> Any:
    if url is None:
        from gptkit.memory.sqlite import SQLiteStore

        return SQLiteStore(home / "gptkit.db")
    from gptkit.memory.postgres import PostgresStore

    return PostgresStore(url)


def said(conversation: int, turn: int) -> str:
    return f"conversation {conversation} turn {turn}"


async def converse(serve: Serve, number: int) -> list[str]:
    """One conversation's turns, streamed, one after the other; the answers as read."""
    client = serve.async_client()
    conversation = f"load-{number}"
    answers = []
    try:
        for turn in range(TURNS):
            if number % 2:
                stream = await client.chat.completions.create(
                    model="adder", messages=[{"role": "user", "content": said(number, turn)}],
                    stream=True, extra_headers={"X-Conversation-Id": conversation})
                pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
            else:
                stream = await client.responses.create(
                    model="adder", input=said(number, turn), conversation=conversation,
                    stream=True)
                pieces = [e.delta async for e in stream if e.type == "response.output_text.delta"]
            answers.append("".join(pieces))
    finally:
        await client.close()
    return answers


def test_fifty_streaming_conversations_at_once_lose_and_mix_nothing(
        store: str | None, tmp_path: Path) -> None:
    project = write_project(tmp_path / "assistants", ("adder",), store=store)
    home = tmp_path / "home"
    with FakeOpenAI("echo") as model, Serve([project], model.url, home=home) as serve:
        async def everyone() -> list[list[str]]:
            return await asyncio.gather(*(converse(serve, n) for n in range(CONVERSATIONS)))

        answers = asyncio.run(everyone())
        log = serve.wait_log(CONVERSATIONS * TURNS)
    for number, got in enumerate(answers):
        assert got == [f"echo: {said(number, t)}" for t in range(TURNS)]
    with open_store(store, home) as kept:
        for number in range(CONVERSATIONS):
            messages = [(m.role, m.content) for m in kept.messages(f"load-{number}")]
            expected = []
            for turn in range(TURNS):
                expected += [("user", said(number, turn)), ("assistant", f"echo: {said(number, turn)}")]
            assert messages == expected
    # each model request carried its own conversation's history, and nothing of another's
    assert len(model.requests) == CONVERSATIONS * TURNS
    for request in model.requests:
        texts = [m.get("content") for m in request.body["messages"] if m["role"] == "user"]
        number = int(texts[-1].split()[1])
        assert texts == [said(number, t) for t in range(len(texts))]
    assert sum("status=200" in line for line in log) == CONVERSATIONS * TURNS


def test_a_kill_9_mid_turn_keeps_every_completed_turn_and_no_partial_one(
        store: str | None, tmp_path: Path) -> None:
    def answer(request: Any) -> Any:
        last = request.last_user_text()
        if last.startswith("hang"):
            if request.tool_results():
                return delay(60, then=text("never"))  # the tool ran; the answer never comes
            return tool_calls(call("add", {"a": 1, "b": 2}, id="k1"))
        return text(f"echo: {last}")

    project = write_project(tmp_path / "assistants", ("adder",), store=store)
    home = tmp_path / "home"
    with FakeOpenAI(answer) as model:
        serve = Serve([project], model.url, home=home).start()
        try:
            client = serve.client()
            for number in range(4):
                for turn in range(2):
                    client.chat.completions.create(
                        model="adder", messages=[{"role": "user", "content": f"c{number} t{turn}"}],
                        extra_headers={"X-Conversation-Id": f"crash-{number}"})

            async def hang() -> None:
                hanging = serve.async_client()

                async def third(number: int) -> None:
                    reply = await hanging.chat.completions.create(
                        model="adder", messages=[{"role": "user", "content": f"hang {number}"}],
                        stream=bool(number % 2),
                        extra_headers={"X-Conversation-Id": f"crash-{number}"})
                    if number % 2:
                        async for _ in reply:
                            pass

                tasks = [asyncio.ensure_future(third(n)) for n in range(4)]  # left in flight
                deadline = time.monotonic() + 30
                while sum(bool(r.tool_results()) for r in model.requests) < 4:
                    assert time.monotonic() < deadline, "the hanging turns did not reach their tool"
                    await asyncio.sleep(0.02)
                serve.kill()  # kill -9, each turn between its tool and its answer
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                await hanging.close()
                assert all(isinstance(o, Exception) for o in outcomes)

            asyncio.run(hang())
        finally:
            serve.stop()
    with open_store(store, home) as kept:
        for number in range(4):
            assert [(m.role, m.content) for m in kept.messages(f"crash-{number}")] == [
                ("user", f"c{number} t0"), ("assistant", f"echo: c{number} t0"),
                ("user", f"c{number} t1"), ("assistant", f"echo: c{number} t1")]
        assert kept.integrity_check() == []
