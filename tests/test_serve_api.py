"""`gptkit serve` as an OpenAI-compatible API: the official openai client against a real serve
process on loopback, the fake model server behind it.

What a client notices: the models listed, the answer (streamed or not) with usage and cost, the
tools run in the server, OpenAI's error shapes and statuses, and that no secret ever shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from serve_helpers import KEY, Serve, http, write_project

from gptkit.testing import FakeOpenAI, call, text, tool_calls

APIS = ["chat", "responses"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "assistants", ("adder", "planner"))


def test_models_lists_one_model_per_assistant(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI() as model, Serve([project], model.url, home=tmp_path) as serve:
        listed = serve.client().models.list()
        one = serve.client().models.retrieve("planner")
    assert sorted(m.id for m in listed.data) == ["adder", "planner"]
    assert one.id == "planner"


@pytest.mark.parametrize("api", APIS)
def test_chat_completion_not_streamed_has_the_answer_usage_and_cost(
        api: str, tmp_path: Path) -> None:
    folder = write_project(tmp_path / "a", ("adder",), api=api)
    with FakeOpenAI([text("Two and two make four.", usage=(120, 8))]) as model, \
            Serve([folder], model.url, home=tmp_path) as serve:
        raw = serve.client().chat.completions.with_raw_response.create(
            model="adder", messages=[{"role": "user", "content": "What is 2+2?"}])
        completion = raw.parse()
    assert completion.choices[0].message.content == "Two and two make four."
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (120, 8)
    assert completion.model_extra["cost_usd"] == pytest.approx(0.0000228)
    assert raw.headers["x-gptkit-cost-usd"] == "0.00002280"
    (request,) = model.requests
    assert request.api == api  # the assistant's own API to the model, whatever the client spoke
    assert request.last_user_text() == "What is 2+2?"


def test_chat_completion_streamed_with_usage(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI([text("The weather in Porto is sunny.", usage=(50, 7))]) as model, \
            Serve([project], model.url, home=tmp_path) as serve:
        stream = serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "Weather?"}], stream=True,
            stream_options={"include_usage": True})
        chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 1 and "".join(pieces) == "The weather in Porto is sunny."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    last = chunks[-1]
    assert last.choices == [] and (last.usage.prompt_tokens, last.usage.completion_tokens) == (50, 7)
    assert last.model_extra["cost_usd"] == pytest.approx(50 * 0.15e-6 + 7 * 0.6e-6)
    assert model.requests[0].stream  # and it streamed from the model too


def test_chat_completion_streamed_without_usage_has_no_usage_chunk(
        project: Path, tmp_path: Path) -> None:
    with FakeOpenAI([text("Hi.")]) as model, Serve([project], model.url, home=tmp_path) as serve:
        chunks = list(serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "Hi"}], stream=True))
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


def test_responses_not_streamed_and_streamed(project: Path, tmp_path: Path) -> None:
    script = [text("Sunny.", usage=(7, 2)), text("Rainy later.", usage=(9, 3))]
    with FakeOpenAI(script) as model, Serve([project], model.url, home=tmp_path) as serve:
        client = serve.client()
        response = client.responses.create(model="adder", input="Weather?")
        events = list(client.responses.create(
            model="adder", input=[{"role": "user", "content": "And later?"}], stream=True))
    assert response.output_text == "Sunny." and response.status == "completed"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (7, 2)
    assert response.model_extra["cost_usd"] is not None
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "Rainy later."
    assert events[-1].response.output_text == "Rainy later."
    assert events[-1].response.usage.output_tokens == 3
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_the_stream_helper_of_the_client_reads_the_responses_stream(
        project: Path, tmp_path: Path) -> None:
    with FakeOpenAI([text("Sunny all day.")]) as model, \
            Serve([project], model.url, home=tmp_path) as serve:
        with serve.client().responses.stream(model="adder", input="Weather?") as stream:
            texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
            final = stream.get_final_response()
    assert "".join(texts) == "Sunny all day." and final.output_text == "Sunny all day."


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("api", APIS)
def test_tools_run_in_the_server_and_the_client_sees_the_final_answer(
        api: str, stream: bool, project: Path, tmp_path: Path) -> None:
    log = tmp_path / "tools.jsonl"
    script = [tool_calls(call("add", {"a": 2, "b": 3}, id="c1")), text("2 + 3 = 5.")]
    with FakeOpenAI(script) as model, \
            Serve([project], model.url, home=tmp_path, env={"SERVE_TOOL_LOG": str(log)}) as serve:
        client = serve.client()
        if api == "chat":
            got = client.chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "2+3?"}], stream=stream)
            answer = ("".join(c.choices[0].delta.content or "" for c in got if c.choices)
                      if stream else got.choices[0].message.content)
        else:
            got = client.responses.create(model="adder", input="2+3?", stream=stream)
            answer = ([e for e in got if e.type == "response.completed"][0].response.output_text
                      if stream else got.output_text)
    assert answer == "2 + 3 = 5."
    assert [json.loads(line)["arguments"] for line in log.read_text().splitlines()] == [
        {"a": 2, "b": 3}]
    first, second = model.requests
    assert "add" in first.tool_names()
    assert [(r.call_id, r.output) for r in second.tool_results()] == [("c1", "5")]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_json_answer_comes_whole_once_checked_against_the_schema(
        stream: bool, tmp_path: Path) -> None:
    from gptkit.testing import json_answer

    folder = write_project(tmp_path / "a", ("summer",), output_json=True)
    with FakeOpenAI([json_answer({"sum": 5}), json_answer({"total": "five"})]) as model, \
            Serve([folder], model.url, home=tmp_path) as serve:
        client = serve.client()
        got = client.chat.completions.create(
            model="summer", messages=[{"role": "user", "content": "2+3"}], stream=stream)
        if stream:
            pieces = [c.choices[0].delta.content for c in got if c.choices and c.choices[0].delta.content]
        else:
            pieces = [got.choices[0].message.content]
        with pytest.raises(openai.InternalServerError) as wrong:
            client.chat.completions.create(
                model="summer", messages=[{"role": "user", "content": "again"}])
    assert len(pieces) == 1 and json.loads(pieces[0]) == {"sum": 5}
    assert "does not match output.schema" in wrong.value.body["message"]
    assert wrong.value.body["code"] == "turn_failed"


def test_a_confirm_tool_is_refused_and_the_model_is_told(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "tools.jsonl"
    script = [tool_calls(call("book", {"city": "Porto"}, id="b1")), text("I could not book.")]
    with FakeOpenAI(script) as model, \
            Serve([project], model.url, home=tmp_path, env={"SERVE_TOOL_LOG": str(log)}) as serve:
        answer = serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "Book Porto"}])
    assert answer.choices[0].message.content == "I could not book."
    assert not log.exists()  # it never ran
    (result,) = model.requests[1].tool_results()
    assert "needs the person's confirmation" in result.output and "did not run" in result.output


def test_with_yes_a_confirm_tool_runs(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "tools.jsonl"
    script = [tool_calls(call("book", {"city": "Porto"}, id="b1")), text("Booked.")]
    with FakeOpenAI(script) as model, Serve([project], model.url, "--yes", home=tmp_path,
                                            env={"SERVE_TOOL_LOG": str(log)}) as serve:
        serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "Book Porto"}])
    assert [json.loads(line)["tool"] for line in log.read_text().splitlines()] == ["book"]
    assert model.requests[1].tool_results()[0].output == "booked a hotel in Porto"


def test_errors_have_openai_shapes_and_statuses(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI() as model, Serve([project], model.url, home=tmp_path) as serve:
        client = serve.client()
        with pytest.raises(openai.NotFoundError) as unknown:
            client.chat.completions.create(model="nobody", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.NotFoundError):
            client.responses.create(model="nobody", input="x")
        with pytest.raises(openai.BadRequestError) as empty:
            client.chat.completions.create(model="adder", messages=[])
        with pytest.raises(openai.BadRequestError) as last:
            client.chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x"},
                                         {"role": "assistant", "content": "y"}])
        with pytest.raises(openai.BadRequestError) as tools:
            client.chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x"}],
                tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
        not_json = http("POST", serve.url + "/v1/chat/completions", content=b"{nope",
                            headers={"content-type": "application/json"})
        wrong_method = http("GET", serve.url + "/v1/chat/completions")
        nowhere = http("GET", serve.url + "/v2/whatever")
    assert unknown.value.status_code == 404
    assert unknown.value.body["type"] == "not_found_error"
    assert unknown.value.body["code"] == "model_not_found"
    assert "adder, planner" in unknown.value.body["message"]
    assert empty.value.status_code == 400 and empty.value.body["type"] == "invalid_request_error"
    assert "last message must be the user's" in last.value.body["message"]
    assert tools.value.body["code"] == "tools_not_supported"
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_json"
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    assert nowhere.status_code == 404 and nowhere.json()["error"]["type"] == "not_found_error"
    assert model.requests == []  # nothing reached the model


def test_a_model_api_failure_is_a_502_that_says_not_to_retry(project: Path, tmp_path: Path) -> None:
    from gptkit.testing import status

    with FakeOpenAI([status(500)] * 4) as model, Serve([project], model.url, home=tmp_path) as serve:
        response = http("POST", serve.url + "/v1/chat/completions", json_body={
            "model": "adder", "messages": [{"role": "user", "content": "x"}]})
        streamed = serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "x"}], stream=True)
        with pytest.raises(openai.APIError) as in_stream:
            list(streamed)
    assert response.status_code == 502 and response.headers["x-should-retry"] == "false"
    assert response.json()["error"]["type"] == "api_error"
    assert "the model API failed" in str(in_stream.value)


def test_secrets_never_reach_answers_or_logs(project: Path, tmp_path: Path) -> None:
    script = [tool_calls(call("leak", {"what": "key"}, id="l1")),
              text(f"Here it is: {KEY}"),
              text(f"Again {KEY}")]
    with FakeOpenAI(script) as model, Serve([project], model.url, home=tmp_path) as serve:
        whole = serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "the key?"}])
        chunks = list(serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "again?"}], stream=True))
        serve.wait_log(2)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert KEY not in whole.choices[0].message.content and "***" in whole.choices[0].message.content
    assert KEY not in streamed and "***" in streamed
    assert KEY not in model.requests[1].tool_results()[0].output  # nor did the model get it
    assert not any(KEY in line for line in serve.lines)


def test_health_and_openapi(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI() as model, Serve([project], model.url, home=tmp_path) as serve:
        health = http("GET", serve.url + "/healthz")
        document = http("GET", serve.url + "/openapi.json").json()
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert document["openapi"].startswith("3.")
    assert {"/v1/models", "/v1/chat/completions", "/v1/responses", "/healthz"} <= set(document["paths"])


def test_one_log_line_per_request_and_json_logs(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI([text("ok", usage=(11, 2))] * 2) as model:
        with Serve([project], model.url, home=tmp_path) as serve:
            serve.client().chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x"}],
                extra_headers={"x-conversation-id": "log-conv"})
            http("GET", serve.url + "/healthz")
            text_lines = serve.wait_log(2)
        with Serve([project], model.url, "--log-format", "json", home=tmp_path) as serve:
            serve.client().chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x"}], stream=True,
                stream_options={"include_usage": True}).close()
            json_lines = serve.wait_log(1)
    first, second = text_lines
    assert "POST /v1/chat/completions" in first and "assistant=adder" in first
    assert "conversation=log-conv" in first and "status=200" in first and "tokens=11/2" in first
    assert "GET /healthz" in second and "status=200" in second
    (record,) = [json.loads(line) for line in json_lines]
    assert record["method"] == "POST" and record["path"] == "/v1/chat/completions"
    assert record["assistant"] == "adder" and record["status"] == 200
    assert isinstance(record["duration_ms"], float)
    assert not any("uvicorn" in line.lower() or "INFO" in line for line in text_lines + json_lines)


def test_the_page_and_its_files_are_served_with_a_strict_policy(
        project: Path, tmp_path: Path) -> None:
    with FakeOpenAI() as model, Serve([project], model.url, home=tmp_path) as serve:
        page = http("GET", serve.url + "/")
        escape = http("GET", serve.url + "/static/..%2f..%2fpyproject.toml")
        listing = http("GET", serve.url + "/static/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert escape.status_code == 404 and "[project]" not in escape.text
    assert listing.status_code == 404


def test_a_file_with_errors_stops_the_start_with_the_report(tmp_path: Path) -> None:
    from serve_helpers import run_serve

    folder = write_project(tmp_path / "a", ("adder",))
    (folder / "broken.yaml").write_text("version: 1\nname: broken\nmodel: {name: 3}\n")
    result = run_serve([folder])
    assert result.returncode == 1
    assert "broken.yaml" in result.stderr and "not started" in result.stderr
    empty = run_serve([tmp_path / "nothing-here"])
    assert empty.returncode == 2 and "no such file or folder" in empty.stderr


def test_two_assistants_with_one_name_stop_the_start(tmp_path: Path) -> None:
    from serve_helpers import assistant_yaml, run_serve

    folder = write_project(tmp_path / "a", ("adder",))
    (folder / "copy.yaml").write_text(assistant_yaml("adder"))
    result = run_serve([folder])
    assert result.returncode == 1 and "both named 'adder'" in result.stderr


def test_only_the_serve_command_imports_the_web_stack() -> None:
    import subprocess
    import sys

    code = ("import sys; from gptkit.cli.main import main; import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['validate', 'assistants/'])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'uvicorn', 'gptkit') and m.startswith(('starlette', 'uvicorn', 'gptkit.serve'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
