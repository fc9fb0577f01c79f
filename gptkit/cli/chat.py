"""``gptkit chat FILE``: an interactive conversation in the terminal.

The conversation is stored under a session id (printed at the start; ``--session ID`` resumes
it). Answers stream; tool activity shows on stderr. Ctrl-C cancels the turn in progress (nothing
of it is kept) and the chat goes on; Ctrl-D (or /exit) leaves. Line editing and input history
come from readline when the platform has it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gptkit.cli.common import (
    add_assistant_options,
    display_redactor,
    err,
    open_session,
    print_messages,
    refused_unasked,
    shorten,
    terminal_confirm,
    tool_line,
)

HELP = """Commands:
  /help        this list
  /reset       start a new conversation (a new session)
  /history     the messages of this conversation
  /memory      what the assistant remembers: long-term facts and the summary
  /forget N    forget fact number N of /memory
  /tools       the tools the assistant can call
  /usage       tokens and cost so far
  /exit        leave (or Ctrl-D)
Ctrl-C cancels the answer in progress."""


def register(commands: Any) -> None:
    """Add the ``chat`` subcommand."""
    parser = commands.add_parser(
        "chat",
        help="talk with an assistant in the terminal",
        description="An interactive conversation, stored as a session you can resume.",
    )
    add_assistant_options(parser, running=True)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the chat until Ctrl-D or /exit."""
    from gptkit.memory.ids import new_session_id

    resumed = args.session is not None
    if not resumed:
        args.session = new_session_id()
    if not args.replay:
        preload_client()
    confirm = terminal_confirm(args.yes)
    session = open_session(args, stream=not args.no_stream, confirm=confirm)
    chat = _Chat(session, args, confirm)
    try:
        return chat.loop(resumed)
    finally:
        session.close()


class _Chat:
    def __init__(self, session: Any, args: argparse.Namespace, confirm: Any = None) -> None:
        self.session = session
        self.args = args
        self.confirm = confirm
        self.facts: list[Any] = []
        self.redactor: Any = None

    def loop(self, resumed: bool) -> int:
        _enable_line_editing()
        session = self.session
        config = session.assistant
        stored = config.memory.policy != "none"
        print(": ".join(filter(None, (config.display_name or config.name, config.description))))
        if stored:
            count = len(session.history) if resumed else 0
            what = f"resumed, {count} messages" if resumed else "new"
            print(f"session {session.id} ({what}); resume it with --session {session.id}")
        else:
            print("memory.policy is none: this conversation is not kept")
        starters = list(config.conversation_starters)
        if not resumed:
            self.show_starters()
        print("/help for commands, Ctrl-D to leave.")
        first = True
        while True:
            try:
                line = input("you> ")
            except EOFError:
                print()
                return 0
            except KeyboardInterrupt:
                print("\n(Ctrl-D or /exit leaves)")
                continue
            text = line.strip()
            if not text:
                continue
            if first and starters and text.isdigit() and 1 <= int(text) <= len(starters):
                text = starters[int(text) - 1]
                print(f"you> {text}")
            if text.startswith("/"):
                done = self.command(text)
                if done == "exit":
                    return 0
                if done == "reset":  # a new conversation: its starters work again
                    first = True
                continue
            first = False
            self.turn(text)

    def turn(self, text: str) -> None:
        import asyncio
        import signal

        from gptkit.errors import GptkitError
        from gptkit.runtime.events import TextDelta, ToolFinished, ToolStarted

        printed: list[str] = []
        # A JSON answer is shown only once it is checked against output.schema: not streamed.
        streaming = self.session.assistant.output.format != "json"

        def on_event(event: Any) -> None:
            if isinstance(event, TextDelta):
                if not streaming:
                    return
                if not printed:
                    sys.stdout.write("assistant> ")
                printed.append(event.text)
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, (ToolStarted, ToolFinished)):
                if self.redactor is None:
                    self.redactor = display_redactor(self.session)
                err(tool_line(self.redactor, event))
                refused = (
                    refused_unasked(self.session, event, self.confirm)
                    if isinstance(event, ToolFinished) else None
                )
                if refused:
                    err(refused)

        async def guarded() -> Any:
            task = asyncio.ensure_future(self.session.asend(text, on_event))
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGINT, task.cancel)
            try:
                return await task
            except asyncio.CancelledError:
                return None
            finally:
                loop.remove_signal_handler(signal.SIGINT)

        try:
            answer = self.session._run(guarded())
        except GptkitError as exc:
            if printed:
                print()
            err(f"gptkit: error: {exc}")
            err("(this turn was not kept; try again)")
            return
        except BaseException:
            if printed:
                print()  # whatever comes next starts on a line of its own
            raise
        if answer is None:
            print()
            err("(cancelled: nothing of this turn was kept)")
            return
        if not printed:
            sys.stdout.write("assistant> " + answer.text)
        print()
        sys.stdout.flush()
        for warning in answer.warnings:
            err(f"gptkit: warning: {warning}")
        if answer.passages:
            from gptkit.cli.run import sources_block

            err(sources_block(answer.passages))

    def command(self, text: str) -> str | None:
        name, _, rest = text.partition(" ")
        session = self.session
        if name in ("/exit", "/quit"):
            return "exit"
        if name == "/help":
            print(HELP)
        elif name == "/reset":
            from gptkit.memory.ids import new_session_id

            session.reset(new_session_id())
            self.facts = []
            print(f"new conversation: session {session.id}")
            self.show_starters()
            return "reset"
        elif name == "/history":
            history = session.history
            if not history:
                print("(no messages yet)")
            print_messages(history)
        elif name == "/memory":
            self.show_memory()
        elif name == "/forget":
            self.forget(rest.strip())
        elif name == "/tools":
            tools = session.tools
            if not tools:
                print("(no tools)")
            for tool in tools.values():
                confirm = " (asks first)" if tool.confirm else ""
                print(f"  {tool.name}{confirm}: {shorten(tool.spec.description, 90)}")
        elif name == "/usage":
            usage = session.usage
            cost = "unknown" if session.cost_usd is None else f"about ${session.cost_usd:.6f}"
            print(f"tokens: {usage.input_tokens} in, {usage.output_tokens} out; cost {cost}")
        else:
            print(f"unknown command {name}; /help lists them")
        return None

    def show_starters(self) -> None:
        starters = self.session.assistant.conversation_starters
        if starters:
            print("Try one (type its number):")
            for i, starter in enumerate(starters, 1):
                print(f"  {i}. {starter}")

    def show_memory(self) -> None:
        config = self.session.assistant
        view = self.session.memory.view()
        if not config.memory.long_term:
            print("long-term memory is off for this assistant (memory.long_term)")
        else:
            self.facts = self.session.memory.store.facts(config.name, self.session.user)
            if not self.facts:
                print("no facts remembered yet")
            for i, fact in enumerate(self.facts, 1):
                print(f"  {i}. {fact.text}")
        if config.memory.policy == "summary":
            print(f"summary: {view.summary or '(none yet)'}")

    def forget(self, number: str) -> None:
        config = self.session.assistant
        if not config.memory.long_term:
            print("long-term memory is off for this assistant")
            return
        if not self.facts:
            self.facts = self.session.memory.store.facts(config.name, self.session.user)
        if not self.facts:
            print("no facts remembered yet: there is nothing to forget")
            return
        if not number.isdigit() or not 1 <= int(number) <= len(self.facts):
            print(f"/forget N: N is a fact number from /memory (1 to {len(self.facts)})")
            return
        fact = self.facts[int(number) - 1]
        self.session.memory.store.forget(config.name, self.session.user, fact.id)
        self.facts = []
        print(f"forgot: {fact.text}")


def preload_client() -> Any:
    """Import the API client in a daemon thread while the person types its first message.

    Importing ``openai`` is most of a first turn's CPU; done now, the first answer does not wait
    for it. An import another thread needs meanwhile simply waits for this one to finish.
    """
    import threading

    def load() -> None:
        try:
            import openai  # noqa: F401, TID251 - only chat warms it up; validate never runs this

            import gptkit.providers.client  # noqa: F401
        except Exception:  # noqa: S110 - the turn imports it again and reports what is wrong
            pass

    thread = threading.Thread(target=load, name="gptkit-preload", daemon=True)
    thread.start()
    return thread


def _enable_line_editing() -> None:
    """Line editing and a persistent input history, where readline exists."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    import atexit

    from gptkit.memory.store import default_home

    path = default_home() / "chat_history"
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)

    def save() -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError:
            pass

    atexit.register(save)
