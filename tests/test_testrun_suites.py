"""The test suites that ship with the assistants and examples pass offline, as .ci/run runs them.

Each case's cassette is made by `gptkit test --record` (the runner in record mode) against
gptkit.testing's fake server answering with the scripted replies below, one list per case (no
real API is reachable where they are made; their header says so). To add a suite: write the
``*.test.yaml``, add its cases' replies to SCRIPTS, then record with
    pytest tests/test_testrun_suites.py --update-goldens
(or only some: add ``-k 'minimal'``) and commit the cassettes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, Reply, call, json_answer, text, tool_calls
from gptkit.testrun.runner import Runner
from gptkit.testrun.suite import discover, load_suite

REPO = Path(__file__).resolve().parents[1]

DIFF = ("--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n import subprocess\n"
        "-subprocess.run(['ls'])\n+subprocess.run(cmd, shell=True)\n+API_KEY = 'abc123'\n")

#: test file -> case name -> the fake model's replies, in order, over all the case's turns.
SCRIPTS: dict[str, dict[str, list[Reply]]] = {
    "assistants/trip-planner/trip-planner.test.yaml": {
        "porto weekend checks the weather first": [
            tool_calls(call("get_weather", {"city": "Porto", "month": 5}, id="call_weather")),
            tool_calls(call("packing_list", {"city": "Porto", "month": 5, "nights": 3,
                                             "activities": ["city", "nightlife"]}, id="call_pack")),
            text("Porto in May is mild (about 20°C by day, 12°C at night; long-term averages) "
                 "with a few showers.\n\nDay 1: Ribeira and the Dom Luís I bridge at sunset.\n"
                 "Day 2: Livraria Lello and the port cellars in Gaia.\n"
                 "Day 3: a morning train up the Douro valley.\n\n"
                 "Pack layers, a light rain jacket and comfortable shoes for the hills."),
        ],
        "books a hotel through the mock": [
            tool_calls(call("book_hotel", {"hotel_name": "Casa do Rio", "city": "Porto",
                                           "check_in": "2026-05-15", "nights": 2, "guests": 2,
                                           "price_per_night_eur": 95,
                                           "traveller_name": "Ana Silva"}, id="call_book")),
            text("Done: your request reference is BK-TEST1. It is a local record only, so "
                 "please still book Casa do Rio directly with the hotel."),
        ],
        "remembers a preference for the next turn": [
            tool_calls(call("remember", {"fact": "The traveller is vegetarian"}, id="call_mem")),
            text("Noted: I will keep vegetarian food in mind."),
            text("For vegetarian food in Porto try Da Terra near the Bolhão market, and ask for "
                 "the vegetarian francesinha at Café Santiago."),
        ],
        "uses known facts and variables": [
            text("Take the train from Berlin: the direct Railjet is about 8 hours (approx. "
                 "60-120 EUR), or the night train saves a hotel night."),
        ],
    },
    "assistants/support-agent/support-agent.test.yaml": {
        "password reset from the help centre": [
            tool_calls(call("search_knowledge", {"query": "reset password"}, id="call_kb")),
            text("No problem! On the sign-in page choose 'Forgot password', enter your account "
                 "email and follow the link we send (it is valid for 30 minutes). If it has not "
                 "arrived within 5 minutes, check your spam folder. [help-centre.md]"),
        ],
        "opens a ticket for a double charge": [
            tool_calls(call("open_ticket", {"summary": "Customer was charged twice this month "
                                            "and asks for the duplicate charge to be refunded.",
                                            "priority": "high"}, id="call_ticket")),
            text("I'm sorry about the double charge. I opened ticket T-TEST1 for our billing "
                 "team; a person replies within one working day."),
        ],
        "says so when the help desk is down": [
            tool_calls(call("open_ticket", {"summary": "Customer's notes were deleted; they "
                                            "need a person to help recover them.",
                                            "priority": "high"}, id="call_ticket")),
            text("I'm sorry: I could not open a ticket right now because our help desk is "
                 "unreachable. Please try again in a little while, or email support."),
        ],
    },
    "examples/openapi-action/openapi-action.test.yaml": {
        "lists the cats": [
            tool_calls(call("listPets", {"species": "cat"}, id="call_list")),
            text("Two cats are waiting for a home: Miso (2 years) and Tofu (5 years)."),
        ],
        "looks one pet up": [
            tool_calls(call("getPet", {"petId": "3"}, id="call_pet")),
            text("Pet 3 is Miso, a 2-year-old cat."),
        ],
    },
    "examples/mcp-server/mcp-server.test.yaml": {
        "answers from the on-call note": [
            tool_calls(call("notes_search_notes", {"query": "pages"}, id="call_search")),
            tool_calls(call("notes_read_note", {"title": "on-call"}, id="call_read")),
            text("The on-call engineer answers pages, within 15 minutes."),
        ],
        "says so when no note matches": [
            tool_calls(call("notes_search_notes", {"query": "parking"}, id="call_search")),
            text("The team's notes say nothing about parking."),
        ],
    },
    "examples/http-tool/http-tool.test.yaml": {
        "answers from the endpoint": [
            tool_calls(call("get_pet", {"petId": "3"}, id="call_pet")),
            text("Pet 3, Miso the cat, is 2 years old."),
        ],
    },
    "assistants/code-reviewer/code-reviewer.test.yaml": {
        "flags shell injection and a hard-coded key": [
            tool_calls(
                call("summarize_diff", {"diff": DIFF}, id="call_summary"),
                call("find_risky_patterns", {"diff": DIFF, "min_severity": "medium"},
                     id="call_risks"),
            ),
            text("Two problems, both worth fixing before merge:\n\n"
                 "1. app.py: `shell=True` with a variable command allows shell injection; pass a "
                 "list of arguments instead.\n"
                 "2. app.py: a hard-coded API key; read it from the environment.\n"),
        ],
        "asks for a diff when there is none": [
            text("Happy to! Please paste the diff (git diff, or the pull request's patch) and "
                 "I will review it."),
        ],
    },
    "examples/minimal/minimal.test.yaml": {
        "explains a unified diff": [
            text("A unified diff shows the changes between two files: lines starting with - were "
                 "removed, lines with + were added, and @@ headers say where each change is."),
        ],
    },
    "examples/python-tool/python-tool.test.yaml": {
        "converts with the tool": [
            tool_calls(call("convert_temperature", {"value": 100, "from_unit": "F",
                                                    "to_unit": "C"}, id="call_convert")),
            text("100°F is about 37.8°C."),
        ],
    },
    "examples/explicit-parameters/explicit-parameters.test.yaml": {
        "compares annuity and linear repayment": [
            tool_calls(
                call("loan_payment", {"principal": 200000, "annual_rate_percent": 3.5,
                                      "years": 25, "repayment": "annuity"}, id="call_annuity"),
                call("loan_payment", {"principal": 200000, "annual_rate_percent": 3.5,
                                      "years": 25, "repayment": "linear"}, id="call_linear"),
            ),
            text("Annuity: about 1,001 per month throughout. Linear: about 1,250 per month at "
                 "first, falling to about 669; it costs less interest overall."),
        ],
    },
    "examples/structured-output/structured-output.test.yaml": {
        "triages a crash report": [
            json_answer({"category": "bug", "priority": "high", "sentiment": "negative",
                         "language": "en", "customer_name": "Maria",
                         "summary": "The app crashes when exporting a PDF since version 4.2.",
                         "entities": [{"kind": "version", "text": "4.2"}], "needs_human": False,
                         "suggested_reply": "Hi Maria, sorry about the crash! We are looking "
                                            "into it."}),
        ],
    },
    "examples/variables/variables.test.yaml": {
        "explains DNS to children": [
            text("DNS is like a phone book for the internet: it turns names such as example.org "
                 "into the numbers computers use to find each other. What do you think happens "
                 "if the phone book is wrong?"),
        ],
    },
    "examples/extends/extends.test.yaml": {
        "judges a short email": [
            text("No, it is short and clear: it says what changed and when."),
        ],
    },
    "examples/env-substitution/env-substitution.test.yaml": {
        "answers a science question": [
            text("Sunlight scatters off the air's molecules, and blue light scatters the most."),
        ],
    },
}

SUITES = sorted(str(p.relative_to(REPO)) for p in discover([str(REPO / "assistants"),
                                                            str(REPO / "examples")]))


def _record(file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every case of ``file`` against the fake server with its scripted replies."""
    monkeypatch.chdir(REPO)
    for name in ("OPENAI_API_KEY", "OLLAMA_API_KEY"):
        monkeypatch.setenv(name, "sk-recording-0000000000000000")
    suite = load_suite(Path(file))
    for index, case in enumerate(suite.spec.cases):
        with FakeOpenAI(list(SCRIPTS[file][case.name])) as server:
            result = Runner("record", base_url=server.url).run_case(suite, index)
        assert result.status == "passed", "\n".join(result.details)


@pytest.mark.parametrize("file", SUITES)
def test_every_case_of_the_shipped_suites_has_its_script(file: str) -> None:
    suite = load_suite(REPO / file)
    assert sorted(SCRIPTS.get(file, {})) == sorted(c.name for c in suite.spec.cases), (
        f"{file}: SCRIPTS must hold the replies of exactly its cases, to record them again")


@pytest.mark.parametrize("file", SUITES)
def test_the_shipped_suite_passes_offline(file: str, update_goldens: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # an MCP example's server runs with the `python` on PATH: this one, which has mcp
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if update_goldens:
        _record(file, monkeypatch)
    monkeypatch.chdir(REPO)
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)  # a replay needs no key
    suite = load_suite(Path(file))
    results = list(Runner("replay").run([(suite, i) for i in range(len(suite.spec.cases))]))
    failed = [f"{r.case_id}\n" + "\n".join(r.details) for r in results if r.status != "passed"]
    assert not failed, "\n\n".join(failed)


def test_every_cassette_of_a_suite_belongs_to_one_of_its_cases() -> None:
    from gptkit.config.testsuite_file import cassette_path

    for file in SUITES:
        suite = load_suite(REPO / file)
        wanted = {cassette_path(REPO / file, c.name) for c in suite.spec.cases}
        folder = (REPO / file).parent / "cassettes" / (REPO / file).name.removesuffix(".test.yaml")
        found = set(folder.glob("*.cassette.yaml"))
        assert found == wanted, f"{file}: cassettes of no case: {sorted(map(str, found - wanted))}"
