"""The render budget holds for every filter, method and operator, on any thread.

Each template below once got past the 1,000,000-character or 2-second budget (or crashed). They
are rendered in a child process whose address space is capped, on the main thread and on a
worker thread; each must end with the budget's RenderError, not a MemoryError, a hang or an
internal error. No timing is asserted: the child's generous timeout only bounds a hang.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SIZE = "over the size budget"
TIME = "rendering took over 2 s"

BYPASSES = [
    ("{{ ''|center(3000000000) }}", SIZE),
    ("{{ 'x'|indent(3000000000) }}", SIZE),
    ("{{ 'a\nb\nc'|indent('x' * 900000, true) }}", SIZE),
    ("{{ '%3000000000s' % 'x' }}", SIZE),
    ("{{ '%.3000000000f' % 1.5 }}", SIZE),
    ("{{ '%*s' % (3000000000, 'x') }}", SIZE),
    ("{{ ('%(a)s' * 1000) % {'a': 'x' * 1000000} }}", SIZE),
    ("{{ '{:>3000000000}'.format(1) }}", SIZE),
    ("{{ '{:.3000000000f}'.format(1.0) }}", SIZE),
    ("{{ '{x:>3000000000}'.format_map({'x': 1}) }}", SIZE),
    ("{{ ('{0}' * 1000).format('x' * 1000000) }}", SIZE),
    ("{{ ('{:>3000000000}'|safe).format(1) }}", SIZE),
    ("{{ '{0.__class__}'.format_map({}) }}", "format_map(): a numbered field such as {0} has no"),
    ("{{ '{a.__class__}'.format_map({}) }}", "format_map(): no value for the field 'a'"),
    ("{{ 'x'.ljust(3000000000) }}", SIZE),
    ("{{ 'x'.rjust(3000000000) }}", SIZE),
    ("{{ 'x'.center(3000000000) }}", SIZE),
    ("{{ 'x'.zfill(3000000000) }}", SIZE),
    ("{{ '\t\t'.expandtabs(3000000000) }}", SIZE),
    ("{{ [1] * 3000000000 }}", SIZE),
    ("{{ ['x' * 1000000] * 1000000 }}", SIZE),
    ("{{ ('x' * 1000000).join(['a'] * 1000) }}", SIZE),
    ("{{ (['x' * 1000000] * 1)|join('y' * 1000000) ~ '' }}", SIZE),
    ("{{ ['x' * 999999, 'y' * 999999]|join }}", SIZE),
    ("{{ ('x' * 999999)|replace('x', 'yyyyy') }}", SIZE),
    ("{{ ('x' * 999999).replace('', 'yyyyy') }}", SIZE),
    ("{{ (10 ** 900)|replace('', 'y' * 999999) }}", SIZE),
    ("{{ 'a b c d'|wordwrap(1, wrapstring='x' * 999999) }}", SIZE),
    ("{{ '%3000000000s'|format('x') }}", SIZE),
    ("{{ [1]|batch(3000000000, 0)|list }}", SIZE),
    ("{{ [1]|slice(3000000000)|list }}", SIZE),
    ("{{ [[1]]|tojson(indent=3000000000) }}", SIZE),
    ("{{ 'x'.translate({120: 'y' * 999999}) ~ 'x'.translate({120: 'y' * 999999}) }}", SIZE),
    ("{{ (1).to_bytes(3000000000, 'big') }}", SIZE),
    ("{{ lipsum(3000000000) }}", SIZE),
    ("{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
     "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", SIZE),
    ("{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
     "{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}{% endfor %}", SIZE),
    ("{% set ns = namespace(l=['x' * 1000000]) %}{% for i in range(40) %}"
     "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}", SIZE),
    ("{{ (['x' * 1000000] * 1000)|sort|first }}", SIZE),
    ("{{ [['x'] * 1000000] * 1000|sum(start=[]) }}", SIZE),
    ("{{ range(100000)|map('string')|map('center', 999999)|list|length }}", SIZE),
    ("{{ range(100000)|map('string')|map('center', 999999)|join }}", SIZE),
    ("{% for x in range(100000)|map('string')|map('center', 999999) %}{{ loop.length }}"
     "{% endfor %}", SIZE),
    ("{% set ns = namespace(l=['x' * 999999]) %}{% for i in range(30) %}"
     "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ('x' * 999999) ~ '' in ns.l }}", SIZE),
    ("{{ (10 ** 1000) ** 1000 }}", "over the number size budget"),
    ("{% set ns = namespace(x=10 ** 1000) %}{% for i in range(40) %}"
     "{% set ns.x = ns.x * ns.x %}{% endfor %}", "over the number size budget"),
    ("{{ 10|round(-3000000000) }}", "precision over 1000"),
    ("{% set x = range(100000)|list %}{% for a in x %}{% for b in x %}{% endfor %}{% endfor %}",
     TIME),
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", TIME),
    ("{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% else %}x{% endif %}{% endmacro %}"
     "{{ m(40) }}", TIME),
]

CHILD = textwrap.dedent("""
    import json, resource, sys, threading
    from pathlib import Path

    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
    from gptkit.errors import RenderError
    from gptkit.prompts.render import Template

    def render_all(out):
        for source in json.loads(sys.argv[2]):
            try:
                Template(source, Path(".")).render({"vars": {}})
                out.append("rendered")
            except RenderError as exc:
                out.append("RenderError: " + str(exc))
            except BaseException as exc:
                out.append("other: " + type(exc).__name__ + ": " + str(exc)[:200])

    results = []
    if sys.argv[1] == "thread":
        worker = threading.Thread(target=render_all, args=(results,))
        worker.start()
        worker.join()
    else:
        render_all(results)
    print(json.dumps(results))
""")


@pytest.fixture(scope="module", params=["main", "thread"])
def outcomes(request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    sources = [source for source, _ in BYPASSES]
    result = subprocess.run(
        [sys.executable, "-c", CHILD, request.param, json.dumps(sources)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return request.param, dict(zip(sources, json.loads(result.stdout), strict=True))


@pytest.mark.parametrize(("source", "expected"), BYPASSES, ids=[s[:48] for s, _ in BYPASSES])
def test_each_bypass_ends_with_the_budget_error(
    outcomes: tuple[str, dict[str, str]], source: str, expected: str
) -> None:
    _, found = outcomes
    assert found[source].startswith("RenderError: instructions: ")
    assert expected in found[source]


@pytest.mark.parametrize("source", [
    "{{ 'x'|center(9) }}|{{ 'a\nb'|indent(2) }}|{{ '%5s' % 'x' }}|{{ '{:>4}'.format(1) }}",
    "{{ [1, 2]|join(', ') }}|{{ 'a-b'|replace('-', '+') }}|{{ 'ab'|wordwrap(1) }}",
    "{{ [1, 2, 3]|batch(2, 0)|list }}|{{ [1, 2, 3]|slice(2)|list }}|{{ {'a': 1}|tojson(2) }}",
    "{{ '%(a)s-%(b)d'|format(a='x', b=2) }}|{{ '{a}'.format_map({'a': 1}) }}|{{ 'x' ~ 1 }}",
    "{% for i in range(3) %}{{ loop.index }}{% endfor %}|{{ 3.14159|round(2) }}|{{ 2 ** 10 }}",
    "{% for x in [1, [2, [3]]] recursive %}{% if x is iterable %}{{ loop(x) }}{% else %}"
    "{{ x }}-{{ loop.depth }}{% endif %}{% endfor %}|{% for x in [] %}a{% else %}none{% endfor %}",
    "{% for x in range(5) if x is odd %}{{ x }}/{{ loop.length }}{{ loop.cycle('a', 'b') }}"
    "{% endfor %}|{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}",
    "{% macro m(a) %}<{{ a }}{{ caller() }}>{% endmacro %}{% call m(1) %}in{% endcall %}"
    "{% filter upper %}abc{% endfilter %}{% set s %}{{ 'x' ~ 1 ~ none }}{% endset %}{{ s }}",
    "{{ [{'a': 1}]|map(attribute='a')|list }}{{ 'x,y'.split(',') }}{{ ', '.join(['a', 'b']) }}"
    "{{ 'a-b'.replace('-', '+') }}{{ 'x'.ljust(3) }}|{{ '%5.2f' % 3.14159 }}{{ [1] + [2] }}",
])
def test_ordinary_templates_still_render(source: str, tmp_path: object) -> None:
    from pathlib import Path

    from gptkit.prompts.render import Template

    plain_env_output = _plain(source)
    assert Template(source, Path(str(tmp_path))).render({}) == plain_env_output


def _plain(source: str) -> str:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(keep_trailing_newline=True, undefined=StrictUndefined)
    return env.from_string(source).render()
