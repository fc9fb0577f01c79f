"""The cassettes that ship with the assistants and examples: each replays offline, as the README says.

Each cassette is made by `gptkit run --record` against gptkit.testing's fake server with the
scripted replies below (no real API is reachable where they are made; their header says so).
Re-record them all with:  pytest tests/test_cassettes.py --update-goldens
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gptkit.testing import FakeOpenAI, Reply, call, json_answer, text, tool_calls

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Recording:
    assistant: str
    message: str
    script: list[Reply]
    args: list[str] = field(default_factory=list)
    expect: str = ""  # a phrase the replayed answer contains
    pets_api: bool = False  # the example calls the local API of examples/openapi-action


RECORDINGS: dict[str, Recording] = {
    "assistants/trip-planner/cassettes/porto-weekend.cassette.yaml": Recording(
        "assistants/trip-planner/assistant.yaml",
        "Plan a long weekend in Porto in May",
        [
            tool_calls(call("get_weather", {"city": "Porto", "month": 5}, id="call_weather")),
            tool_calls(call("packing_list", {"city": "Porto", "month": 5, "nights": 3,
                                             "activities": ["city", "nightlife"]}, id="call_pack")),
            text("Porto in May is mild (about 20°C by day, 12°C at night) with a few showers.\n\n"
                 "Day 1: Ribeira and the Dom Luís I bridge at sunset.\n"
                 "Day 2: Livraria Lello, Clérigos tower, then port cellars in Gaia.\n"
                 "Day 3: a morning train up the Douro valley.\n\n"
                 "Pack layers, a light rain jacket and comfortable shoes for the hills."),
        ],
        expect="Porto in May is mild",
    ),
    "assistants/code-reviewer/cassettes/review-diff.cassette.yaml": Recording(
        "assistants/code-reviewer/assistant.yaml",
        "Review this diff:\n--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n import subprocess\n"
        "-subprocess.run(['ls'])\n+subprocess.run(cmd, shell=True)\n+API_KEY = 'abc123'\n",
        [
            tool_calls(
                call("summarize_diff", {"diff": "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n"
                     " import subprocess\n-subprocess.run(['ls'])\n+subprocess.run(cmd, shell=True)\n"
                     "+API_KEY = 'abc123'\n"}, id="call_summary"),
                call("find_risky_patterns", {"diff": "+subprocess.run(cmd, shell=True)\n"
                     "+API_KEY = 'abc123'\n", "min_severity": "medium"}, id="call_risks"),
            ),
            text("Two problems, both worth fixing before merge:\n\n"
                 "1. app.py: `shell=True` with a variable command allows shell injection; pass a "
                 "list of arguments instead.\n"
                 "2. app.py: a hard-coded API key; read it from the environment.\n"),
        ],
        expect="shell injection",
    ),
    "assistants/support-agent/cassettes/password-reset.cassette.yaml": Recording(
        "assistants/support-agent/assistant.yaml",
        "I forgot my password",
        [
            tool_calls(call("search_knowledge", {"query": "reset password"}, id="call_kb")),
            text("No problem! Open the sign-in page, choose \"Forgot password?\" and enter your "
                 "email address; the reset link arrives within a few minutes [KB-001]. "
                 "Anything else?"),
        ],
        expect="Forgot password?",
    ),
    "assistants/support-agent/cassettes/yearly-refund.cassette.yaml": Recording(
        "assistants/support-agent/assistant.yaml",
        "I paid for a yearly plan 10 days ago. Can I still get my money back?",
        [
            tool_calls(call("search_knowledge", {"query": "refund yearly plan days"}, id="call_kb")),
            text("Yes: a yearly plan is refunded in full within 14 days of the charge, so you are "
                 "still in time [refund-policy.md, Yearly plans]. Only the billing team can issue "
                 "it; shall I open a ticket for them?"),
        ],
        expect="refunded in full within 14 days",
    ),
    "examples/minimal/minimal.cassette.yaml": Recording(
        "examples/minimal/assistant.yaml",
        "Explain what a unified diff is",
        [text("A unified diff shows the changes between two files: lines starting with - were "
              "removed, lines with + were added, and @@ headers say where each change is.")],
        expect="unified diff",
    ),
    "examples/python-tool/python-tool.cassette.yaml": Recording(
        "examples/python-tool/assistant.yaml",
        "What is 100°F in Celsius?",
        [tool_calls(call("convert_temperature", {"value": 100, "from_unit": "F", "to_unit": "C"},
                         id="call_convert")),
         text("100°F is about 37.8°C.")],
        expect="37.8",
    ),
    "examples/explicit-parameters/explicit-parameters.cassette.yaml": Recording(
        "examples/explicit-parameters/assistant.yaml",
        "Monthly payment for 200000 at 3.5% over 25 years?",
        [tool_calls(call("loan_payment", {"principal": 200000, "annual_rate_percent": 3.5,
                                          "years": 25, "repayment": "annuity"}, id="call_loan")),
         text("About 1,001 per month, with roughly 100,000 paid in interest over 25 years.")],
        expect="per month",
    ),
    "examples/structured-output/structured-output.cassette.yaml": Recording(
        "examples/structured-output/assistant.yaml",
        "Hi, the app crashes when I export a PDF since version 4.2. Please help! - Maria",
        [json_answer({"category": "bug", "priority": "high", "sentiment": "negative",
                      "language": "en", "customer_name": "Maria",
                      "summary": "The app crashes when exporting a PDF since version 4.2.",
                      "entities": [{"kind": "version", "text": "4.2"}], "needs_human": False,
                      "suggested_reply": "Hi Maria, sorry about the crash! We are looking into it."})],
        args=["--json"],
        expect='"category": "bug"',
    ),
    "examples/variables/variables.cassette.yaml": Recording(
        "examples/variables/assistant.yaml",
        "What is DNS?",
        [text("DNS is like a phone book for the internet: it turns names such as example.org "
              "into the numbers computers use to find each other. What do you think happens if "
              "the phone book is wrong?")],
        args=["--var", "audience=10-year-olds"],
        expect="phone book",
    ),
    "examples/extends/extends.cassette.yaml": Recording(
        "examples/extends/assistant.yaml",
        "Is this email too long? 'Hi team, quick update: the release moves to Friday. Thanks!'",
        [text("No, it is short and clear: it says what changed and when.")],
        expect="short and clear",
    ),
    "examples/mcp-server/mcp-server.cassette.yaml": Recording(
        "examples/mcp-server/assistant.yaml",
        "Who answers pages, and how fast?",
        [tool_calls(call("notes_search_notes", {"query": "pages"}, id="call_1")),
         tool_calls(call("notes_read_note", {"title": "on-call"}, id="call_2")),
         text("The on-call engineer answers pages, within 15 minutes.")],
        expect="within 15 minutes",
    ),
    "examples/env-substitution/env-substitution.cassette.yaml": Recording(
        "examples/env-substitution/assistant.yaml",
        "Why is the sky blue?",
        [text("Sunlight scatters off the air's molecules, and blue light scatters the most.")],
        expect="scatters",
    ),
    "examples/openapi-action/openapi-action.cassette.yaml": Recording(
        "examples/openapi-action/assistant.yaml",
        "Which cats can I adopt?",
        [tool_calls(call("listPets", {"species": "cat"}, id="call_list")),
         text("Two cats are waiting for a home: Miso (1 year old) and Pepper (7).")],
        expect="Miso",
        pets_api=True,
    ),
    "examples/http-tool/http-tool.cassette.yaml": Recording(
        "examples/http-tool/assistant.yaml",
        "How old is pet 3?",
        [tool_calls(call("get_pet", {"petId": "3"}, id="call_pet")),
         text("Pet 3 is Pepper, a cat of 7.")],
        expect="Pepper",
        pets_api=True,
    ),
}


@contextlib.contextmanager
def _pets_api(wanted: bool) -> Iterator[dict[str, str]]:
    """The example pets API on a free port (when ``wanted``), and the variables that reach it."""
    if not wanted:
        yield {}
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PETS_API_PORT": str(port), "PETS_API_KEY": "demo-key-2468"}
    process = subprocess.Popen([sys.executable, str(REPO / "examples/openapi-action/pets_api.py")],
                               env=_env(**env), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and "pets API on" in process.stdout.readline()
        yield {**env, "PETS_API_URL": f"http://127.0.0.1:{port}"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OLLAMA_", "MY_"))}
    env.update(extra)
    # the example MCP server runs as `python`: the one running the tests, which has mcp
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _gptkit(*args: str, env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=60)


def _record(path: str, recording: Recording, target: Path) -> None:
    with FakeOpenAI(list(recording.script)) as server, _pets_api(recording.pets_api) as api:
        env = _env(OPENAI_API_KEY="sk-recording-0000000000000000", OLLAMA_API_KEY="local",
                   OPENAI_BASE_URL=server.url, MY_BASE_URL=server.url, **api)
        result = _gptkit("run", recording.assistant, recording.message, *recording.args,
                         "--yes", "--record", str(target), env=env)
    assert result.returncode == 0, f"{path}: recording failed:\n{result.stderr}"


@pytest.mark.parametrize("path", sorted(RECORDINGS))
def test_each_cassette_replays_offline(path: str, update_goldens: bool, tmp_path: Path) -> None:
    recording = RECORDINGS[path]
    cassette = REPO / path
    if update_goldens or not cassette.exists():
        if not update_goldens:
            pytest.fail(f"{path} is missing: run pytest tests/test_cassettes.py --update-goldens")
        cassette.parent.mkdir(parents=True, exist_ok=True)
        _record(path, recording, cassette)
    text_ = cassette.read_text(encoding="utf-8")
    assert "against gptkit.testing's fake OpenAI server" in text_.split("version: 1")[0]
    # offline: no key, and a base URL where nothing listens
    with _pets_api(recording.pets_api) as api:
        result = _gptkit("run", recording.assistant, recording.message, *recording.args,
                         "--replay", path, env=_env(OPENAI_BASE_URL="http://127.0.0.1:9/v1", **api))
    assert result.returncode == 0, result.stderr
    assert recording.expect in result.stdout


def test_every_cassette_in_the_repository_is_listed_here() -> None:
    found = {str(p.relative_to(REPO)) for p in REPO.glob("*/**/*.cassette.yaml")
             if "tests" not in p.parts and not _of_a_test_suite(p)}
    assert found <= set(RECORDINGS), found - set(RECORDINGS)


def _of_a_test_suite(path: Path) -> bool:
    """A case's cassette, cassettes/STEM/CASE.cassette.yaml beside STEM.test.yaml: those are
    recorded and checked by tests/test_testrun_suites.py."""
    suites = path.parent.parent
    return suites.name == "cassettes" and (suites.parent / f"{path.parent.name}.test.yaml").is_file()
