"""``gptkit init [NAME]``: write a new assistant that validates and runs."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

ASSISTANT = """\
# yaml-language-server: $schema=assistant.schema.json
# A new assistant. Try it:
#   gptkit validate {name}/
#   gptkit render {name}/assistant.yaml
#   gptkit chat {name}/assistant.yaml
# The format: version 1 of the gptkit assistant file (`gptkit schema` prints its JSON Schema).
version: 1
name: {name}
description: A helpful assistant with a word-count tool.

model:
  name: gpt-4o-mini
  api: chat                      # or responses
  api_key_env: OPENAI_API_KEY    # the NAME of the variable holding your key
  temperature: 0.5

persona:
  name: Robin
  role: writing assistant
  tone: friendly and concise

instructions: |
  You are {{{{ persona.name }}}}, a {{{{ persona.role }}}}. Be {{{{ persona.tone }}}}.
  Today is {{{{ now.date }}}}. Write for {{{{ vars.audience }}}}.
  {{% if memory.facts %}}What you know about the user:
  {{% for fact in memory.facts %}}- {{{{ fact }}}}
  {{% endfor %}}{{% endif %}}
  Use count_words when the user asks about the length of a text.

variables:
  audience:
    type: string
    default: a general audience
    description: Who the answers are written for.

conversation_starters:
  - How many words are in this paragraph?
  - Make this sentence shorter

tools:
  - name: count_words
    type: python
    function: {module}:count_words
  - name: current_time
    type: builtin

memory:
  policy: window
  max_messages: 20
  long_term: true
"""

TOOLS = '''\
"""Tools of the {name} assistant: plain Python functions; gptkit reads their type hints."""


def count_words(text: str) -> dict:
    """Count the words, sentences and characters of a text.

    Args:
        text: The text to measure.
    """
    sentences = [s for s in text.replace("!", ".").replace("?", ".").split(".") if s.strip()]
    return {{"words": len(text.split()), "sentences": len(sentences), "characters": len(text)}}
'''


def register(commands: Any) -> None:
    """Add the ``init`` subcommand."""
    parser = commands.add_parser(
        "init",
        help="write a new assistant (a folder with assistant.yaml and a tool module)",
        description="Write NAME/assistant.yaml, NAME/<name>_tools.py and the JSON Schema for "
        "editors. Refuses to overwrite existing files.",
    )
    parser.add_argument("name", nargs="?", default="my-assistant", metavar="NAME",
                        help="the assistant's name and folder (default: my-assistant)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write the files."""
    from gptkit.config.names import NAME_PATTERN
    from gptkit.config.schema import render

    name = args.name
    if not re.match(NAME_PATTERN, name):
        print(f"gptkit init: {name!r} is not a valid assistant name: lowercase letters, digits, "
              "'-' and '_', starting with a letter or digit", file=sys.stderr)
        return 2
    folder = Path(name)
    module = name.replace("-", "_") + "_tools"
    files = {
        folder / "assistant.yaml": ASSISTANT.format(name=name, module=module),
        folder / f"{module}.py": TOOLS.format(name=name),
        folder / "assistant.schema.json": render("assistant"),
    }
    existing = [str(p) for p in files if p.exists()]
    if existing:
        print(f"gptkit init: not overwriting {', '.join(existing)}", file=sys.stderr)
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {folder}/assistant.yaml, {folder}/{module}.py and {folder}/assistant.schema.json "
          "(the JSON Schema editors use to check and complete assistant.yaml)")
    print(f"next: gptkit validate {folder}/ && gptkit chat {folder}/assistant.yaml")
    return 0
