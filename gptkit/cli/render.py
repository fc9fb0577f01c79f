"""``gptkit render FILE [MESSAGE]``: what would be sent, with no API call.

Secrets are masked: a value substituted from a secret-named ``${VAR}`` (KEY, TOKEN, SECRET,
PASSWORD) and the API key print as ``***`` in text and JSON alike. ``run`` still sends the real
values to the model (that is what they are for); only what render shows a person is masked.
"""

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
        "--format json prints the request body itself, with MESSAGE as the user's message. "
        "Secret values print as ***.",
    )
    add_assistant_options(parser, running=False)
    parser.add_argument("message", nargs="?", metavar="MESSAGE",
                        help="the user's message of the request ('-' reads stdin)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json (the request body, secrets as ***)")
    parser.add_argument("--connect", action="store_true",
                        help="start the MCP servers to show their tools (stopped before exit)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the rendering."""
    message = args.message
    if message == "-":
        message = sys.stdin.read()
        message = message[:-1] if message.endswith("\n") else message
    session = open_session(args)
    try:
        if args.connect:
            session.connect()
        secrets = session.secrets
        if args.format == "json":
            body = _masked(session.request_body(message), secrets)
            json.dump(body, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
        sys.stdout.write(_mask(_text(session, message), secrets))
    finally:
        session.close()
    return 0


def _mask(text: str, secrets: Any) -> str:
    from gptkit.providers.errors import redact

    return redact(text, secrets)


def _masked(value: Any, secrets: Any) -> Any:
    """``value`` (a JSON body) with every secret inside its strings, keys included, as ***."""
    if isinstance(value, str):
        return _mask(value, secrets)
    if isinstance(value, dict):
        return {_masked(k, secrets): _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    return value


def _text(session: Any, message: str | None = None) -> str:
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
    unstarted = session.unconnected_servers()
    if unstarted:
        lines.append(f"(the tools of MCP server{'s' if len(unstarted) > 1 else ''} "
                     f"{', '.join(unstarted)} are not shown: --connect starts the servers to list them)")
    elif not specs:
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
    if message is not None:
        lines += ["", "# message", message]
    if config.output.format == "json":
        lines += ["", "# output", "JSON matching:",
                  json.dumps(config.output.schema_, indent=2, ensure_ascii=False)]
    return "\n".join(lines) + "\n"


def _tool(spec: Any) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "parameters": spec.parameters,
            "strict": spec.strict}
