"""``gptkit run FILE [MESSAGE]``: one turn; the answer on stdout, tool activity on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gptkit.cli.common import (
    add_assistant_options,
    call_text,
    err,
    open_session,
    shorten,
    terminal_confirm,
)


def register(commands: Any) -> None:
    """Add the ``run`` subcommand."""
    parser = commands.add_parser(
        "run",
        help="run one turn: a message in, an answer out",
        description="Send one message (the argument, or stdin when it is '-' or not a terminal); "
        "stream the answer to stdout; show tool calls on stderr.",
    )
    add_assistant_options(parser, running=True)
    parser.add_argument("message", nargs="?", metavar="MESSAGE", help="the message; '-' reads stdin")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout, no streaming")
    parser.set_defaults(handler=handle)


def read_message(args: argparse.Namespace) -> str | None:
    """MESSAGE, or stdin when it is '-' or stdin is not a terminal."""
    if args.message is not None and args.message != "-":
        return args.message
    if args.message == "-" or not sys.stdin.isatty():
        return sys.stdin.read()
    return None


def handle(args: argparse.Namespace) -> int:
    """Run one turn as the options say."""
    from gptkit.runtime.events import TextDelta, ToolFinished, ToolStarted

    message = read_message(args)
    if message is None or not message.strip():
        err("gptkit run: no message: give MESSAGE, or pipe it on stdin")
        return 2
    streaming = not (args.no_stream or args.json)
    session = open_session(args, stream=streaming, confirm=terminal_confirm(args.yes))
    printed: list[str] = []

    def on_event(event: Any) -> None:
        if isinstance(event, TextDelta):
            if streaming:
                sys.stdout.write(event.text)
                sys.stdout.flush()
                printed.append(event.text)
        elif isinstance(event, ToolStarted) and not args.json:
            err(f"→ {call_text(event.call.name, event.call.arguments)}")
        elif isinstance(event, ToolFinished) and not args.json:
            err(f"← {shorten(event.result, 100)}")

    try:
        answer = session.send(message, on_event)
        session.save_recording()
    finally:
        session.close()
    if args.json:
        json.dump(_json_result(session, answer), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not streaming:
        sys.stdout.write(answer.text)
        printed.append(answer.text)
    if printed and not "".join(printed).endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()
    err(_usage_line(answer))
    return 0


def _usage_line(answer: Any) -> str:
    if answer.usage is None:
        return "tokens: not reported by the server"
    line = f"tokens: {answer.usage.input_tokens} in, {answer.usage.output_tokens} out"
    if answer.cost_usd is not None:
        line += f", about ${answer.cost_usd:.6f}"
    return line


def _json_result(session: Any, answer: Any) -> dict[str, Any]:
    calls = []
    for finished in answer.tool_calls:
        try:
            arguments: Any = json.loads(finished.call.arguments)
        except ValueError:
            arguments = finished.call.arguments
        calls.append({
            "name": finished.call.name,
            "arguments": arguments,
            "result": None if finished.error else finished.result,
            "error": finished.result if finished.error else None,
        })
    usage = answer.usage
    return {
        "assistant": session.assistant.name,
        "session": session.id,
        "output": answer.output if answer.output is not None else answer.text,
        "tool_calls": calls,
        "usage": usage.to_dict() if usage else None,
        "cost_usd": answer.cost_usd,
    }
