"""``gptkit run FILE [MESSAGE]``: one turn; the answer on stdout, tool activity on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, cast

from gptkit.cli.common import (
    add_assistant_options,
    display_redactor,
    err,
    open_session,
    refused_unasked,
    terminal_confirm,
    tool_line,
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
    """MESSAGE, or stdin when it is '-' or stdin is not a terminal (one trailing newline off)."""
    if args.message is not None and args.message != "-":
        return cast(str, args.message)  # argparse gives positionals as str
    if args.message == "-" or not sys.stdin.isatty():
        return strip_newline(sys.stdin.read())
    return None


def strip_newline(text: str) -> str:
    """``text`` without one trailing line break: what ``echo "..." |`` adds is not the message."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def handle(args: argparse.Namespace) -> int:
    """Run one turn as the options say."""
    from gptkit.runtime.events import TextDelta, ToolFinished, ToolStarted

    message = read_message(args)
    if message is None or not message.strip():
        err("gptkit run: no message: give MESSAGE, or pipe it on stdin")
        return 2
    confirm = terminal_confirm(args.yes)
    session = open_session(args, stream=not (args.no_stream or args.json), confirm=confirm)
    # A JSON answer is shown only once it is checked against output.schema: it is not streamed.
    streaming = session.streaming and session.assistant.output.format != "json"
    printed: list[str] = []
    redactor = None

    def on_event(event: Any) -> None:
        nonlocal redactor
        if isinstance(event, TextDelta):
            if streaming:
                sys.stdout.write(event.text)
                sys.stdout.flush()
                printed.append(event.text)
        elif isinstance(event, (ToolStarted, ToolFinished)) and not args.json:
            if redactor is None:
                redactor = display_redactor(session)
            err(tool_line(redactor, event))
            refused = refused_unasked(session, event, confirm) if isinstance(event, ToolFinished) else None
            if refused:
                err(refused)

    try:
        answer = session.send(message, on_event)
        session.save_recording()
    except KeyboardInterrupt:
        if not end_line(printed) and sys.stderr.isatty():
            sys.stderr.write("\n")  # after the terminal's ^C
        raise
    except BaseException:
        end_line(printed)  # an error starts on a line of its own
        raise
    finally:
        session.close()
    for warning in answer.warnings:
        err(f"gptkit: warning: {warning}")
    if args.json:
        json.dump(_json_result(session, answer), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not streaming:
        sys.stdout.write(answer.text)
        printed.append(answer.text)
    end_line(printed)
    sys.stdout.flush()
    if answer.passages:
        err(sources_block(answer.passages))
    err(_usage_line(answer))
    return 0


def sources_block(passages: list[Any]) -> str:
    """``Sources:`` and one line per knowledge passage the model was given."""
    lines = ["Sources:"]
    lines.extend(f"  [{n}] {p.citation}" for n, p in enumerate(passages, start=1))
    return "\n".join(lines)


def end_line(printed: list[str]) -> bool:
    """End a partly printed answer's line on stdout; whether there was one to end."""
    if printed and not "".join(printed).endswith("\n"):
        sys.stdout.write("\n")
        sys.stdout.flush()
        printed.append("\n")
        return True
    return False


def _usage_line(answer: Any) -> str:
    if answer.usage is None:
        return "tokens: not reported by the server"
    line = f"tokens: {answer.usage.input_tokens} in, {answer.usage.output_tokens} out"
    if answer.cost_usd is not None:
        line += f", about ${answer.cost_usd:.6f}"
    return line


def _json_result(session: Any, answer: Any) -> dict[str, Any]:
    calls = []
    redactor = display_redactor(session) if answer.tool_calls else None
    for finished in answer.tool_calls:
        assert redactor is not None  # built above whenever there are tool calls
        raw = redactor.json_text(finished.call.arguments)  # secrets hidden, as on stderr
        try:
            arguments: Any = json.loads(raw)
        except ValueError:
            arguments = raw
        result = redactor(finished.result)
        calls.append({
            "name": finished.call.name,
            "arguments": arguments,
            "result": None if finished.error else result,
            "error": result if finished.error else None,
        })
    usage = answer.usage
    return {
        "assistant": session.assistant.name,
        "session": session.id,
        "output": answer.output if answer.output is not None else answer.text,
        "tool_calls": calls,
        "usage": usage.to_dict() if usage else None,
        "cost_usd": answer.cost_usd,
        "warnings": list(answer.warnings),
        "passages": [p.to_dict() for p in answer.passages],
    }
