"""gptkit.testing: the fake OpenAI server, checked with the real openai client on both APIs."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import openai  # noqa: TID251 -- the point of these tests is what the real client parses
import pytest
from openai import AsyncOpenAI, OpenAI  # noqa: TID251

from gptkit.testing import (
    FakeOpenAI,
    RecordedRequest,
    ScriptedModel,
    call,
    cut,
    delay,
    json_answer,
    status,
    text,
    tool_calls,
)

USER = [{"role": "user", "content": "What is the weather in Porto?"}]
WEATHER_TOOL_CHAT = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "days": {"type": "integer"}},
                   "required": ["city", "days"]}}}]
WEATHER_TOOL_RESPONSES = [{"type": "function", **WEATHER_TOOL_CHAT[0]["function"]}]


def client(server: FakeOpenAI, **options: Any) -> OpenAI:
    return OpenAI(base_url=server.url, api_key=options.pop("api_key", "test"),
                  max_retries=options.pop("max_retries", 0), **options)


def chat(c: OpenAI, **extra: Any) -> Any:
    return c.chat.completions.create(model="gpt-test", messages=USER, **extra)


def responses(c: OpenAI, **extra: Any) -> Any:
    return c.responses.create(model="gpt-test", input="What is the weather in Porto?", **extra)


# --------------------------------------------------------------------------------------------
# Chat Completions
# --------------------------------------------------------------------------------------------

def test_chat_text_answer_echoes_the_model_and_reports_usage() -> None:
    with FakeOpenAI([text("Sunny.", usage=(12, 3))]) as server, client(server) as c:
        completion = chat(c)
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-test"
    assert completion.choices[0].message.content == "Sunny."
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    assert completion.system_fingerprint == "fp_gptkit.testing"  # recordings can tell
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens,
            completion.usage.total_tokens) == (12, 3, 15)
    [request] = server.requests
    assert (request.method, request.path, request.api) == ("POST", "/v1/chat/completions", "chat")
    assert request.headers["authorization"] == "Bearer test"
    assert request.body["messages"] == USER
    assert request.last_user_text() == "What is the weather in Porto?"


def test_default_usage_is_a_plausible_count() -> None:
    with FakeOpenAI([text("x" * 40)]) as server, client(server) as c:
        usage = chat(c).usage
    assert usage.completion_tokens == 10
    assert usage.prompt_tokens > 5


def test_chat_one_tool_call() -> None:
    script = [tool_calls(call("get_weather", {"city": "Porto", "days": 2}, id="call_1"))]
    with FakeOpenAI(script) as server, client(server) as c:
        completion = chat(c, tools=WEATHER_TOOL_CHAT)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [tool_call] = choice.message.tool_calls
    assert (tool_call.id, tool_call.type, tool_call.function.name) == ("call_1", "function",
                                                                       "get_weather")
    assert json.loads(tool_call.function.arguments) == {"city": "Porto", "days": 2}
    assert server.requests[0].tool_names() == ["get_weather"]


def test_chat_stream_sends_text_in_several_deltas_with_usage_when_asked() -> None:
    with FakeOpenAI([text("The weather in Porto is sunny.")] * 2) as server, client(server) as c:
        chunks = list(chat(c, stream=True, stream_options={"include_usage": True}))
        without = list(chat(c, stream=True))
    deltas = [ch.choices[0].delta.content for ch in chunks if ch.choices and ch.choices[0].delta.content]
    assert len(deltas) > 1
    assert "".join(deltas) == "The weather in Porto is sunny."
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert all(ch.usage is None for ch in without)


def test_chat_stream_usage_absent_when_the_server_does_not_send_it() -> None:
    with FakeOpenAI([text("hi")], usage_in_stream=False) as server, client(server) as c:
        chunks = list(chat(c, stream=True, stream_options={"include_usage": True}))
    assert all(ch.usage is None for ch in chunks)
    assert all(ch.choices for ch in chunks)


def test_chat_stream_parallel_calls_split_their_arguments_across_deltas() -> None:
    script = [tool_calls(call("get_weather", {"city": "Porto", "days": 3}, id="call_a"),
                         call("get_weather", '{"city": "Lis', id="call_b"))]  # invalid JSON
    with FakeOpenAI(script) as server, client(server) as c:
        chunks = list(chat(c, stream=True, tools=WEATHER_TOOL_CHAT))
    pieces: dict[int, list[str]] = {0: [], 1: []}
    firsts = {}
    for ch in chunks:
        for delta in (ch.choices[0].delta.tool_calls or []) if ch.choices else []:
            if delta.id:
                firsts[delta.index] = (delta.id, delta.function.name)
            pieces[delta.index].append(delta.function.arguments or "")
    assert firsts == {0: ("call_a", "get_weather"), 1: ("call_b", "get_weather")}
    assert sum(1 for p in pieces[0] if p) > 1 and sum(1 for p in pieces[1] if p) > 1
    assert json.loads("".join(pieces[0])) == {"city": "Porto", "days": 3}
    assert "".join(pieces[1]) == '{"city": "Lis'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_chat_stream_helper_accumulates_the_calls() -> None:
    script = [tool_calls(call("get_weather", {"city": "Porto"}), call("clock", {}))]
    with FakeOpenAI(script) as server, client(server) as c:
        with c.chat.completions.stream(model="m", messages=USER) as stream:
            final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [tc.function.name for tc in calls] == ["get_weather", "clock"]
    assert [tc.function.arguments for tc in calls] == ['{"city":"Porto"}', "{}"]


def test_json_answer_is_json_text() -> None:
    with FakeOpenAI([json_answer({"city": "Porto", "ok": True})]) as server, client(server) as c:
        assert json.loads(chat(c).choices[0].message.content) == {"city": "Porto", "ok": True}


# --------------------------------------------------------------------------------------------
# Responses API
# --------------------------------------------------------------------------------------------

def test_responses_text_answer_with_usage() -> None:
    with FakeOpenAI([text("Sunny.", usage=(7, 2))]) as server, client(server) as c:
        response = responses(c, instructions="Be brief.")
    assert (response.object, response.status, response.model) == ("response", "completed",
                                                                  "gpt-test")
    assert response.output_text == "Sunny."
    assert response.output[0].type == "message" and response.output[0].role == "assistant"
    assert response.usage.input_tokens == 7 and response.usage.output_tokens == 2
    assert response.usage.total_tokens == 9
    assert response.usage.input_tokens_details.cached_tokens == 0
    [request] = server.requests
    assert request.api == "responses"
    assert request.items()[0] == {"kind": "message", "role": "system", "text": "Be brief."}
    assert request.last_user_text() == "What is the weather in Porto?"


def test_responses_parallel_calls() -> None:
    script = [tool_calls(call("get_weather", {"city": "Porto"}, id="call_1"),
                         call("get_weather", "not json", id="call_2"))]
    with FakeOpenAI(script) as server, client(server) as c:
        response = responses(c, tools=WEATHER_TOOL_RESPONSES)
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(i.call_id, i.name, i.arguments, i.status) for i in calls] == [
        ("call_1", "get_weather", '{"city":"Porto"}', "completed"),
        ("call_2", "get_weather", "not json", "completed")]
    assert all(i.id for i in calls)
    assert server.requests[0].tool_names() == ["get_weather"]


def test_responses_stream_events_come_in_the_real_order() -> None:
    script = [text("Sunny in Porto today.", usage=(5, 4)),
              tool_calls(call("get_weather", {"city": "Porto"}, id="call_1"))]
    with FakeOpenAI(script) as server, client(server) as c:
        text_events = list(responses(c, stream=True))
        call_events = list(responses(c, stream=True, tools=WEATHER_TOOL_RESPONSES))
    kinds = [e.type for e in text_events]
    deltas = kinds.count("response.output_text.delta")
    assert deltas > 1
    assert kinds == ["response.created", "response.in_progress", "response.output_item.added",
                     "response.content_part.added", *["response.output_text.delta"] * deltas,
                     "response.output_text.done", "response.content_part.done",
                     "response.output_item.done", "response.completed"]
    assert [e.sequence_number for e in text_events] == list(range(len(text_events)))
    assert "".join(e.delta for e in text_events if e.type == "response.output_text.delta") \
        == "Sunny in Porto today."
    completed = text_events[-1].response
    assert completed.model_extra["system_fingerprint"] == "fp_gptkit.testing"
    assert completed.status == "completed" and completed.output_text == "Sunny in Porto today."
    assert (completed.usage.input_tokens, completed.usage.output_tokens) == (5, 4)

    kinds = [e.type for e in call_events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds.count("response.function_call_arguments.delta") > 1
    assert kinds[-3:] == ["response.function_call_arguments.done", "response.output_item.done",
                          "response.completed"]
    done = call_events[-1].response.output[0]
    assert (done.type, done.call_id, done.arguments) == ("function_call", "call_1",
                                                         '{"city":"Porto"}')


def test_responses_stream_helper_and_usage_absent() -> None:
    script = [tool_calls(call("get_weather", {"city": "Porto"}), text="Checking.")]
    with FakeOpenAI(script, usage_in_stream=False) as server, client(server) as c:
        with c.responses.stream(model="m", input="hi", tools=WEATHER_TOOL_RESPONSES) as stream:
            final = stream.get_final_response()
    assert final.output_text == "Checking."
    assert final.output[1].name == "get_weather"
    assert final.usage is None


def test_responses_api_off_answers_404_like_a_chat_only_server() -> None:
    with FakeOpenAI([text("still here")], responses_api=False) as server, client(server) as c:
        with pytest.raises(openai.NotFoundError) as caught:
            responses(c)
        assert chat(c).choices[0].message.content == "still here"
    assert caught.value.body["message"] == "Invalid URL (POST /v1/responses)"
    assert server.model.served == 1  # the refused request used no reply


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------

def test_429_with_retry_after_is_seen_by_the_client() -> None:
    with FakeOpenAI([status(429, headers={"retry-after": "0"})]) as server, client(server) as c:
        with pytest.raises(openai.RateLimitError) as caught:
            chat(c)
    assert caught.value.response.headers["retry-after"] == "0"
    assert caught.value.body["code"] == "rate_limit_exceeded"


def test_429_then_success_with_one_retry() -> None:
    script = [status(429, headers={"retry-after-ms": "10"}), text("ok after a retry")]
    with FakeOpenAI(script) as server, client(server, max_retries=1) as c:
        assert chat(c).choices[0].message.content == "ok after a retry"
    assert len(server.requests) == 2
    assert server.requests[1].headers["x-stainless-retry-count"] == "1"


def test_500_is_an_internal_server_error() -> None:
    with FakeOpenAI([status(500, "the model fell over")]) as server, client(server) as c:
        with pytest.raises(openai.InternalServerError, match="the model fell over"):
            responses(c, stream=True)


def test_delay_makes_the_client_time_out_and_close_does_not_wait() -> None:
    started = time.monotonic()
    with FakeOpenAI([delay(30, then=text("too late")), delay(30)]) as server:
        with client(server, timeout=0.2) as c:
            with pytest.raises(openai.APITimeoutError):
                chat(c)
            with pytest.raises(openai.APITimeoutError):
                responses(c, stream=True)
    assert time.monotonic() - started < 10


def test_delay_then_answers() -> None:
    with FakeOpenAI([delay(0.05, then=text("late but fine"))]) as server, client(server) as c:
        assert chat(c).choices[0].message.content == "late but fine"


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_cut_stream_raises_in_the_client_after_the_first_events(api: str) -> None:
    with FakeOpenAI([cut(then=text("a long answer that never ends"), after=3)]) as server, \
            client(server) as c:
        stream = chat(c, stream=True) if api == "chat" else responses(c, stream=True)
        received = []
        with pytest.raises(openai.APIConnectionError):
            for event in stream:
                received.append(event)
    assert len(received) == 3


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_cut_non_streamed_answer_raises_in_the_client(api: str) -> None:
    with FakeOpenAI([cut(then=text("half of this"))]) as server, client(server) as c:
        with pytest.raises(openai.APIConnectionError):
            chat(c) if api == "chat" else responses(c)


def test_401_can_echo_the_key_so_clients_can_prove_they_redact_it() -> None:
    script = [status(401, "Incorrect API key provided.", echo_auth=True)]
    with FakeOpenAI(script) as server, client(server, api_key="sk-secret-123") as c:
        with pytest.raises(openai.AuthenticationError) as caught:
            chat(c)
    assert "sk-secret-123" in caught.value.message
    assert caught.value.body["code"] == "invalid_api_key"


def test_api_key_is_checked_and_a_wrong_key_echoed() -> None:
    with FakeOpenAI([text("welcome")], api_key="right") as server:
        with client(server, api_key="wrong-key-42") as c, \
                pytest.raises(openai.AuthenticationError, match="wrong-key-42"):
            chat(c)
        with client(server, api_key="right") as c:
            assert chat(c).choices[0].message.content == "welcome"
    assert len(server.requests) == 2


def test_an_exhausted_script_fails_clearly() -> None:
    with FakeOpenAI([text("only one")]) as server, client(server) as c:
        chat(c)
        with pytest.raises(openai.InternalServerError,
                           match="fake server: script exhausted after 1 requests"):
            responses(c)
    assert server.model.remaining == 0


def test_unknown_paths_and_bad_bodies_get_json_errors() -> None:
    with FakeOpenAI() as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        answers = []
        for method, path, body in [("GET", "/v1/nothing", None),
                                   ("POST", "/v1/chat/completions", b"{not json"),
                                   ("GET", "/v1/models", None)]:
            connection.request(method, path, body)
            reply = connection.getresponse()
            answers.append((reply.status, json.loads(reply.read())))
        connection.close()
    assert answers[0] == (404, {"error": {"message": "Invalid URL (GET /v1/nothing)",
                                          "type": "invalid_request_error", "param": None,
                                          "code": None}})
    assert answers[1][0] == 400 and "JSON" in answers[1][1]["error"]["message"]
    assert answers[2][0] == 200 and answers[2][1]["data"][0]["object"] == "model"
    assert server.requests[1].body is None


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    with FakeOpenAI() as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        sockets = set()
        for word in ("one", "two", "three"):
            payload = json.dumps({"model": "m", "messages": [{"role": "user", "content": word}]})
            connection.request("POST", "/v1/chat/completions", payload)
            reply = connection.getresponse()
            sockets.add(id(connection.sock))
            assert json.loads(reply.read())["choices"][0]["message"]["content"] == f"echo: {word}"
        connection.close()
    assert len(sockets) == 1


# --------------------------------------------------------------------------------------------
# The scripted model and the modes
# --------------------------------------------------------------------------------------------

def test_a_function_script_sees_each_request() -> None:
    def answer(request: RecordedRequest) -> Any:
        results = request.tool_results()
        if results:
            return text(f"the tool said {results[0].output}")
        return tool_calls(call("get_weather", {"city": request.last_user_text()}, id="c1"))

    with FakeOpenAI(answer) as server, client(server) as c:
        first = chat(c, tools=WEATHER_TOOL_CHAT).choices[0].message
        second = c.chat.completions.create(model="m", messages=[
            *USER, first.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"}])
        third = c.responses.create(model="m", input=[
            {"role": "user", "content": "Porto?"},
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "rainy"}])
    assert second.choices[0].message.content == "the tool said sunny"
    assert third.output_text == "the tool said rainy"
    assert [i["kind"] for i in server.requests[1].items()] == ["message", "tool_call",
                                                               "tool_result"]


def test_a_failing_function_script_answers_500_naming_the_error() -> None:
    def broken(request: RecordedRequest) -> Any:
        raise KeyError("oops")

    with FakeOpenAI(ScriptedModel(broken)) as server, client(server) as c:
        with pytest.raises(openai.InternalServerError, match="raised KeyError"):
            chat(c)


def test_echo_is_the_default_mode() -> None:
    with FakeOpenAI() as server, client(server) as c:
        assert chat(c).choices[0].message.content == "echo: What is the weather in Porto?"
        assert responses(c, stream=True) is not None
        assert c.responses.create(model="m", input=[{"role": "user", "content": [
            {"type": "input_text", "text": "parts"}]}]).output_text == "echo: parts"


def test_tool_round_calls_the_first_tool_with_schema_arguments_then_says_done() -> None:
    schema = {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"enum": ["C", "F"]}, "days": {"type": "integer"},
        "ratio": {"type": "number"}, "live": {"type": "boolean"}, "note": {"type": "string"},
        "where": {"type": "object", "properties": {"lat": {"type": "number"}}}}}
    tools = [{"type": "function", "name": "forecast", "parameters": schema},
             {"type": "function", "name": "other", "parameters": {"type": "object"}}]
    with FakeOpenAI("tool-round") as server, client(server) as c:
        first = c.responses.create(model="m", input="Porto", tools=tools)
        [fc] = first.output
        second = c.responses.create(model="m", input=[
            {"role": "user", "content": "Porto"},
            {"type": "function_call", "call_id": fc.call_id, "name": fc.name,
             "arguments": fc.arguments},
            {"type": "function_call_output", "call_id": fc.call_id, "output": "sunny"}],
            tools=tools)
        plain = chat(c)
    assert fc.name == "forecast"
    assert json.loads(fc.arguments) == {"city": "Porto", "unit": "C", "days": 1, "ratio": 1.0,
                                        "live": True, "note": "x", "where": {"lat": 1.0}}
    assert second.output_text == "done"
    assert plain.choices[0].message.content == "done"


# --------------------------------------------------------------------------------------------
# Async client, separate process, openai-agents
# --------------------------------------------------------------------------------------------

def test_async_client_both_apis_streamed() -> None:
    async def run(url: str) -> tuple[str, str]:
        async with AsyncOpenAI(base_url=url, api_key="test", max_retries=0) as c:
            parts = []
            stream = await c.chat.completions.create(model="m", messages=USER, stream=True)
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
            async with c.responses.stream(model="m", input="hi") as events:
                final = await events.get_final_response()
            return "".join(parts), final.output_text

    with FakeOpenAI([text("from chat"), text("from responses")]) as server:
        assert asyncio.run(run(server.url)) == ("from chat", "from responses")


@pytest.fixture
def served() -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "gptkit.testing", "serve", "--mode",
                                "tool-round"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        match = re.fullmatch(r"gptkit fake server on (http://127\.0\.0\.1:\d+/v1)\n", line)
        assert match, line
        yield match.group(1)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()  # type: ignore[union-attr]


def test_serve_runs_the_server_in_another_process(served: str) -> None:
    with OpenAI(base_url=served, api_key="test", max_retries=0) as c:
        answer = chat(c, tools=WEATHER_TOOL_CHAT).choices[0].message
    assert answer.tool_calls[0].function.name == "get_weather"
    assert json.loads(answer.tool_calls[0].function.arguments) == {
        "city": "What is the weather in Porto?", "days": 1}


def test_importing_gptkit_testing_never_imports_openai() -> None:
    code = "import sys, gptkit.testing; print('openai' in sys.modules, 'httpx2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_openai_agents_runs_against_the_fake_server() -> None:
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)

    @agents.function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    async def run(url: str) -> Any:
        async with AsyncOpenAI(base_url=url, api_key="test", max_retries=0) as c:
            model = agents.OpenAIChatCompletionsModel(model="gpt-test", openai_client=c)
            agent = agents.Agent(name="planner", instructions="Be brief.", model=model,
                                 tools=[get_weather])
            return await agents.Runner.run(agent, "Porto")

    script = [tool_calls(call("get_weather", {"city": "Porto"}, id="call_1")),
              text("Sunny in Porto: no umbrella.")]
    with FakeOpenAI(script) as server:
        result = asyncio.run(run(server.url))
    assert result.final_output == "Sunny in Porto: no umbrella."
    assert server.requests[1].tool_results()[0].output == "sunny in Porto"
