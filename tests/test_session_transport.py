"""A session's way to the model is a seam of its own (gptkit.runtime.transport): network,
record, replay, or anything with the same two methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import gptkit
from gptkit.errors import UsageError
from gptkit.runtime.transport import Network, Record, Replay
from gptkit.testing import FakeOpenAI, text

ASSISTANT = Path(__file__).parent / "projects" / "runner" / "assistant.yaml"
ENV = {"OPENAI_API_KEY": "sk-test-TRANSPORT0123456789abcdef"}


def session(**options: Any) -> Any:
    return gptkit.Session(gptkit.load(ASSISTANT), environ=ENV, stream=False, **options)


def test_record_then_replay_through_the_transport_option(tmp_path: Path) -> None:
    cassette = tmp_path / "t.cassette.yaml"
    with (
        FakeOpenAI([text("Recorded answer.")]) as server,
        session(base_url=server.url, transport=Record(cassette)) as recording,
    ):
        assert recording.send("hi").text == "Recorded answer."
        recording.save_recording()
    assert ENV["OPENAI_API_KEY"] not in cassette.read_text()
    with session(base_url="http://127.0.0.1:9/v1", transport=Replay(cassette)) as replaying:
        assert replaying.send("hi").text == "Recorded answer."  # nothing listens on port 9


def test_a_transport_of_ones_own_sees_every_call() -> None:
    seen: list[tuple[str, bool]] = []

    class Canned:
        async def send(self, path: str, body: dict[str, Any], stream: bool) -> Any:
            seen.append((path, stream))
            return {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "canned"},
                    }
                ],
            }

        async def aclose(self) -> None:
            return None

    class Mine(Network):
        def connect(self, endpoint: Any, secrets: Any) -> Any:
            return Canned()

    with session(transport=Mine()) as s:
        assert s.send("hi").text == "canned"
    assert seen == [("/chat/completions", False)]


def test_record_and_replay_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="one of transport=, record= and replay="):
        session(record=tmp_path / "a.yaml", replay=tmp_path / "b.yaml")
