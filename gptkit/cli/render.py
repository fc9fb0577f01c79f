"""``gptkit render FILE``: what would be sent, with no API call."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gptkit.cli.common import add_assistant_options, open_session


def register(commands: Any) -> None:
    """Add the ``render`` subcommand."""
    parser = commands.add_parser(
        "render",
        help="show the system prompt, tools and settings that would be sent (no API call)",
        description="Render the assistant's prompt and show what a run would send. "
        "--format json prints the request body itself.",
    )
    add_assistant_options(parser, running=False)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json (the exact request body)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the rendering."""
    session = open_session(args)
    try:
        if args.format == "json":
            json.dump(session.request_body(), sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
        sys.stdout.write(_text(session))
    finally:
        session.close()
    return 0


def _text(session: Any) -> str:
    config = session.assistant
    settings = config.model
    provider = session.provider
    params = {
        key: getattr(settings, key)
        for key in ("temperature", "top_p", "max_output_tokens", "seed", "reasoning_effort")
        if getattr(settings, key) is not None
    }
    params.update(settings.extra)
    lines = [
        "# model",
        f"{session.model} over {'the Responses API' if settings.api == 'responses' else 'Chat Completions'}"
        f" at {provider.endpoint.base_url}",
    ]
    if params:
        lines.append(", ".join(f"{k}: {json.dumps(v)}" for k, v in params.items()))
    lines += ["", "# system prompt", session.system_prompt().rstrip("\n"), "", "# tools"]
    specs = [t.spec for t in session.tools.values()]
    if specs:
        lines.append(json.dumps([_tool(s) for s in specs], indent=2, ensure_ascii=False))
    else:
        lines.append("(none)")
    memory = config.memory
    policy = {
        "none": "none: every run starts empty",
        "window": f"window: the last {memory.max_messages} messages",
        "tokens": f"tokens: as many recent messages as fit {memory.max_tokens} tokens",
        "summary": "summary: older messages folded into a running summary",
    }[memory.policy]
    lines += ["", "# memory", f"policy {policy}"]
    if session.id and memory.policy != "none":
        included = session.context_messages()
        lines.append(f"session {session.id}: {len(session.history)} stored messages, "
                     f"{len(included)} would be sent")
    else:
        lines.append("no session: no past messages are sent")
    view = session.memory.view()
    if memory.long_term:
        facts = "; ".join(view.facts) if view.facts else "(none yet)"
        lines.append(f"facts about user {session.user}: {facts}")
    if view.summary:
        lines.append(f"summary: {view.summary}")
    if config.output.format == "json":
        lines += ["", "# output", "JSON matching:",
                  json.dumps(config.output.schema_, indent=2, ensure_ascii=False)]
    return "\n".join(lines) + "\n"


def _tool(spec: Any) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "parameters": spec.parameters,
            "strict": spec.strict}
