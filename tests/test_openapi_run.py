"""`gptkit run` with an OpenAPI tool, end to end: the fake model calls it, the real API answers.

Recorded to a cassette and replayed from it: the tool's HTTP call is real in both modes.
"""

from __future__ import annotations

import json
from pathlib import Path

from openapi_server import API_KEY, ApiServer
from test_run import gptkit

from gptkit.testing import FakeOpenAI, call, text, tool_calls

ASSISTANT = """\
version: 1
name: pets
model: {name: gpt-4o-mini}
instructions: Help with pets.
tools:
  - type: openapi
    spec: api.yaml
    allow_private_network: true
    auth: {type: api_key, key_env: PETS_KEY, name: X-Api-Key}
"""


def test_a_tool_round_through_run_record_and_replay(tmp_path: Path) -> None:
    (tmp_path / "assistant.yaml").write_text(ASSISTANT, encoding="utf-8")
    cassette = tmp_path / "pets.cassette.yaml"
    with ApiServer() as api:
        api.write_spec(tmp_path)
        script = [tool_calls(call("secure", {"kind": "key"}, id="s1")), text("You are in.")]
        with FakeOpenAI(script) as server:
            result = gptkit(server, "run", str(tmp_path / "assistant.yaml"), "Am I allowed?",
                            "--record", str(cassette), PETS_KEY=API_KEY)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "You are in.\n"
        (output,) = [r.output for r in server.requests[1].tool_results()]
        assert json.loads(output) == {"ok": "key", "you_sent": "***"}
        assert API_KEY not in result.stderr + result.stdout + cassette.read_text()

        replayed = gptkit(None, "run", str(tmp_path / "assistant.yaml"), "Am I allowed?",
                          "--replay", str(cassette), PETS_KEY=API_KEY)
        assert replayed.returncode == 0, replayed.stderr
        assert replayed.stdout == "You are in.\n"
        assert api.count("GET", "/secure/key") == 2  # the action ran for real both times
