"""``gptkit export FILE --to gpt|m365|prompty [-o DIR] [--force]``: publish an assistant to a platform."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    """Add the ``export`` subcommand."""
    parser = commands.add_parser(
        "export",
        help="write an assistant for a platform: a custom GPT or a Microsoft 365 agent",
        description="Write FILE's assistant as what a platform takes: gpt (instructions.md, "
        "gpt.json, knowledge and actions to paste into the GPT editor) or m365 "
        "(declarativeAgent.json and instruction.txt). Checks the platform's limits first and "
        "reports every field the target cannot hold.",
    )
    parser.add_argument("file", metavar="FILE", help="the assistant file")
    parser.add_argument("--to", dest="target", choices=("gpt", "m365", "prompty"), required=True,
                        help="the platform: gpt, m365 or prompty")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="the folder to write (default: ./NAME-TARGET)")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR if it exists and is not empty")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Export, write, report."""
    from gptkit.formats.common import ImportFailed
    from gptkit.formats.export import export, write_export

    path = Path(args.file)
    if not path.is_file():
        print(f"gptkit export: no such file: {path}", file=sys.stderr)
        return 2
    try:
        out = export(path, args.target)
        target = Path(args.output) if args.output else Path(f"{path.parent.resolve().name}-{args.target}")
        write_export(out, target, force=args.force)
    except ImportFailed as exc:
        print(f"gptkit export: error: {exc}", file=sys.stderr)
        return 1
    print(f"exported {path} ({args.target}) into {target}")
    for name in [*out.files, *out.copies]:
        print(f"  wrote: {name}")
    for line in out.lost:
        print(f"  not exported: {line}")
    return 0
