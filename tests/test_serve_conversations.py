"""`gptkit serve` conversations: stateless by default, stored with a conversation id (as
`gptkit chat` stores them), one turn at a time (409), and the page's JSON routes over the same
conversations. The openai client against a real serve process; the fake model behind it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from pg_server import PG_URL, postgres_unavailable
from serve_helpers import Serve, http, write_project

from gptkit.testing import FakeOpenAI, call, delay, text, tool_calls


def echo_or_slow(request: Any) -> Any:
    said = request.last_user_text()
    if said.startswith("slow"):
        return delay(2.5, then=text(f"echo: {said}"))
    return text(f"echo: {said}", usage=(10, 2))


def stored(home: Path, conversation: str) -> list[tuple[str, str]]:
    from gptkit.memory.sqlite import SQLiteStore

    with SQLiteStore(home / "gptkit.db") as store:
        return [(m.role, m.content) for m in store.messages(conversation)]


def sse_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def in_background(work: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = work()
        except Exception as exc:  # handed to the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def wait_for_requests(model: FakeOpenAI, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(model.requests) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(model.requests) >= count


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "assistants", ("adder",))


def test_stateless_the_client_messages_are_the_history(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI(echo_or_slow) as model, Serve([project], model.url, home=tmp_path) as serve:
        answer = serve.client().chat.completions.create(model="adder", messages=[
            {"role": "system", "content": "ignored: the assistant has its own"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "echo: first"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ])
        listed = http("GET", serve.url + "/ui/api/conversations").json()
    assert answer.choices[0].message.content == "echo: second"
    sent = model.requests[0].body["messages"]
    assert sent[0]["role"] == "system" and "You help with sums" in sent[0]["content"]
    assert "ignored" not in json.dumps(sent)
    assert [(m["role"], m["content"]) for m in sent[1:]] == [
        ("user", "first"), ("assistant", "echo: first"), ("user", "second")]
    assert listed == {"data": []}  # nothing kept


def test_a_conversation_id_keeps_the_conversation_as_chat_does(
        project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with FakeOpenAI(echo_or_slow) as model, Serve([project], model.url, home=home) as serve:
        client = serve.client()
        for said in ("one", "two"):
            raw = client.chat.completions.with_raw_response.create(
                model="adder", messages=[{"role": "user", "content": said}],
                extra_headers={"X-Conversation-Id": "trip-1"})
        streamed = list(client.chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "three"}], stream=True,
            extra_headers={"X-Conversation-Id": "trip-1"}))
        with pytest.raises(openai.BadRequestError) as bad_id:
            client.chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x"}],
                extra_headers={"X-Conversation-Id": "../etc"})
    assert raw.headers["x-conversation-id"] == "trip-1"
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "echo: three"
    third = model.requests[2].body["messages"]
    assert [(m["role"], m["content"]) for m in third[1:]] == [
        ("user", "one"), ("assistant", "echo: one"), ("user", "two"), ("assistant", "echo: two"),
        ("user", "three")]
    assert stored(home, "trip-1") == [
        ("user", "one"), ("assistant", "echo: one"), ("user", "two"), ("assistant", "echo: two"),
        ("user", "three"), ("assistant", "echo: three")]
    assert bad_id.value.body["code"] == "invalid_conversation_id"
    # the same session `gptkit chat --session trip-1` would resume
    shown = subprocess.run([sys.executable, "-m", "gptkit", "sessions", "show", "trip-1"],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "GPTKIT_HOME": str(home)})
    assert shown.returncode == 0, shown.stderr
    assert "adder" in shown.stdout and "echo: three" in shown.stdout


def test_responses_continue_with_previous_response_id_and_conversation(
        project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with FakeOpenAI(echo_or_slow) as model, Serve([project], model.url, home=home) as serve:
        client = serve.client()
        first = client.responses.create(model="adder", input="alpha", conversation="notes-1")
        second = client.responses.create(model="adder", input="beta",
                                         previous_response_id=first.id)
        events = list(client.responses.create(model="adder", input="gamma",
                                              previous_response_id=second.id, stream=True))
        fresh = client.responses.create(model="adder", input="new one", store=True)
        stateless = client.responses.create(model="adder", input="nothing kept")
        with pytest.raises(openai.BadRequestError) as not_kept:
            client.responses.create(model="adder", input="x", previous_response_id=stateless.id)
        with pytest.raises(openai.BadRequestError) as foreign:
            client.responses.create(model="adder", input="x", previous_response_id="resp_abc")
    assert first.conversation.id == "notes-1"
    assert second.output_text == "echo: beta" and second.previous_response_id == first.id
    assert events[-1].response.output_text == "echo: gamma"
    assert stored(home, "notes-1") == [
        ("user", "alpha"), ("assistant", "echo: alpha"), ("user", "beta"), ("assistant", "echo: beta"),
        ("user", "gamma"), ("assistant", "echo: gamma")]
    new_conversation = fresh.conversation.id
    assert stored(home, new_conversation) == [("user", "new one"), ("assistant", "echo: new one")]
    assert stateless.conversation is None
    assert not_kept.value.body["code"] == "response_not_stored"
    assert foreign.value.body["code"] == "invalid_previous_response_id"
    third_request = model.requests[2].body
    assert "alpha" in json.dumps(third_request) and "beta" in json.dumps(third_request)


def test_a_second_turn_in_flight_gets_409_and_other_conversations_go_on(
        project: Path, tmp_path: Path) -> None:
    with FakeOpenAI(echo_or_slow) as model, Serve([project], model.url, home=tmp_path) as serve:
        client = serve.client()
        busy = {"X-Conversation-Id": "busy-1"}
        thread, out = in_background(lambda: client.chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "slow one"}], extra_headers=busy))
        wait_for_requests(model, 1)
        with pytest.raises(openai.ConflictError) as second:
            client.chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "me too"}], extra_headers=busy)
        with pytest.raises(openai.ConflictError):
            client.responses.create(model="adder", input="me too", conversation="busy-1")
        page = http("POST", serve.url + "/ui/api/conversations/busy-1/turn",
                    json_body={"assistant": "adder", "message": "me too"})
        other = client.chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "elsewhere"}],
            extra_headers={"X-Conversation-Id": "other-1"})
        thread.join(30)
        after = client.chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "now"}], extra_headers=busy)
    assert second.value.status_code == 409 and second.value.body["type"] == "conflict_error"
    assert second.value.body["code"] == "conversation_busy"
    assert page.status_code == 409 and page.json()["error"]["code"] == "conversation_busy"
    assert other.choices[0].message.content == "echo: elsewhere"
    assert out["value"].choices[0].message.content == "echo: slow one"
    assert after.choices[0].message.content == "echo: now"
    assert len(model.requests) == 3  # the refused ones never reached the model


@pytest.fixture
def pg_store() -> Iterator[str]:
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


def test_409_holds_across_two_serve_processes_on_postgresql(tmp_path: Path, pg_store: str) -> None:
    project = write_project(tmp_path / "pg", ("adder",), store=pg_store)
    with FakeOpenAI(echo_or_slow) as model, \
            Serve([project], model.url, home=tmp_path / "a") as one, \
            Serve([project], model.url, home=tmp_path / "b") as two:
        busy = {"X-Conversation-Id": "shared-1"}
        thread, out = in_background(lambda: one.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "slow here"}], extra_headers=busy))
        wait_for_requests(model, 1)
        with pytest.raises(openai.ConflictError):
            two.client().chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "there"}], extra_headers=busy)
        thread.join(30)
        after = two.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "then there"}], extra_headers=busy)
        page = http("GET", one.url + "/ui/api/conversations/shared-1").json()
    assert out["value"].choices[0].message.content == "echo: slow here"
    assert after.choices[0].message.content == "echo: then there"
    # the second process continued the first one's conversation, from the shared store
    assert [m["content"] for m in page["messages"]] == [
        "slow here", "echo: slow here", "then there", "echo: then there"]


def test_the_page_routes_run_list_show_and_delete_conversations(
        project: Path, tmp_path: Path) -> None:
    script = [tool_calls(call("add", {"a": 2, "b": 3}, id="c1")), text("It is 5.", usage=(30, 4)),
              text("echo: later", usage=(10, 2))]
    with FakeOpenAI(script) as model, Serve([project], model.url, home=tmp_path) as serve:
        base = serve.url + "/ui/api"
        assistants = http("GET", base + "/assistants").json()
        turn = http("POST", base + "/conversations/page-1/turn",
                    json_body={"assistant": "adder", "message": "Add 2 and 3"})
        api_turn = serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "later"}],
            extra_headers={"X-Conversation-Id": "page-1"})
        listed = http("GET", base + "/conversations").json()
        shown = http("GET", base + "/conversations/page-1").json()
        bad_id = http("POST", base + "/conversations/bad%20id/turn",
                      json_body={"assistant": "adder", "message": "x"})
        no_assistant = http("POST", base + "/conversations/page-2/turn",
                            json_body={"assistant": "nobody", "message": "x"})
        no_message = http("POST", base + "/conversations/page-2/turn",
                          json_body={"assistant": "adder"})
        deleted = http("DELETE", base + "/conversations/page-1")
        gone = http("GET", base + "/conversations/page-1")
        deleted_again = http("DELETE", base + "/conversations/page-1")
    assert assistants == {"data": [{"id": "adder", "name": "The Adder", "description": "Adds numbers.",
                                    "starters": ["Add 2 and 3", "What is 6 times 7?"]}]}
    assert turn.status_code == 200 and turn.headers["content-type"].startswith("text/event-stream")
    events = sse_events(turn.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "tool_call" and kinds[1] == "tool_result" and kinds[-1] == "done"
    call_event = events[0][1]
    assert (call_event["id"], call_event["name"]) == ("c1", "add")
    assert json.loads(call_event["arguments"]) == {"a": 2, "b": 3}
    assert events[1][1] == {"id": "c1", "name": "add", "result": "5", "error": False}
    assert "".join(data["text"] for kind, data in events if kind == "delta") == "It is 5."
    done = events[-1][1]
    assert done["usage"]["output_tokens"] > 0 and "conversation" in done
    assert api_turn.choices[0].message.content == "echo: later"
    (entry,) = listed["data"]
    assert entry["id"] == "page-1" and entry["assistant"] == "adder"
    assert entry["title"] == "Add 2 and 3" and isinstance(entry["updated_at"], float)
    assert entry["usage"]["input_tokens"] > 0 and entry["cost_usd"] is not None
    assert [(m["role"], m["content"]) for m in shown["messages"]] == [
        ("user", "Add 2 and 3"), ("assistant", "It is 5."), ("user", "later"),
        ("assistant", "echo: later")]
    (tool,) = shown["messages"][1]["tools"]
    assert json.loads(tool.pop("arguments")) == {"a": 2, "b": 3}
    assert tool == {"name": "add", "result": "5", "error": False}
    assert shown["messages"][3]["tools"] == []
    assert bad_id.status_code == 400 and bad_id.json()["error"]["code"] == "invalid_conversation_id"
    assert no_assistant.status_code == 404
    assert no_message.status_code == 400
    assert deleted.status_code == 204 and gone.status_code == 404
    assert deleted_again.status_code == 404


def test_a_failed_page_turn_ends_with_an_error_event_and_keeps_nothing(
        project: Path, tmp_path: Path) -> None:
    from gptkit.testing import status

    with FakeOpenAI([status(401)]) as model, Serve([project], model.url, home=tmp_path) as serve:
        turn = http("POST", serve.url + "/ui/api/conversations/fails-1/turn",
                    json_body={"assistant": "adder", "message": "hello"})
        shown = http("GET", serve.url + "/ui/api/conversations/fails-1")
    (kind, data), = [e for e in sse_events(turn.text) if e[0] in ("done", "error")]
    assert kind == "error" and data["code"] == "model_api_error" and data["message"]
    assert shown.status_code == 404


def test_a_stream_the_client_drops_keeps_nothing_and_frees_the_conversation(
        project: Path, tmp_path: Path) -> None:
    from gptkit.testing import stall

    home = tmp_path / "home"
    script = [stall(then=text("a long answer that never ends"), after=3, seconds=30),
              text("echo: again")]
    with FakeOpenAI(script) as model, Serve([project], model.url, home=home) as serve:
        client = serve.client()
        stream = client.chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "tell me"}], stream=True,
            extra_headers={"X-Conversation-Id": "dropped-1"})
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break  # the person pressed stop
        stream.close()
        deadline = time.monotonic() + 20
        while True:  # the server notices the drop, cancels the turn and frees the conversation
            try:
                again = client.chat.completions.create(
                    model="adder", messages=[{"role": "user", "content": "again"}],
                    extra_headers={"X-Conversation-Id": "dropped-1"})
                break
            except openai.ConflictError:
                assert time.monotonic() < deadline, "the dropped turn kept the conversation"
                time.sleep(0.05)
    assert again.choices[0].message.content == "echo: again"
    assert stored(home, "dropped-1") == [("user", "again"), ("assistant", "echo: again")]
