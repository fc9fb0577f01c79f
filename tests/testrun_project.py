"""A small project for the tests of `gptkit test`: an assistant with two python tools (one with a
side effect: it appends to saved.txt), a test file, and recording against the fake server."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gptkit.cli.main import main
from gptkit.testing import FakeOpenAI, Reply

ASSISTANT = """\
version: 1
name: notes
model:
  name: gpt-4o-mini
variables:
  tone:
    type: string
    default: Be brief.
instructions: |
  You keep the user's notes. {{ vars.tone }}
  {%- for fact in memory.facts %}
  - {{ fact }}
  {%- endfor %}
tools:
  - name: save_note
    type: python
    function: note_tools.notes:save_note
  - name: lookup
    type: python
    function: note_tools.notes:lookup
    strict: false
memory:
  long_term: true
"""

TOOLS = '''\
from pathlib import Path

SAVED = Path(__file__).resolve().parent.parent / "saved.txt"


def save_note(text: str) -> str:
    """Save a note (appends it to saved.txt)."""
    with SAVED.open("a", encoding="utf-8") as handle:
        handle.write(text + "\\n")
    return "saved: " + text


def lookup(query: str, detail: dict | None = None) -> str:
    """Look up a fact about the query."""
    return "fact about " + query
'''


def make_project(tmp_path: Path, body: str) -> Path:
    """Write the assistant, its tools and ``notes.test.yaml`` (``body``: its YAML after
    ``assistant:``); return the test file."""
    (tmp_path / "assistant.yaml").write_text(ASSISTANT, encoding="utf-8")
    package = tmp_path / "note_tools"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "notes.py").write_text(TOOLS, encoding="utf-8")
    test_file = tmp_path / "notes.test.yaml"
    write_suite(test_file, body)
    return test_file


def write_suite(test_file: Path, body: str) -> None:
    test_file.write_text("version: 1\nassistant: assistant.yaml\n" + textwrap.dedent(body),
                         encoding="utf-8")


def gptkit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], test_file: Path,
           scripts: dict[str, list[Reply]]) -> None:
    """`gptkit test --record FILE -k NAME` for each case, each against a fake server (reached
    through OPENAI_BASE_URL) answering with the case's scripted replies."""
    for name, replies in scripts.items():
        with FakeOpenAI(list(replies)) as server, monkeypatch.context() as env:
            env.setenv("OPENAI_BASE_URL", server.url)
            env.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
            code, out, err = gptkit(capsys, "test", "--record", str(test_file), "-k", name)
        assert f"recorded {test_file.parent}" in out, out + err
