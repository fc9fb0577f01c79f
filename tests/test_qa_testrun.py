"""Outside-in QA of `gptkit test`: defects a user met, each pinned by a test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gptkit.cli.main import main

ASSISTANT = """\
version: 1
name: slow
model:
  name: gpt-4o-mini
  timeout_s: 3600
instructions: Answer briefly.
"""

SUITE = """\
version: 1
assistant: assistant.yaml
cases:
  - name: one
    turns: [{user: hi, expect: {contains: x}}]
  - name: two
    turns: [{user: hi, expect: {contains: x}}]
  - name: three
    turns: [{user: hi, expect: {contains: x}}]
"""


class Silent:
    """A server on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Semaphore(0)
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.accepted.release()

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_ctrl_c_with_parallel_jobs_stops_at_once(tmp_path: Path) -> None:
    # Before: Ctrl-C during `gptkit test -j 4` waited for every running case to time out
    # (model.timeout_s, here an hour) before printing "interrupted".
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    (tmp_path / "slow.test.yaml").write_text(SUITE)
    server = Silent()
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "GPTKIT_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gptkit", "test", "--live", "-j", "4",
         "--base-url", f"http://127.0.0.1:{server.port}/v1", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        for _ in range(2):  # two cases are waiting for the model
            assert server.accepted.acquire(timeout=120)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)  # far less than model.timeout_s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        server.close()
    assert proc.returncode == 130, err
    assert "gptkit: interrupted" in err
    assert "Traceback" not in err


def test_a_mock_of_an_unknown_tool_is_told_before_a_missing_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the replay said only "no cassette ...: record it", and recording then failed on
    # the mock; the mock is the thing to fix.
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    (tmp_path / "slow.test.yaml").write_text(
        "version: 1\nassistant: assistant.yaml\ncases:\n  - name: bad mock\n"
        "    tools: {get_weather: {result: sunny}}\n    turns: [{user: hi}]\n"
    )
    code = main(["test", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "the mocked tool get_weather is not a tool of assistant.yaml" in out
    assert "no cassette" not in out
    assert "to record" not in out


def test_a_typo_in_a_test_file_shows_validates_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: `gptkit test` dropped the hint ("did you mean 'expect'?") that validate shows.
    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    (tmp_path / "slow.test.yaml").write_text(
        "version: 1\nassistant: assistant.yaml\ncases:\n  - name: typo\n"
        "    turns:\n      - user: hi\n        expcet: {contains: x}\n"
    )
    assert main(["test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "unknown key 'expcet'" in out
    assert "did you mean 'expect'?" in out


def test_ctrl_c_while_a_cassette_is_written_leaves_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the cassette's header was rewritten in place (Path.write_text): an interrupt or
    # a full disk at that moment left an empty or partial cassette.
    from gptkit.providers.cassette import load_cassette
    from gptkit.testing import FakeOpenAI

    (tmp_path / "assistant.yaml").write_text(ASSISTANT)
    (tmp_path / "slow.test.yaml").write_text(
        "version: 1\nassistant: assistant.yaml\ncases:\n  - name: one\n    turns: [{user: hi}]\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")

    def cut_short(self: Path, data: str, *args: object, **kwargs: object) -> int:
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(data[:10])
        raise KeyboardInterrupt

    with FakeOpenAI("echo") as server:
        monkeypatch.setattr(Path, "write_text", cut_short)
        code = main(["test", "--record", "--base-url", server.url, str(tmp_path)])
        monkeypatch.undo()
    capsys.readouterr()
    assert code in (0, 130)  # 130 when the interrupt came
    cassette = tmp_path / "cassettes" / "slow" / "one.cassette.yaml"
    assert load_cassette(cassette)["exchanges"]


def test_a_test_file_naming_a_missing_assistant_does_not_say_it_has_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "the assistant file nothere.yaml has errors" for a file that does not exist.
    (tmp_path / "slow.test.yaml").write_text(
        "version: 1\nassistant: nothere.yaml\ncases:\n  - name: a\n    turns: [{user: hi}]\n")
    assert main(["test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "the assistant file nothere.yaml cannot be loaded" in out
    assert "has errors" not in out


EMBEDDED = """\
version: 1
name: emb
model:
  name: gpt-4o-mini
  base_url: {url}
instructions: Answer from the files.
knowledge:
  files: ["kb/*.md"]
  mode: context
  top_k: 1
  embeddings: {{model: text-embedding-3-small}}
"""


def test_a_suite_with_embeddings_records_and_replays_without_embedding_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: `gptkit test` (a replay) called the embeddings API over the network, and a case
    # recorded with hybrid ranking could not replay once that API was gone.
    from gptkit.testing import FakeOpenAI

    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "shipping.md").write_text("# Shipping\nShipping takes 3 days.\n")
    (tmp_path / "kb" / "refunds.md").write_text("# Refunds\nRefunds take 14 days.\n")
    (tmp_path / "emb.test.yaml").write_text(
        "version: 1\nassistant: assistant.yaml\ncases:\n  - name: one\n"
        "    turns: [{user: how long does shipping take, expect: {contains: shipping}}]\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
    monkeypatch.setenv("GPTKIT_HOME", str(tmp_path / "home"))
    with FakeOpenAI("echo") as server:
        (tmp_path / "assistant.yaml").write_text(EMBEDDED.format(url=server.url))
        assert main(["test", "--record", str(tmp_path)]) == 0, capsys.readouterr().out
        assert main(["test", str(tmp_path)]) == 0, capsys.readouterr().out
        paths = [r.path for r in server.requests]
    assert paths and not any("embeddings" in p for p in paths), paths
    # and with the API gone (the server stopped), the replay still passes
    capsys.readouterr()
    assert main(["test", str(tmp_path)]) == 0, capsys.readouterr().out
