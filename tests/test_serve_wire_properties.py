"""The serve wire readers take any JSON a client sends: a turn, or a 400 in OpenAI's shape, never
a crash; and what the server writes, it reads back (response ids name their conversation)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gptkit.serve import chat_wire, responses_wire
from gptkit.serve.errors import ApiError
from gptkit.serve.security import host_name

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
roles = st.sampled_from(["user", "assistant", "system", "developer", "tool", "bogus", None])
content = st.one_of(
    st.text(max_size=30),
    st.none(),
    st.lists(st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["text", "input_text", "image_url"]),
                                               "text": st.text(max_size=10)}), json_values), max_size=3),
    json_values,
)
message = st.fixed_dictionaries({"role": roles, "content": content})
chat_bodies = st.fixed_dictionaries(
    {"model": st.one_of(st.text(max_size=10), json_values),
     "messages": st.one_of(st.lists(st.one_of(message, json_values), max_size=5), json_values)},
    optional={"stream": json_values, "stream_options": json_values, "tools": json_values},
)
responses_bodies = st.fixed_dictionaries(
    {"model": st.one_of(st.text(max_size=10), json_values),
     "input": st.one_of(st.text(max_size=20), st.lists(st.one_of(message, json_values), max_size=5),
                        json_values)},
    optional={"stream": json_values, "store": json_values, "conversation": json_values,
              "previous_response_id": st.one_of(st.text(max_size=40), json_values),
              "metadata": json_values},
)


def outcome(read: Any, body: dict[str, Any]) -> Any:
    try:
        return read(body)
    except ApiError as error:
        assert 400 <= error.status < 500
        shape = error.body()["error"]
        assert set(shape) == {"message", "type", "param", "code"} and shape["message"]
        return error


@settings(max_examples=300, deadline=None)
@given(chat_bodies)
def test_any_chat_body_is_a_turn_or_a_400(body: dict[str, Any]) -> None:
    got = outcome(chat_wire.read, body)
    if isinstance(got, chat_wire.ChatRequest):
        assert isinstance(got.text, str) and isinstance(got.model, str) and got.model
        assert all(m.role in ("user", "assistant") for m in got.history)


@settings(max_examples=300, deadline=None)
@given(responses_bodies)
def test_any_responses_body_is_a_turn_or_a_400(body: dict[str, Any]) -> None:
    got = outcome(responses_wire.read, body)
    if isinstance(got, responses_wire.ResponsesRequest):
        assert isinstance(got.text, str)
        assert got.conversation is None or isinstance(got.conversation, str)


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True))
def test_a_response_id_names_its_conversation(conversation: str) -> None:
    request = responses_wire.ResponsesRequest("m", "hi", [], False, conversation)
    writer = responses_wire.ResponseWriter("m", request)
    assert responses_wire.conversation_of(writer.id) == conversation


@given(st.text(max_size=40), st.integers(0, 65535))
def test_the_host_name_is_read_without_its_port(name: str, port: int) -> None:
    name = name.replace(":", "").replace("[", "").replace("]", "").strip().lower()
    assert host_name(f"{name}:{port}") == name
    assert host_name(f"[::1]:{port}") == "::1"
    assert host_name("[::1]") == "::1"
