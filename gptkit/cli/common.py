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

    path = Path(args.file)
    if not path.is_file():  # a wrong command line, as for validate: exit 2
        if path.is_dir():
            err(f"gptkit {args.command}: {args.file} is a folder; give one assistant file in it "
                "(gptkit validate checks a whole folder)")
        else:
            err(f"gptkit {args.command}: no such file: {args.file}")
        raise SystemExit(2)
    variables = parse_assignments(args.var)
    config = gptkit.load(args.file, root=args.root)
    if args.session and config.memory.policy == "none" and args.command == "run":
        err(f"gptkit: warning: memory.policy is none, so session {args.session} keeps nothing: "
            "this turn starts empty and is not stored (set memory.policy to keep conversations)")
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
    """The confirm callback: --yes allows; else ask on the terminal; with none, None (refuse).

    The terminal is ``/dev/tty``, not stdin: a message piped to ``run`` still gets its question
    asked. It is one unbuffered descriptor, read when the event loop sees a line typed: a
    terminal cannot seek (so no ``"r+"`` text file can be opened on it), and a question
    cancelled by Ctrl-C leaves no reader behind to take the person's next line.
    """
    if yes:
        async def allow(name: str, arguments: dict[str, Any]) -> bool:
            return True

        return allow
    import os

    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None

    async def ask(name: str, arguments: dict[str, Any]) -> bool:
        import asyncio

        os.write(tty, f"gptkit: allow {call_text(name, arguments)}? [y/N] ".encode())
        loop = asyncio.get_running_loop()
        typed: asyncio.Future[bytes] = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(tty, 4096)  # a terminal hands over one whole line
            except OSError:
                data = b""
            if not typed.done():
                typed.set_result(data)

        try:
            loop.add_reader(tty, readable)
        except (OSError, ValueError):  # a selector that cannot watch a terminal (macOS kqueue)
            answer = await asyncio.to_thread(os.read, tty, 4096)
        else:
            try:
                answer = await typed
            finally:
                loop.remove_reader(tty)
        if not answer.endswith(b"\n"):
            os.write(tty, b"\n")  # Ctrl-D: end the question's line
        return answer.decode("utf-8", "replace").strip().lower() in ("y", "yes")

    return ask


def refused_unasked(session: Any, event: Any, confirm: Any) -> str | None:
    """The stderr line for a ``confirm: true`` tool refused because nobody could be asked."""
    tool = session.tools.get(event.call.name)
    if confirm is not None or not event.error or tool is None or not tool.confirm:
        return None
    return (
        f"gptkit: {event.call.name} asks for confirmation and there is no terminal to ask on, "
        "so it did not run; run gptkit in a terminal, or pass --yes to allow it"
    )


def display_redactor(session: Any) -> Any:
    """What hides secrets in tool lines on stderr: the memory redactor's rules, API keys always."""
    from gptkit.memory.redact import Redactor

    rules = ["api_key", *(r for r in session.assistant.memory.redact if r != "api_key")]
    return Redactor(rules, literals=session.secrets)


def tool_line(redactor: Any, event: Any) -> str:
    """``→ book(city="Porto")`` or ``← result``: a tool event on stderr, secrets hidden."""
    from gptkit.runtime.events import ToolStarted

    if isinstance(event, ToolStarted):
        return f"→ {call_text(event.call.name, redactor.json_text(event.call.arguments))}"
    return f"← {shorten(redactor(event.result), 100)}"


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
