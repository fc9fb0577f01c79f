"""``gptkit import SOURCE [--from KIND] [-o DIR] [--force]``: bring an assistant over.

Prints what was carried over and, one line each, what was not; the written folder validates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

KINDS = ("gpt", "assistants-api", "prompty", "m365")


def register(commands: Any) -> None:
    """Add the ``import`` subcommand."""
    parser = commands.add_parser(
        "import",
        help="turn a custom GPT, an Assistants API object, a .prompty file or a Microsoft 365 "
        "agent into a gptkit project",
        description="Read SOURCE and write a gptkit project folder (assistant.yaml, the "
        "instructions as plain text, copied knowledge files and action schemas). Prints what "
        "was carried over and what was not. Refuses to replace a non-empty folder without "
        "--force.",
    )
    parser.add_argument("source", metavar="SOURCE", help="a file or folder to import")
    parser.add_argument("--from", dest="kind", choices=KINDS, metavar="KIND",
                        help="what SOURCE is: " + ", ".join(KINDS) + " (default: detected)")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="the folder to write (default: ./NAME, the assistant's id)")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR if it exists and is not empty")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Import, write, report."""
    from gptkit.formats import import_source
    from gptkit.formats.common import ImportFailed
    from gptkit.formats.writer import write

    source = Path(args.source)
    try:
        results = import_source(source, args.kind)
        if not results:
            raise ImportFailed(source, "data", "the list holds no assistant")
        if args.output:
            target = Path(args.output)
        else:
            target = Path(str(results[0].data["name"]) if len(results) == 1 else "imported")
        written = write(results, target, force=args.force)
    except ImportFailed as exc:
        print(f"gptkit import: error: {exc}", file=sys.stderr)
        return 1
    for result, path in zip(results, written, strict=True):
        print(f"imported {result.source} ({result.kind}) into {path}")
        for line in result.carried:
            print(f"  carried over: {line}")
        for line in result.lost:
            print(f"  not carried over: {line}")
        for line in result.warnings:
            print(f"  warning: {line}", file=sys.stderr)
    print(f"next: gptkit validate {target}")
    return 0
