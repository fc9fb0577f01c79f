"""The shape of `type: mcp` entries: schema and models agree on any entry, validate never crashes
on one (and starts nothing), and a server's answer always converts to text for the model."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp_support import marker, processes_with
from pydantic import ValidationError

from gptkit.config.models import Assistant
from gptkit.config.schema_errors import validator
from gptkit.loading import check_file
from gptkit.tools.mcp import result_text

_BASE = {"version": 1, "name": "a", "model": {"name": "m"}, "instructions": ""}
_TRICKY = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 70), st.floats(allow_nan=False, width=32),
    st.text(max_size=12), st.sampled_from(["", "box", "a b", "http://x/mcp", "x.com/mcp", "..", "../..",
                                           "python", "./s.py", "/bin/sh", "ok_-", "a" * 65]),
    st.lists(st.sampled_from(["add", "", "x", 1]), max_size=3),
    st.dictionaries(st.sampled_from(["A", "1B", "X-Y", "k\nv", ""]),
                    st.one_of(st.text(max_size=8), st.integers()), max_size=2),
)
_KEYS = ["name", "command", "args", "env", "cwd", "url", "headers", "bearer_env", "include",
         "exclude", "prefix", "confirm", "timeout_s", "description", "strict", "nope"]


@st.composite
def mcp_entries(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "mcp", "name": "box"}
    entry[draw(st.sampled_from(["command", "url"]))] = draw(
        st.sampled_from(["python", "http://127.0.0.1:1/mcp"]))
    for key in draw(st.lists(st.sampled_from(_KEYS), max_size=5)):
        if draw(st.booleans()):
            entry.pop(key, None)
        else:
            entry[key] = draw(_TRICKY)
    return entry


def _model_accepts(doc: Any) -> bool:
    try:
        Assistant.model_validate(copy.deepcopy(doc))
    except ValidationError:
        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=mcp_entries())
def test_schema_and_models_agree_on_mcp_entries(entry: dict[str, Any]) -> None:
    doc = {**_BASE, "tools": [entry]}
    assert validator().is_valid(doc) == _model_accepts(doc), entry


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])
@given(entry=mcp_entries())
def test_validate_reports_problems_inside_the_file_and_starts_nothing(
    tmp_path: Path, entry: dict[str, Any]
) -> None:
    word = marker()
    if "command" in entry:
        entry["args"] = [word]
    path = tmp_path / "assistant.yaml"
    text = json.dumps({**_BASE, "tools": [entry]}, indent=1)  # JSON is YAML
    path.write_text(text)
    report = check_file(path)
    lines = text.count("\n") + 1
    for problem in report.problems:
        assert problem.code != "internal-error", problem.describe()
        assert 0 <= problem.line <= lines
    assert processes_with(word) == []


def test_a_clean_entry_validates_clean(tmp_path: Path) -> None:
    (tmp_path / "srv").mkdir()
    path = tmp_path / "assistant.yaml"
    path.write_text(json.dumps({**_BASE, "tools": [
        {"type": "mcp", "name": "box", "command": "python", "args": ["s.py"], "cwd": "srv",
         "env": {"A": "1"}, "include": ["x"], "prefix": "box_", "timeout_s": 3},
        {"type": "mcp", "name": "web", "url": "https://example.com/mcp",
         "headers": {"X-Team": "docs"}, "bearer_env": "WEB_TOKEN", "confirm": True},
    ]}))
    assert check_file(path).problems == []


class _Block:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class _Result:
    def __init__(self, content: list[Any], structured: Any = None) -> None:
        self.content, self.structured_content = content, structured


_BLOCKS = st.one_of(
    st.builds(lambda t: _Block(type="text", text=t), st.text(max_size=20)),
    st.builds(lambda m: _Block(type="image", mime_type=m), st.text(max_size=8)),
    st.builds(lambda u: _Block(type="resource_link", uri=u), st.text(max_size=8)),
    st.builds(lambda t, u: _Block(type="resource", resource=_Block(text=t, uri=u)),
              st.one_of(st.none(), st.text(max_size=8)), st.text(max_size=8)),
    st.builds(lambda k: _Block(type=k), st.text(max_size=6)),
)
_JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                     lambda inner: st.dictionaries(st.text(max_size=4), inner, max_size=3),
                     max_leaves=8)


@given(blocks=st.lists(_BLOCKS, max_size=5), structured=st.one_of(st.none(), _JSON))
def test_any_result_becomes_text(blocks: list[Any], structured: Any) -> None:
    text = result_text(_Result(blocks, structured))
    assert isinstance(text, str)
    for block in blocks:
        if block.type == "text":
            assert block.text in text
    if structured is not None and not any(
        b.type in ("text", "image", "audio", "resource", "resource_link") for b in blocks
    ):
        assert json.loads(text) == structured
