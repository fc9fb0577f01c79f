"""Options shared by the commands that run an assistant (render, run, chat), and their setup."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_assistant_options(parser: argparse.ArgumentParser, *, running: bool) -> None:
    """FILE, --var, --user, --session, --root; and for running commands the model options."""
    parser.add_argument("file", metavar="FILE", help="the assistant file")
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE",
        help="a template variable (repeatable); converted to its declared type",
    )
    parser.add_argument("--user", default="local", metavar="ID", help="who is talking (default: local)")
    parser.add_argument("--session", metavar="ID", help="continue a stored conversation")
    parser.add_argument("--root", metavar="DIR", help="the project folder (default: the file's folder)")
    if not running:
        return
    parser.add_argument("--model", metavar="NAME", help="use this model instead of model.name")
    parser.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    parser.add_argument("--yes", action="store_true", help="answer yes to tools that ask for confirmation")
    cassette = parser.add_mutually_exclusive_group()
    cassette.add_argument("--record", metavar="CASSETTE", help="write every model exchange to CASSETTE")
    cassette.add_argument("--replay", metavar="CASSETTE", help="answer model calls from CASSETTE (no network)")


def open_session(args: argparse.Namespace, *, stream: bool = True, confirm: Any = None) -> Any:
    """Load FILE and start a session with the command line's options."""
    from pathlib import Path

    import gptkit
    from gptkit.prompts.variables import parse_assignments

    if not Path(args.file).is_file():  # a wrong command line, as for validate: exit 2
        err(f"gptkit {args.command}: no such file: {args.file}")
        raise SystemExit(2)
    variables = parse_assignments(args.var)
    config = gptkit.load(args.file, root=args.root)
    if config.memory.policy == "tokens":
        from gptkit.memory import tokens

        notice = tokens.take_notice()
        if notice:
            err(f"gptkit: note: {notice}")
    return gptkit.Session(
        config,
        variables=variables,
        user=args.user,
        session_id=args.session,
        model=getattr(args, "model", None),
        stream=stream,
        confirm=confirm,
        record=getattr(args, "record", None),
        replay=getattr(args, "replay", None),
        root=args.root,
    )


def terminal_confirm(yes: bool) -> Any:
    """The confirm callback: --yes allows; else ask on the terminal; with none, None (refuse)."""
    if yes:
        async def allow(name: str, arguments: dict) -> bool:
            return True

        return allow
    try:
        tty = open("/dev/tty", "r+", encoding="utf-8")  # noqa: SIM115 - kept for the run
    except OSError:
        return None

    async def ask(name: str, arguments: dict) -> bool:
        import asyncio

        def prompt() -> bool:
            tty.write(f"gptkit: allow {call_text(name, arguments)}? [y/N] ")
            tty.flush()
            return tty.readline().strip().lower() in ("y", "yes")

        return await asyncio.to_thread(prompt)

    return ask


def call_text(name: str, arguments: Any, limit: int = 120) -> str:
    """``get_weather(city="Porto")``: a tool call as a person reads it."""
    import json

    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return f"{name}({shorten(arguments, limit)})"
    if isinstance(arguments, dict):
        inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    else:
        inner = json.dumps(arguments, ensure_ascii=False)
    return f"{name}({shorten(inner, limit)})"


def print_messages(messages: Any) -> None:
    """A conversation as a person reads it: one line a message, tool calls and results short."""
    for message in messages:
        if message.role == "tool":
            print(f"  [tool {message.name}] {shorten(message.content, 100)}")
        elif message.tool_calls:
            calls = ", ".join(call_text(c.name, c.arguments, 60) for c in message.tool_calls)
            print(f"  assistant → {calls}")
        else:
            print(f"  {message.role}: {message.content}")


def shorten(text: str, limit: int = 120) -> str:
    """The first line of ``text``, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def err(text: str) -> None:
    """A line on stderr."""
    print(text, file=sys.stderr, flush=True)
