"""`gptkit test`: a passing suite, the failure a person reads for each kind of expectation, the
missing cassette, the request diff after an edit, memory across turns, mocks, record then replay."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from testrun_project import gptkit, make_project, record, write_suite

from gptkit.testing import FakeOpenAI, call, json_answer, text, tool_calls

WEATHER = [
    tool_calls(call("lookup", {"query": "Porto in May", "detail": {"unit": "C", "days": 3}},
                    id="call_look"), usage=(1000, 50)),
    tool_calls(call("save_note", {"text": "Porto: mild in May"}, id="call_save"), usage=(1000, 50)),
    text("Porto is mild in May: pack a light jacket.", usage=(1000, 50)),
]

CASE = """\
cases:
  - name: weather
    turns:
      - user: What is Porto like in May?
        expect:
{expect}
"""


def _indent(expect: str) -> str:
    return "\n".join("          " + line for line in textwrap.dedent(expect).strip().splitlines())


@pytest.fixture
def weather(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    """A recorded case `weather`: lookup, then save_note, then the answer (3 model calls)."""
    test_file = make_project(tmp_path, CASE.format(expect=_indent("contains: Porto")))
    record(monkeypatch, capsys, test_file, {"weather": WEATHER})
    (tmp_path / "saved.txt").unlink()
    return test_file


def test_a_passing_suite_prints_a_line_per_case_and_the_count(
    weather: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_suite(weather, CASE.format(expect=_indent("""
        contains: [Porto, jacket]
        not_contains: umbrella
        matches: "mild in \\\\w+"
        equals: "Porto is mild in May: pack a light jacket."
        tool_calls:
          - name: lookup
            arguments: {query: Porto in May, detail: {unit: C}}
          - name: save_note
        max_tool_rounds: 2
        max_input_tokens: 3000
        max_cost_usd: 0.01
    """)))
    code, out, err = gptkit(capsys, "test", str(weather))
    lines = out.splitlines()
    assert code == 0, out + err
    assert lines[0].startswith(f"PASS  {weather}::weather (")
    assert lines[-1] == "1 passed, 0 failed"
    assert (weather.parent / "saved.txt").read_text() == "Porto: mild in May\n"  # not mocked: it ran


FAILURES = {
    "contains": ("contains: umbrella", "the answer does not contain 'umbrella'"),
    "not_contains": ("not_contains: jacket",
                     "the answer contains 'jacket', which it must not: "
                     "'…is mild in May: pack a light jacket.'"),
    "matches": ("matches: '^Lisbon'", "the answer does not match the regular expression '^Lisbon'"),
    "equals": ("equals: Porto is mild.",
               "the answer is not the expected text: expected 'Porto is mild.'"),
    "json_schema": ("json_schema: {type: object}",
                    "the answer is not JSON (Expecting value: line 1 column 1 (char 0)), so it "
                    "cannot match json_schema"),
    "tool_calls": ("tool_calls: [{name: lookup, arguments: {query: Lisbon}}]",
                   'expected a call of lookup with {"query": "Lisbon"}; the turn called '
                   'lookup(query="Porto in May", detail={"unit": "C", "days": 3}), '
                   'save_note(text="Porto: mild in May")'),
    "tool_calls in order": ("tool_calls: [{name: save_note}, {name: lookup}]",
                            "expected a call of lookup after the calls before it in tool_calls; "
                            "the turn called lookup("),
    "tool_calls any order": ("{tool_calls_order: any_order, tool_calls: [{name: save_note}, "
                             "{name: save_note}]}",
                             "expected 2 calls matching tool_calls, each by its own call; the "
                             "turn called lookup("),
    "no_tool_calls": ("no_tool_calls: true", "expected no tool calls; the turn called lookup("),
    "max_tool_rounds": ("max_tool_rounds: 1", "the turn took 2 tool rounds, over max_tool_rounds (1)"),
    "max_cost_usd": ("max_cost_usd: 0.0001",
                     "the turn cost $0.000540, over max_cost_usd ($0.0001)"),
    "max_input_tokens": ("max_input_tokens: 2500",
                         "the turn used 3,000 input tokens, over max_input_tokens (2,500)"),
}


@pytest.mark.parametrize("kind", FAILURES)
def test_each_kind_of_expectation_fails_with_a_sentence_to_act_on(
    kind: str, weather: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect, message = FAILURES[kind]
    write_suite(weather, CASE.format(expect=_indent(expect)))
    code, out, _ = gptkit(capsys, "test", str(weather))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"FAIL  {weather}::weather (")
    assert lines[1] == "      turn 1 ('What is Porto like in May?'):"
    assert lines[2].startswith("        " + message), out
    assert lines[3] == "        the answer was: 'Porto is mild in May: pack a light jacket.'"
    assert lines[-1] == "0 passed, 1 failed"


def test_a_json_answer_off_the_expected_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    test_file = make_project(tmp_path, """\
        cases:
          - name: triage
            turns:
              - user: Sort this
                expect:
                  json_schema:
                    type: object
                    properties: {category: {enum: [bug, billing]}}
                    required: [category]
        """)
    record(monkeypatch, capsys, test_file, {"triage": [json_answer({"category": "other"})]})
    code, out, _ = gptkit(capsys, "test", str(test_file))
    assert code == 1
    assert ("the JSON answer does not match json_schema at category: 'other' is not one of "
            "['bug', 'billing']") in out


def test_a_missing_cassette_says_how_to_record_it(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    test_file = make_project(tmp_path, CASE.format(expect=_indent("contains: Porto")))
    code, out, _ = gptkit(capsys, "test", str(test_file))
    cassette = tmp_path / "cassettes" / "notes" / "weather.cassette.yaml"
    assert code == 1
    assert out.splitlines()[1] == (
        f"      no cassette at {cassette}: record it with `gptkit test --record` "
        f"(gptkit test --record {test_file} -k weather)")
    assert out.splitlines()[-2:] == [
        "1 case to record (where the change is intended):",
        f"  gptkit test --record {test_file} -k weather",
    ]


def test_editing_the_instructions_shows_the_request_diff_and_which_case_to_record(
    weather: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_suite(weather, CASE.format(expect=_indent("contains: Porto")) + """\
  - name: other case
    turns:
      - user: Hello
""")
    assistant = tmp_path / "assistant.yaml"
    assistant.write_text(assistant.read_text().replace("You keep the user's notes.",
                                                       "You keep the user's notes tidy."))
    code, out, _ = gptkit(capsys, "test", str(weather), "-k", "weather")
    assert code == 1
    assert "      turn 1: the cassette does not fit this run: model call 1 is not the recorded " \
           "one (- recorded, + this run):" in out
    assert "      -  | You keep the user's notes. Be brief.\n" \
           "      +  | You keep the user's notes tidy. Be brief.\n" in out
    assert out.splitlines()[-2:] == [
        "1 case to record (where the change is intended):",
        f"  gptkit test --record {weather} -k weather",
    ]
    assert "other case" not in out  # -k left it out


def test_a_changed_tool_result_and_user_message_show_in_the_diff(
    weather: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_suite(weather, "tools:\n  lookup: {result: a fact on Porto in May}\n"
                + CASE.format(expect=_indent("contains: Porto")))
    code, out, _ = gptkit(capsys, "test", str(weather))
    assert code == 1
    assert "model call 2 is not the recorded one" in out
    assert "       tool result of lookup:\n      -  | fact about Porto in May\n" \
           "      +  | a fact on Porto in May\n" in out
    write_suite(weather, CASE.format(expect=_indent("contains: Porto")).replace(
        "What is Porto like in May?", "What is Porto like in June?"))
    code, out, _ = gptkit(capsys, "test", str(weather))
    assert "-  | What is Porto like in May?\n      +  | What is Porto like in June?" in out


def test_a_second_turn_answers_from_what_the_first_saved_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = make_project(tmp_path, """\
        cases:
          - name: remembers
            memory: [Lives in Porto]
            turns:
              - user: Remember that I like trains
                expect:
                  tool_calls: [{name: remember, arguments: {fact: Likes trains}}]
              - user: How should I travel?
                expect: {contains: train, no_tool_calls: true}
        """)

    def second_turn(request):  # type: ignore[no-untyped-def]
        prompt = request.body["messages"][0]["content"]
        return text("By train, from Porto." if "Likes trains" in prompt else "By plane.")

    replies = iter([tool_calls(call("remember", {"fact": "Likes trains"}, id="call_mem")),
                    text("Noted.")])
    with FakeOpenAI(lambda request: next(replies, None) or second_turn(request)) as server, \
            monkeypatch.context() as env:
        env.setenv("OPENAI_BASE_URL", server.url)
        env.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
        code, out, _ = gptkit(capsys, "test", "--record", str(test_file))
        first_prompt = server.requests[0].body["messages"][0]["content"]
    assert code == 0, out
    assert "- Lives in Porto" in first_prompt  # the seeded fact
    code, out, _ = gptkit(capsys, "test", str(test_file))
    assert code == 0, out
    # the replay checks that the second turn's prompt still carries the fact the first saved
    cassette = tmp_path / "cassettes" / "notes" / "remembers.cassette.yaml"
    cassette.write_text(cassette.read_text().replace("- Likes trains", "- Likes planes"))
    code, out, _ = gptkit(capsys, "test", str(test_file))
    assert code == 1
    assert "model call 3 is not the recorded one" in out
    assert "-  | - Likes planes\n      +  | - Likes trains" in out


def test_a_mock_replaces_a_tool_with_side_effects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = make_project(tmp_path, """\
        tools:
          save_note: {result: {saved: true, id: 7}}
        cases:
          - name: saves
            turns:
              - user: Save "buy milk"
                expect:
                  tool_calls: [{name: save_note, arguments: {text: buy milk}}]
          - name: fails
            tools:
              save_note: {error: the disk is full}
            turns:
              - user: Save "call Ana"
        """)
    script = {"saves": [tool_calls(call("save_note", {"text": "buy milk"}, id="c1")), text("Saved.")],
              "fails": [tool_calls(call("save_note", {"text": "call Ana"}, id="c2")),
                        text("I could not save it.")]}
    seen = {}
    for name, replies in script.items():
        with FakeOpenAI(list(replies)) as server, monkeypatch.context() as env:
            env.setenv("OPENAI_BASE_URL", server.url)
            env.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
            assert gptkit(capsys, "test", "--record", str(test_file), "-k", name)[0] == 0
            seen[name] = server.requests[1].tool_results()[0].output
    assert seen == {"saves": '{"saved": true, "id": 7}', "fails": "error: the disk is full"}
    assert not (tmp_path / "saved.txt").exists()  # the real tool never ran
    assert gptkit(capsys, "test", str(test_file))[0] == 0
    assert not (tmp_path / "saved.txt").exists()


def test_record_against_the_fake_server_then_replay_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = make_project(tmp_path, CASE.format(expect=_indent("contains: jacket")))
    with FakeOpenAI(list(WEATHER)) as server, monkeypatch.context() as env:
        env.setenv("OPENAI_BASE_URL", server.url)
        env.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
        code, out, _ = gptkit(capsys, "test", "--record", str(test_file))
    cassette = tmp_path / "cassettes" / "notes" / "weather.cassette.yaml"
    assert code == 0, out
    assert f"      recorded {cassette}" in out.splitlines()
    header = cassette.read_text().splitlines()
    assert header[0] == "# Recorded with `gptkit test --record` against gptkit.testing's fake OpenAI server"
    assert "sk-test-0000000000000000" not in cassette.read_text()
    # offline: no server, no key
    code, out, _ = gptkit(capsys, "test", str(test_file))
    assert code == 0, out
    assert out.splitlines()[-1] == "1 passed, 0 failed"
    # --live runs against the API and writes nothing
    before = cassette.read_text()
    with FakeOpenAI(list(WEATHER)) as server, monkeypatch.context() as env:
        env.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
        code, out, _ = gptkit(capsys, "test", "--live", "--base-url", server.url, str(test_file))
        assert len(server.requests) == 3
    assert code == 0, out
    assert cassette.read_text() == before


def test_json_output_and_k_and_parallel_jobs(weather: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_suite(weather, CASE.format(expect=_indent("contains: Porto")) + """\
  - name: not recorded
    turns:
      - user: Hello
""")
    code, out, _ = gptkit(capsys, "test", "--format", "json", "-j", "2", str(weather))
    report = json.loads(out)
    assert code == 1
    assert [(c["name"], c["status"], c["line"]) for c in report["cases"]] == [
        ("weather", "passed", 4), ("not recorded", "failed", 9)]
    assert report["passed"] == 1 and report["failed"] == 1
    code, out, _ = gptkit(capsys, "test", "-k", "WEATH", str(weather))
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed")
    code, _, err = gptkit(capsys, "test", "-k", "nothing-like-it", str(weather))
    assert (code, err) == (1, "gptkit test: no case matches -k nothing-like-it\n")


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gptkit(capsys, "test", str(tmp_path / "nope")) == (
        2, "", f"gptkit test: no such file or folder: {tmp_path / 'nope'}\n")
    assert gptkit(capsys, "test", str(tmp_path)) == (
        1, "", f"gptkit test: no test files (*.test.yaml) in {tmp_path}\n")
    assert gptkit(capsys, "test", "-j", "0", str(tmp_path))[0] == 2


def test_a_broken_test_file_fails_with_its_problems(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    test_file = make_project(tmp_path, "cases:\n  - name: x\n    turns: []\n    colour: red\n")
    code, out, _ = gptkit(capsys, "test", str(test_file))
    assert code == 1
    assert out.splitlines()[0] == f"FAIL  {test_file} (the test file cannot be run)"
    assert "unknown key 'colour'" in out or "colour" in out
    assert out.splitlines()[-1] == "0 passed, 1 failed"


def test_a_mock_of_a_tool_the_assistant_lacks_fails_the_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = make_project(tmp_path, "tools:\n  send_mail: {result: sent}\n"
                             + CASE.format(expect=_indent("contains: x")))
    cassette = tmp_path / "cassettes" / "notes" / "weather.cassette.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("version: 1\nassistant: notes\napi: chat\nserver: x\nrecorded_with: x\n"
                        "recorded_at: x\nexchanges:\n- request: {path: /chat/completions, body: {}}\n"
                        "  response: {body: {}}\n")
    code, out, _ = gptkit(capsys, "test", str(test_file))
    assert code == 1
    assert out.splitlines()[1] == ("      setup: the mocked tool send_mail is not a tool of "
                                   "assistant.yaml (its tools: forget, lookup, remember, save_note)")
