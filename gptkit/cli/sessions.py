"""``gptkit sessions list|show ID|delete ID``: the stored conversations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gptkit.cli.common import print_messages


def register(commands: Any) -> None:
    """Add the ``sessions`` subcommand."""
    parser = commands.add_parser(
        "sessions",
        help="list, show or delete stored conversations",
        description="The stored conversations, for a person to inspect and remove. "
        "Reads the default store ($GPTKIT_HOME/gptkit.db) unless --store or --file names another.",
    )
    parser.add_argument("action", choices=("list", "show", "delete"))
    parser.add_argument("id", nargs="?", metavar="ID", help="the session (show, delete)")
    parser.add_argument("--assistant", metavar="NAME", help="only this assistant's sessions")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--store", metavar="URL", help="sqlite:///path.db or postgresql://...")
    where.add_argument("--file", metavar="FILE", help="use the store of this assistant file")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Do the action."""
    from gptkit.memory.backends import open_store, sqlite_path

    if args.action != "list" and not args.id:
        print(f"gptkit sessions {args.action}: give the session ID")
        return 2
    # --store is typed by the person: it may name a file anywhere (relative to the current
    # folder). A store from --file obeys the assistant file's containment rule.
    url, root, named = args.store, Path.cwd(), args.store is not None
    if args.file:
        import gptkit

        config = gptkit.load(args.file)
        url, root = config.memory.store, config.project_root
    path = sqlite_path(url, project_root=root, named_by_user=named)
    if path is not None and not path.exists():  # reading never creates a database
        if named:
            print(f"gptkit sessions: error: there is no memory store at {path} (--store {url}); "
                  "check the path, or leave --store out to read the default store.",
                  file=sys.stderr)
            return 2
        if args.action == "list":
            print(f"no stored sessions in {path}")
            return 0
        print(f"gptkit sessions: no session {args.id!r} in {path}")
        return 1
    with open_store(url, project_root=root, named_by_user=named) as store:
        if args.action == "list":
            return _list(store, args.assistant)
        info = store.get_session(args.id)
        if info is None or (args.assistant and info.assistant != args.assistant):
            print(f"gptkit sessions: no session {args.id!r} in {store.description}")
            return 1
        if args.action == "delete":
            store.delete_session(args.id)
            print(f"deleted session {args.id} ({info.message_count} messages)")
            return 0
        print(f"session {info.id} · assistant {info.assistant} · user {info.user or '-'}")
        print(f"started {info.created_at:%Y-%m-%d %H:%M} UTC · last {info.updated_at:%Y-%m-%d %H:%M} UTC")
        summary = store.summary(args.id)
        if summary is not None:
            print(f"summary (through message {summary.through_seq}): {summary.text}")
        print_messages(store.messages(args.id))
    return 0


def _list(store: Any, assistant: str | None) -> int:
    sessions = store.list_sessions(assistant)
    if not sessions:
        print(f"no stored sessions in {store.description}")
        return 0
    print(f"{'SESSION':28} {'ASSISTANT':20} {'USER':12} {'MESSAGES':>8}  LAST")
    for info in sessions:
        print(f"{info.id:28} {info.assistant:20} {(info.user or '-'):12} "
              f"{info.message_count:>8}  {info.updated_at:%Y-%m-%d %H:%M}")
    return 0
