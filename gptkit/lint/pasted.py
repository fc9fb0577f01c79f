"""Hints for instructions that were pasted from elsewhere (a GPT editor, a Prompty file).

Real prompts hold ``{{``, ``{%`` and ``}}`` as literal text: fill-in slots, JSX, JSON skeletons.
Read as Jinja they fail with parser jargon, or pass and print a Python dict. These checks add a
hint to such problems (mark the text plain, or use ``{% raw %}``) and warn about ``{{ user }}``.
Only regular expressions over the text: nothing is parsed twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

PLAIN_HINT = (
    "if this text is a pasted prompt, not a template, add 'instructions_format: plain' "
    "(it is then sent exactly as written); or wrap the literal braces in "
    "{% raw %}...{% endraw %}"
)

# Signs that the text was written as a gptkit template: a statement tag, or a context lookup.
_TEMPLATE_USE = re.compile(
    r"\{%-?\s*(?:if|for|set|include|import|from|macro|raw|block|filter|with)\b"
    r"|\{\{-?\s*(?:assistant|persona|vars|now|tools|memory|user)\s*[.\[|]"
)
_UNDEFINED = re.compile(r"^the template uses '([^']+)', which the context does not provide$")

#: What to print instead of each whole context object.
_FIELDS = {
    "assistant": "{{ assistant.name }}",
    "persona": "{{ persona.name }}, {{ persona.role }}",
    "vars": "{{ vars.NAME }}",
    "now": "{{ now.date }}, {{ now.iso }}",
    "tools": "{% for t in tools %}{{ t.name }}{% endfor %}",
    "memory": "{{ memory.facts | join(', ') }}, {{ memory.summary }}",
    "user": "{{ user.id }}",
}
_WHOLE = re.compile(r"\{\{-?\s*(" + "|".join(_FIELDS) + r")\s*-?\}\}")


def looks_pasted(source: str) -> bool:
    """Whether ``source`` shows no sign of being written as a gptkit template."""
    return _TEMPLATE_USE.search(source) is None


def pasted_hint(source: str, code: str, message: str) -> str | None:
    """A better hint for a template problem of ``source``, or None to keep the usual one."""
    if code == "template-syntax":
        return PLAIN_HINT if looks_pasted(source) else None
    if code != "template-undefined":
        return None
    found = _UNDEFINED.match(message)
    if found is None:
        return None
    name = found.group(1)
    if f"{{{{{name}}}}}" not in source:  # {{firstName}}: the Prompty and Handlebars spelling
        return None
    return (
        f"declare it under 'variables:' and write {{{{ vars.{name} }}}} "
        "(template inputs are vars.NAME); if the braces are literal text, "
        "add 'instructions_format: plain'"
    )


def whole_objects(source: str) -> Iterator[tuple[int, str, str, str]]:
    """``(line, code, message, hint)`` for each ``{{ user }}``-like print of a whole object."""
    if "{{" not in source:
        return
    for found in _WHOLE.finditer(source):
        name = found.group(1)
        line = source.count("\n", 0, found.start()) + 1
        yield (
            line,
            "template-whole-object",
            f"'{found.group(0)}' prints the whole {name} object (a Python dict or list), not text",
            f"write {_FIELDS[name]}; if the braces are literal text, add "
            "'instructions_format: plain' or wrap them in {% raw %}...{% endraw %}",
        )
