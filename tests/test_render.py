"""Rendering and variables: the sandbox's budgets, the template context, --var conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gptkit
from gptkit.errors import RenderError, UsageError
from gptkit.prompts.render import Template
from gptkit.prompts.variables import convert, parse_assignments, resolve_variables


@pytest.mark.parametrize(("source", "message"), [
    ('{{ "a" * 10**9 }}', "over the size budget"),
    ("{{ 10 ** 100000 }}", "exponent over 1000"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
     "rendering took over 2 s"),
    ("{% for a in range(100000) %}{% for b in range(100) %}xxxxxxxxxxxxxxxx{% endfor %}{% endfor %}",
     "over 1,000,000 characters"),
    ("{{ ().__class__.__mro__ }}", "unsafe"),
    ("{{ vars.nope }}", "has no attribute 'nope'"),
    ("{{ missing }}", "'missing' is undefined; declare it under 'variables'"),
    ("{% include '../../etc/passwd' %}", "../../etc/passwd"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
])
def test_templates_fail_within_their_budgets(source: str, message: str, tmp_path: Path) -> None:
    template = Template(source, tmp_path)
    with pytest.raises(RenderError, match=None) as caught:
        template.render({"vars": {}})
    assert message in str(caught.value)


def test_a_template_syntax_error_says_where(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"instructions:2: template syntax error"):
        Template("ok\n{% if %}", tmp_path)


def test_includes_come_from_the_assistant_folder(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "rules.j2").write_text("Be brief, {{ user.id }}.")
    assert Template("{% include 'parts/rules.j2' %}", tmp_path).render({"user": {"id": "ana"}}) == (
        "Be brief, ana.")


def test_values_are_data_and_never_rendered_again(tmp_path: Path) -> None:
    template = Template("Hi {{ vars.name }}", tmp_path)
    assert template.render({"vars": {"name": "{{ 7 * 7 }}"}}) == "Hi {{ 7 * 7 }}"


def test_the_context_of_format_md() -> None:
    config = gptkit.load(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
    session = gptkit.Session(config, variables={"who": "Rui"})
    assert session.system_prompt() == "You help Rui with sums. Tools: add slow_echo book calculator meet \n"


@given(st.integers())
def test_integers_convert_exactly(value: int) -> None:
    assert convert(str(value), "integer") == value
    assert convert(f"  {value} ", "integer") == value


@given(st.text(max_size=20))
def test_conversion_either_gives_the_declared_type_or_a_clear_error(text: str) -> None:
    for kind, expected in (("integer", int), ("number", float), ("boolean", bool), ("string", str)):
        try:
            value = convert(text, kind)
        except ValueError as exc:
            assert str(exc).startswith("expected")
        else:
            assert type(value) is expected


def test_resolve_reports_every_problem_at_once() -> None:
    config = gptkit.load(Path(__file__).parents[1] / "examples" / "variables" / "assistant.yaml")
    with pytest.raises(UsageError) as caught:
        resolve_variables(config.variables, {"level": "guru", "max_words": "many", "colour": "red"})
    text = str(caught.value)
    assert "--var level=guru: expected one of beginner, intermediate, expert" in text
    assert "--var max_words=many: expected an integer" in text
    assert "no variable 'colour'" in text
    assert "variable 'audience' is required: give it with --var audience=VALUE" in text
    values = resolve_variables(config.variables, {"audience": "kids", "use_emoji": "yes"})
    assert values == {"audience": "kids", "level": "beginner", "max_words": 150,
                      "creativity": 0.5, "use_emoji": True}


def test_assignments_need_a_name_and_an_equals_sign() -> None:
    assert parse_assignments(["a=1", "b==2", "c="]) == {"a": "1", "b": "=2", "c": ""}
    with pytest.raises(UsageError, match="expected NAME=VALUE"):
        parse_assignments(["novalue"])


@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=40), st.text(max_size=30))
def test_a_streamed_secret_never_gets_through_however_it_is_split(cuts: list[int], noise: str) -> None:
    from gptkit.providers.errors import StreamRedactor

    key = "sk-test-SECRET-0123456789"
    text = f"{noise}{key}{noise}sk-test-{key}"
    redactor, out, i, n = StreamRedactor([key]), "", 0, 0
    while i < len(text):
        step = cuts[n % len(cuts)]
        out += redactor.feed(text[i:i + step])
        i, n = i + step, n + 1
    out += redactor.flush()
    assert key not in out
    assert out == text.replace(key, "***")


def test_the_rendered_context_is_what_validate_knows_of() -> None:
    from gptkit.prompts.context import CONTEXT
    from gptkit.prompts.render import Context

    config = gptkit.load(Path(__file__).parent / "projects" / "runner" / "assistant.yaml")
    rendered = Context(config, {}).as_dict()
    assert set(rendered) == set(CONTEXT)
    for name, attributes in CONTEXT.items():
        if attributes is not None:
            assert set(rendered[name]) == attributes, name
