"""The system prompt is rendered again only when what its template reads has changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import gptkit
from gptkit.prompts import render as render_module
from gptkit.prompts.render import Template


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates actually rendered (not given from the kept copy), by source name."""
    seen: list[str] = []
    original = render_module.Template._render

    def spy(self: Template, context: Any) -> str:
        seen.append(self.name)
        return original(self, context)

    monkeypatch.setattr(render_module.Template, "_render", spy)
    return seen


def _assistant(tmp_path: Path, instructions: str, long_term: bool = False) -> Path:
    path = tmp_path / "assistant.yaml"
    memory = "memory:\n  long_term: true\n" if long_term else ""
    path.write_text(
        "version: 1\nname: cached\ndescription: d\nmodel:\n  name: gpt-4o-mini\n"
        f"{memory}instructions: |\n  {instructions}\n"
    )
    return path


def test_a_constant_prompt_renders_once_per_session(tmp_path: Path, renders: list[str]) -> None:
    session = gptkit.Session(gptkit.load(_assistant(tmp_path, "You are {{ persona.name }}.")))
    first = [session.system_prompt() for _ in range(5)]
    assert first == [first[0]] * 5
    assert renders == ["instructions"]


def test_a_prompt_that_reads_the_clock_renders_when_it_changes(
    tmp_path: Path, renders: list[str]
) -> None:
    template = Template("Today is {{ now.date }}.", tmp_path)
    config = gptkit.load(_assistant(tmp_path, "x"))
    monday = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
    contexts = [
        render_module.Context(config, {}, now=monday + dt.timedelta(days=d)) for d in (0, 0, 1)
    ]
    out = [template.render(c.as_dict()) for c in contexts]
    assert out == ["Today is 2026-12-07.", "Today is 2026-12-07.", "Today is 2026-12-08."]
    assert len(renders) == 2


def test_a_new_fact_reaches_a_prompt_that_reads_memory(tmp_path: Path) -> None:
    source = _assistant(tmp_path, "Facts: {{ memory.facts|join(', ') }}", long_term=True)
    session = gptkit.Session(gptkit.load(source), user="ana")
    assert session.system_prompt() == "Facts: \n"
    session.memory.store.remember("cached", "ana", "likes tea")
    assert session.system_prompt() == "Facts: likes tea\n"


def test_a_prompt_without_memory_does_not_read_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = gptkit.Session(gptkit.load(_assistant(tmp_path, "Be brief.", long_term=True)))
    calls: list[str] = []
    monkeypatch.setattr(type(session.memory), "view", lambda self: calls.append("view"))
    assert session.system_prompt() == "Be brief.\n"
    assert calls == []


def test_an_include_counts_as_reading_everything(tmp_path: Path, renders: list[str]) -> None:
    (tmp_path / "part.j2").write_text("{{ user.id }}")
    template = Template("Hi {% include 'part.j2' %}", tmp_path)
    assert template.uses("memory")
    assert template.render({"user": {"id": "a"}}) == "Hi a"
    assert template.render({"user": {"id": "b"}}) == "Hi b"
    assert len(renders) == 2


def test_lipsum_is_never_kept(tmp_path: Path, renders: list[str]) -> None:
    template = Template("{{ lipsum(1, html=false, min=5, max=6) }}", tmp_path)
    template.render({})
    template.render({})
    assert len(renders) == 2


def test_equal_values_that_print_differently_render_again(tmp_path: Path) -> None:
    template = Template("{{ vars.n }}", tmp_path)
    assert [template.render({"vars": {"n": v}}) for v in (1, 1.0, True)] == ["1", "1.0", "True"]
