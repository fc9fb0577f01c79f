"""Nesting bombs: a file nested deeper than the C composer can recurse is refused, not a crash.

30,000 ``[`` used to kill ``validate`` and ``render`` with a segmentation fault (exit 139),
losing every other file's report. The depth is now bounded before ruamel.yaml.clib composes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gptkit.config import yamlfile
from gptkit.config.yamlfile import MAX_DEPTH, SAFE_DEPTH, Document, parse_document

HEADER = "version: 1\nname: deep\nmodel: {name: gpt-4o-mini}\ninstructions: Hi.\n"
DEEP = 30_000


def _gptkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gptkit", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, env={"NO_COLOR": "1", "PATH": ""})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bomb.yaml").write_text("[" * DEEP)
    (tmp_path / "deep.yaml").write_text(HEADER + "x-a: " + "[" * DEEP + "]" * DEEP + "\n")
    (tmp_path / "block.yaml").write_text(HEADER + "x-b:\n  " + "- " * DEEP + "leaf\n")
    (tmp_path / "hot.yaml").write_text(
        "version: 1\nname: hot\nmodel: {name: gpt-4o-mini, temperature: hot}\ninstructions: Hi.\n")
    return tmp_path


def test_validate_reports_every_file_when_one_is_a_nesting_bomb(project: Path) -> None:
    result = _gptkit("validate", "bomb.yaml", "deep.yaml", "block.yaml", "hot.yaml", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    out = result.stdout
    too_deep = f"values are nested more than {MAX_DEPTH} levels deep [yaml-too-deep]"
    # The first value past the cap: the 66th '[' opens a list at depth 65.
    assert f"bomb.yaml:1:66: error: [0][0][0][0]...: {too_deep}" in out
    assert f"deep.yaml:5:70: error: x-a[0][0][0]...: {too_deep}" in out
    assert f"block.yaml:6:{3 + 2 * MAX_DEPTH}: error: x-b[0][0][0]...: {too_deep}" in out
    assert 'hot.yaml:3:41: error: model.temperature: expected a number, got "hot" [type]' in out
    assert out.endswith("4 errors, 0 warnings in 4 files\n")


def test_render_refuses_a_nesting_bomb_with_exit_1(project: Path) -> None:
    result = _gptkit("render", "deep.yaml", cwd=project)
    assert result.returncode == 1
    assert "deep.yaml:5:70: x-a[0][0][0]...: values are nested more than 64 levels" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bomb_on_a_small_thread_stack_is_refused(project: Path) -> None:
    """The Python API on a worker thread (a smaller stack than the main thread's)."""
    probe = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "from gptkit.loading import check_file\n"
        "threading.stack_size(512 * 1024)\n"
        "out = []\n"
        "t = threading.Thread(target=lambda: out.append(check_file(Path(sys.argv[1]))))\n"
        "t.start(); t.join()\n"
        "print([p.code for p in out[0].problems])\n"
    )
    for name in ("bomb.yaml", "block.yaml"):
        result = subprocess.run([sys.executable, "-c", probe, name], capture_output=True,
                                text=True, cwd=project, timeout=120)
        assert (result.returncode, result.stdout) == (0, "['yaml-too-deep']\n"), result.stderr


def test_nesting_just_under_the_cap_is_valid(tmp_path: Path) -> None:
    levels = MAX_DEPTH - 1  # x-a is at depth 1: its innermost list is at depth 64
    file = tmp_path / "ok.yaml"
    file.write_text(HEADER + "x-a: " + "[" * levels + "]" * levels + "\n" + "x-pad: [" +
                    ", ".join(["[]"] * SAFE_DEPTH) + "]\n")  # enough '[' to take the slow walk
    assert yamlfile._could_be_deep(file.read_text())
    result = _gptkit("validate", "ok.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "0 errors, 0 warnings in 1 file\n")


# -- The walk and the builder agree; the cheap test never misses a deep file -------------------

def _nested(draw: st.DrawFn, depth: int) -> str:
    """A YAML text nesting ``depth`` collections, in a random mix of flow and block styles."""
    lines: list[str] = []
    text, flow = "", False
    for level in range(depth):
        style = draw(st.sampled_from(["flow-seq", "flow-map", "block-seq", "block-map"]))
        if flow or style.startswith("flow"):
            text += "[" if style.endswith("seq") else f"{{k{level}: "
            flow = True
        elif style == "block-seq":
            text += "- "
        else:  # a key; its value starts on the next line, indented past the key
            lines.append(text + f"k{level}:")
            text = " " * (len(text) + draw(st.integers(1, 3)))
    closers = "".join("]" if c == "[" else "}" for c in reversed(
        [ch for ch in text if ch in "[{"]))
    lines.append(text + ("leaf" if not flow else "leaf" + closers))
    return "\n".join(lines) + "\n"


@st.composite
def nested_texts(draw: st.DrawFn) -> tuple[str, int]:
    depth = draw(st.integers(1, MAX_DEPTH + 8))
    return _nested(draw, depth), depth


@settings(max_examples=150, deadline=None)
@given(nested_texts())
def test_the_event_walk_reports_what_the_builder_reports(case: tuple[str, int]) -> None:
    text, _ = case
    built = Document(Path("f.yaml"), text=text)
    # Compose without the walk (this text is far too shallow to crash the composer).
    root = yamlfile._compose(text)
    try:
        yamlfile._Builder(built).build(root, (), 0)
    except yamlfile._Abort:
        pass
    walked = Document(Path("f.yaml"), text=text)
    refused = yamlfile._too_deep(walked)
    deep_built = [p for p in built.problems if p.code == "yaml-too-deep"]
    assert walked.problems == deep_built
    assert refused == bool(deep_built)


def _depth(text: str) -> int:
    """The deepest nesting of collections in ``text``, from the parser's events."""
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, StreamEndEvent

    parser = yamlfile._loader_class()(text)
    depth = deepest = 0
    try:
        while True:
            event = parser.get_event()
            if isinstance(event, StreamEndEvent):
                return deepest
            if isinstance(event, CollectionStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        parser.dispose()


@st.composite
def very_nested_texts(draw: st.DrawFn) -> str:
    return _nested(draw, draw(st.integers(SAFE_DEPTH, SAFE_DEPTH + 50)))


@settings(max_examples=60, deadline=None)
@given(very_nested_texts(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_the_cheap_test_flags_every_text_nested_past_the_safe_depth(text: str, brk: str) -> None:
    text = text.replace("\n", brk)
    assert _depth(text) >= SAFE_DEPTH
    assert yamlfile._could_be_deep(text)


def test_parse_document_refuses_before_composing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_compose(text: str) -> None:
        raise AssertionError("composed a nesting bomb")

    monkeypatch.setattr(yamlfile, "_compose", no_compose)
    doc = parse_document(Document(Path("b.yaml"), text="[" * DEEP))
    assert [(p.line, p.column, p.code) for p in doc.problems] == [(1, 66, "yaml-too-deep")]
