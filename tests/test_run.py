"""End to end: `gptkit run` as a subprocess against gptkit.testing's fake server, both APIs.

What a person notices: the answer on stdout, tool activity on stderr, the exit code, and that
the key never shows up anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, call, cut, delay, json_answer, status, text, tool_calls

PROJECT = Path(__file__).parent / "projects" / "runner"
ASSISTANT = str(PROJECT / "assistant.yaml")
KEY = "sk-test-SECRETKEY0123456789abcdef"

APIS = ["chat", "responses"]
MODES = [pytest.param([], id="stream"), pytest.param(["--no-stream"], id="no-stream")]


def gptkit(server: FakeOpenAI | None, *args: str, api: str = "chat", log: Path | None = None,
           stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GPTKIT_TEST"))}
    environ.update({"OPENAI_API_KEY": KEY, "GPTKIT_TEST_API": api, **env})
    if server is not None:
        environ["OPENAI_BASE_URL"] = server.url
    if log is not None:
        environ["RUNNER_LOG"] = str(log)
    return subprocess.run(
        [sys.executable, "-m", "gptkit", *args], capture_output=True, text=True, env=environ,
        input=stdin if stdin is not None else "", timeout=60,
        start_new_session=True,  # no controlling terminal: a confirm: true tool must not ask
    )


def logged(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode", MODES)
def test_a_text_answer_goes_to_stdout(api: str, mode: list[str]) -> None:
    with FakeOpenAI([text("Two and two make four.", usage=(120, 8))]) as server:
        result = gptkit(server, "run", ASSISTANT, "What is 2+2?", *mode, api=api)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Two and two make four.\n"
    assert "tokens: 120 in, 8 out, about $0.000023" in result.stderr
    (request,) = server.requests
    assert request.api == api and request.stream == (mode == [])
    assert request.last_user_text() == "What is 2+2?"


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode", MODES)
def test_tool_rounds_and_parallel_calls(api: str, mode: list[str], tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    script = [
        tool_calls(call("add", {"a": 2, "b": 3}, id="c1")),
        tool_calls(call("add", {"a": 5, "b": 1}, id="c2"),
                   call("calculator", {"expression": "6*7"}, id="c3")),
        text("The sums are 5, 6 and 42."),
    ]
    with FakeOpenAI(script) as server:
        result = gptkit(server, "run", ASSISTANT, "sums please", *mode, api=api, log=log)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The sums are 5, 6 and 42.\n"
    assert "→ add(a=2, b=3)" in result.stderr and "← 5" in result.stderr
    assert "→ calculator(expression=\"6*7\")" in result.stderr and "← 42" in result.stderr
    assert [e["arguments"] for e in logged(log)] == [{"a": 2, "b": 3}, {"a": 5, "b": 1}]
    second, third = server.requests[1], server.requests[2]
    assert [(r.call_id, r.output) for r in second.tool_results()] == [("c1", "5")]
    # each call answered once, in the model's order
    assert [(r.call_id, r.output) for r in third.tool_results()] == [("c1", "5"), ("c2", "6"), ("c3", "42")]


@pytest.mark.parametrize("api", APIS)
def test_json_output_is_validated_and_printed(api: str, tmp_path: Path) -> None:
    folder = tmp_path / "structured"
    folder.mkdir()
    (folder / "assistant.yaml").write_text(
        "version: 1\nname: structured\nmodel: {name: gpt-4o-mini, api: " + api + "}\n"
        "instructions: Answer in JSON.\n"
        "output:\n  format: json\n  schema:\n    type: object\n    properties:\n"
        "      city: {type: string}\n    required: [city]\n    additionalProperties: false\n")
    with FakeOpenAI([json_answer({"city": "Porto"}), json_answer({"town": "Porto"})]) as server:
        good = gptkit(server, "run", str(folder / "assistant.yaml"), "where?", "--json", api=api)
        bad = gptkit(server, "run", str(folder / "assistant.yaml"), "where?", api=api)
    assert good.returncode == 0, good.stderr
    document = json.loads(good.stdout)
    assert document["output"] == {"city": "Porto"} and document["assistant"] == "structured"
    assert document["tool_calls"] == [] and document["usage"]["output_tokens"] > 0
    body = server.requests[0].body
    sent = body["response_format"]["json_schema"] if api == "chat" else body["text"]["format"]
    assert sent["strict"] is True and sent["schema"]["required"] == ["city"]
    assert bad.returncode == 1
    assert "does not match output.schema" in bad.stderr


def test_confirm_refused_without_a_person_and_allowed_with_yes(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    script = [tool_calls(call("book", {"city": "Porto"}, id="b1")), text("I could not book it."),
              tool_calls(call("book", {"city": "Porto"}, id="b2")), text("Booked.")]
    with FakeOpenAI(script) as server:
        refused = gptkit(server, "run", ASSISTANT, "book Porto", log=log)
        allowed = gptkit(server, "run", ASSISTANT, "book Porto", "--yes", log=log)
    assert refused.returncode == 0 and allowed.returncode == 0, refused.stderr + allowed.stderr
    (result,) = server.requests[1].tool_results()
    assert "needs the person's confirmation" in result.output
    assert server.requests[3].tool_results()[0].output == "booked a hotel in Porto"
    assert [e["tool"] for e in logged(log)] == ["book"]  # ran once: only with --yes


def test_the_round_limit_stops_the_turn_with_a_clear_message() -> None:
    script = [tool_calls(call("add", {"a": 1, "b": 1}, id=f"r{i}")) for i in range(4)]
    with FakeOpenAI(script) as server:
        result = gptkit(server, "run", ASSISTANT, "loop")
    assert result.returncode == 1
    assert "over limits.max_tool_rounds (3)" in result.stderr
    assert len(server.requests) == 4 and "Traceback" not in result.stderr


def test_bad_arguments_and_unknown_tools_go_back_to_the_model(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    script = [
        tool_calls(call("add", '{"a": 1, "b": "two"}', id="x1"), call("add", "{not json", id="x2"),
                   call("add", {"a": 1, "b": 2, "c": 3}, id="x3"), call("rm_rf", {}, id="x4"),
                   call("slow_echo", {"text": "hi", "seconds": 5}, id="x5")),
        text("Sorry."),
    ]
    with FakeOpenAI(script) as server:
        result = gptkit(server, "run", ASSISTANT, "break things", log=log)
    assert result.returncode == 0, result.stderr
    outputs = {r.call_id: r.output for r in server.requests[1].tool_results()}
    assert list(outputs) == ["x1", "x2", "x3", "x4", "x5"]
    assert all(o.startswith("error:") for o in outputs.values()), outputs
    assert "no tool named 'rm_rf'" in outputs["x4"]
    assert "within 0.5 s" in outputs["x5"]
    assert [e["tool"] for e in logged(log)] == ["slow_echo"]  # only the valid call ran


@pytest.mark.parametrize("api", APIS)
def test_429_and_500_are_retried_by_the_client(api: str) -> None:
    script = [status(429, headers={"retry-after": "0"}), text("after a 429"),
              status(500), text("after a 500")]
    with FakeOpenAI(script) as server:
        first = gptkit(server, "run", ASSISTANT, "hi", api=api)
        second = gptkit(server, "run", ASSISTANT, "hi", api=api)
    assert (first.returncode, first.stdout) == (0, "after a 429\n"), first.stderr
    assert (second.returncode, second.stdout) == (0, "after a 500\n"), second.stderr
    assert len(server.requests) == 4


@pytest.mark.parametrize("api", APIS)
def test_a_401_echoing_the_key_is_explained_and_redacted(api: str, tmp_path: Path) -> None:
    cassette = tmp_path / "x.cassette.yaml"
    with FakeOpenAI([status(401, echo_auth=True)]) as server:
        url = server.url
        result = gptkit(server, "run", ASSISTANT, "hi", "--record", str(cassette), api=api)
    assert result.returncode == 3
    assert f"the model API at {url} refused the API key (401" in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    assert KEY not in result.stderr + result.stdout and "***" in result.stderr
    assert not cassette.exists()


@pytest.mark.parametrize("api", APIS)
def test_a_stream_cut_mid_way_fails_the_turn(api: str) -> None:
    with FakeOpenAI([cut(text("This answer will never arrive whole."), after=3)]) as server:
        result = gptkit(server, "run", ASSISTANT, "hi", api=api, GPTKIT_TEST_RETRIES="0")
    assert result.returncode == 3, result.stderr
    assert "cut mid-way" in result.stderr and "nothing of it was kept" in result.stderr


def test_a_timeout_names_the_server_and_the_setting() -> None:
    with FakeOpenAI([delay(3, then=text("late"))]) as server:
        url = server.url
        result = gptkit(server, "run", ASSISTANT, "hi", "--no-stream",
                        GPTKIT_TEST_TIMEOUT="0.5", GPTKIT_TEST_RETRIES="0")
    assert result.returncode == 3
    assert f"the model API at {url} did not answer within 0.5 s" in result.stderr
    assert "model.timeout_s" in result.stderr


def test_connection_refused_names_the_base_url() -> None:
    with FakeOpenAI([]) as server:
        url = server.url
    result = gptkit(None, "run", ASSISTANT, "hi", OPENAI_BASE_URL=url, GPTKIT_TEST_RETRIES="0")
    assert result.returncode == 3
    assert f"could not connect to the model API at {url}" in result.stderr


def test_a_server_without_the_responses_api_gets_a_clear_message() -> None:
    with FakeOpenAI([text("unused")], responses_api=False) as server:
        result = gptkit(server, "run", ASSISTANT, "hi", api="responses")
    assert result.returncode == 3
    assert "has no Responses API" in result.stderr and "model.api: chat" in result.stderr


def test_a_server_without_usage_in_streams_still_answers() -> None:
    with FakeOpenAI([text("fine")], usage_in_stream=False) as server:
        result = gptkit(server, "run", ASSISTANT, "hi")
    assert (result.returncode, result.stdout) == (0, "fine\n")
    assert "tokens: not reported by the server" in result.stderr


def test_the_message_can_come_from_stdin() -> None:
    with FakeOpenAI("echo") as server:
        piped = gptkit(server, "run", ASSISTANT, stdin="from a pipe\n")
        dash = gptkit(server, "run", ASSISTANT, "-", stdin="from a dash")
    assert piped.stdout == "echo: from a pipe\n\n" or piped.stdout == "echo: from a pipe\n"
    assert dash.stdout == "echo: from a dash\n"


def test_vars_are_converted_and_required_ones_checked_before_any_call() -> None:
    with FakeOpenAI("echo") as server:
        missing = gptkit(server, "run", ASSISTANT, "hi", GPTKIT_TEST_BUDGET_REQUIRED="true")
        wrong = gptkit(server, "run", ASSISTANT, "hi", "--var", "budget=lots")
        unknown = gptkit(server, "run", ASSISTANT, "hi", "--var", "colour=red")
        good = gptkit(server, "run", ASSISTANT, "hi", "--var", "budget=300", "--var", "who=Rui")
    assert missing.returncode == 1 and "variable 'budget' is required" in missing.stderr
    assert wrong.returncode == 1 and "--var budget=lots: expected an integer" in wrong.stderr
    assert unknown.returncode == 1 and "no variable 'colour'" in unknown.stderr
    assert good.returncode == 0
    assert len(server.requests) == 1  # nothing was sent for the refused runs
    assert "You help Rui with sums." in json.dumps(server.requests[0].body)


@pytest.mark.parametrize("api", APIS)
def test_record_then_replay_offline(api: str, tmp_path: Path) -> None:
    cassette = tmp_path / "sums.cassette.yaml"
    script = [tool_calls(call("add", {"a": 2, "b": 2}, id="c1")), text("It is 4.")]
    with FakeOpenAI(script) as server:
        recorded = gptkit(server, "run", ASSISTANT, "2+2?", "--record", str(cassette), api=api)
    assert recorded.returncode == 0, recorded.stderr
    text_ = cassette.read_text()
    assert "gptkit.testing fake server" in text_ and KEY not in text_
    replayed = gptkit(None, "run", ASSISTANT, "2+2?", "--replay", str(cassette), api=api,
                      OPENAI_API_KEY="", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout == "It is 4.\n"
    assert "→ add(a=2, b=2)" in replayed.stderr  # the tool ran for real again
    other = gptkit(None, "run", ASSISTANT, "3+3?", "--replay", str(cassette), api=api)
    assert other.returncode == 1
    assert "holds no answer for this conversation" in other.stderr and "'3+3?'" in other.stderr
    valid = gptkit(None, "validate", str(cassette))
    assert valid.returncode == 0, valid.stdout + valid.stderr


def test_render_shows_the_prompt_and_json_is_the_request_body() -> None:
    shown = gptkit(None, "render", ASSISTANT, "--var", "who=Rui")
    body = gptkit(None, "render", ASSISTANT, "--format", "json", api="responses")
    assert shown.returncode == 0, shown.stderr
    assert "You help Rui with sums. Tools: add slow_echo book calculator meet" in shown.stdout
    assert '"name": "add"' in shown.stdout
    document = json.loads(body.stdout)
    assert document["model"] == "gpt-4o-mini" and document["stream"] is True
    assert document["instructions"].startswith("You help Ana")
    assert [t["name"] for t in document["tools"]] == ["add", "slow_echo", "book", "calculator", "meet"]


@pytest.mark.parametrize("api", APIS)
def test_an_unknown_model_is_explained(api: str) -> None:
    script = [status(404, "The model `gpt-9` does not exist or you do not have access to it.")]
    with FakeOpenAI(script) as server:
        result = gptkit(server, "run", ASSISTANT, "hi", "--model", "gpt-9", api=api)
    assert result.returncode == 3
    assert "does not know model 'gpt-9' (404" in result.stderr and "model.name" in result.stderr


def test_rate_limits_that_outlast_the_retries_exit_3() -> None:
    script = [status(429, headers={"retry-after": "0"}), status(429, headers={"retry-after": "0"})]
    with FakeOpenAI(script) as server:
        result = gptkit(server, "run", ASSISTANT, "hi")  # max_retries: 1
    assert result.returncode == 3
    assert "is rate limiting this key (429 after 1 retry" in result.stderr
    assert len(server.requests) == 2  # the openai package's retries, no second loop on top


def test_validate_checks_cassettes_and_replay_refuses_a_broken_one(tmp_path: Path) -> None:
    cassette = tmp_path / "broken.cassette.yaml"
    cassette.write_text("version: 1\nassistant: runner\napi: chatty\nserver: x\n"
                        "recorded_with: gptkit\nrecorded_at: now\nexchanges: []\n")
    checked = gptkit(None, "validate", str(cassette))
    assert checked.returncode == 1
    assert f"{cassette}:3:6: error: api: \"chatty\" is not one of: chat, responses" in checked.stdout
    assert "exchanges" in checked.stdout
    replayed = gptkit(None, "run", ASSISTANT, "hi", "--replay", str(cassette))
    assert replayed.returncode == 1
    assert "is not a usable cassette" in replayed.stderr and "Traceback" not in replayed.stderr


@pytest.mark.parametrize("api", APIS)
def test_model_settings_reach_the_request_body(api: str, tmp_path: Path) -> None:
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "assistant.yaml").write_text(
        "version: 1\nname: settings\ninstructions: Hi.\nmodel:\n  name: o4-mini\n"
        f"  api: {api}\n  temperature: 0.2\n  top_p: 0.9\n  max_output_tokens: 300\n"
        "  seed: 7\n  reasoning_effort: low\n  extra: {service_tier: flex, metadata: {team: a}}\n")
    body = json.loads(gptkit(None, "render", str(folder / "assistant.yaml"), "--format", "json",
                             api=api).stdout)
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9
    assert body["service_tier"] == "flex" and body["metadata"] == {"team": "a"}  # extra, as is
    if api == "chat":
        assert body["max_completion_tokens"] == 300 and body["seed"] == 7
        assert body["reasoning_effort"] == "low"
        assert body["stream_options"] == {"include_usage": True}
    else:
        assert body["max_output_tokens"] == 300 and body["reasoning"] == {"effort": "low"}
        assert body["store"] is False and body["instructions"] == "Hi."
    with FakeOpenAI([text("ok")]) as server:  # a compatible server gets max_tokens
        result = gptkit(server, "run", str(folder / "assistant.yaml"), "hi", api=api)
    assert result.returncode == 0, result.stderr
    sent = server.requests[0].body
    if api == "chat":
        assert sent["max_tokens"] == 300 and "max_completion_tokens" not in sent


def test_a_missing_file_is_a_command_line_error() -> None:
    result = gptkit(None, "run", "no/such/assistant.yaml", "hi")
    assert result.returncode == 2 and "gptkit run: no such file: no/such/assistant.yaml" in result.stderr


@pytest.mark.parametrize("mode", MODES)
def test_a_key_echoed_by_the_model_is_redacted_in_the_answer(mode: list[str]) -> None:
    with FakeOpenAI([text(f"Your key is {KEY}, keep it safe.")]) as server:
        result = gptkit(server, "run", ASSISTANT, "what is my key?", *mode)
    assert result.returncode == 0
    assert result.stdout == "Your key is ***, keep it safe.\n"
