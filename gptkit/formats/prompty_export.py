"""A gptkit assistant as a ``.prompty`` file (v1 front matter), for ``gptkit export --to prompty``.

Variables become ``inputs`` and ``{{ vars.NAME }}`` becomes ``{{NAME}}``; plain instructions
are wrapped in ``{% raw %}`` (Prompty renders Jinja), which import unwraps.
"""

from __future__ import annotations

import re
from typing import Any

_VAR = re.compile(r"\{\{-?\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")
_ROLE = re.compile(r"^[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t\r]*$", re.I | re.M)


def prompty_text(config: Any, text: str, lost: list[str]) -> str:
    """The ``.prompty`` file of ``config`` whose instructions are ``text``."""
    from gptkit.formats.writer import dump_yaml

    front: dict[str, Any] = {"name": config.name}
    if config.description:
        front["description"] = config.description
    model = config.model
    parameters: dict[str, Any] = {}
    for key, target in (("temperature", "temperature"), ("top_p", "top_p"),
                        ("max_output_tokens", "max_tokens"), ("seed", "seed")):
        value = getattr(model, key, None)
        if value is not None:
            parameters[target] = value
    front["model"] = {"api": "chat", "configuration": {"type": "openai", "name": model.name}}
    if parameters:
        front["model"]["parameters"] = parameters
    inputs: dict[str, Any] = {}
    for name, variable in config.variables.items():
        spec: dict[str, Any] = {"type": variable.type}
        if variable.description:
            spec["description"] = variable.description
        if variable.default is not None:
            spec["default"] = variable.default
        if variable.enum:
            lost.append(f"variables.{name}.enum: Prompty inputs have no enum; not exported")
        inputs[name] = spec
    if inputs:
        front["inputs"] = inputs
    if config.instructions_format == "plain":
        body = "{% raw %}" + text + "{% endraw %}"  # exact: braces and edge newlines kept
    else:
        body = _VAR.sub(lambda m: "{{" + m.group(1) + "}}", text)
        if "{%" in body or re.search(r"\{\{\s*(persona|assistant|now|tools|memory|user)\b", body):
            lost.append("instructions: gptkit template names other than vars.* have no Prompty "
                        "input; rewrite them")
    if _ROLE.search(text):
        lost.append("instructions: a line such as 'user:' starts a new message in Prompty; "
                    "check the exported file")
    yaml = dump_yaml(front, "Exported by gptkit export").split("\n", 1)[1]
    return f"---\n{yaml}---\nsystem:\n{body}\n\nuser:\n{{{{question}}}}\n"
