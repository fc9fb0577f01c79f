"""``gptkit schema [KIND]``: print a published JSON Schema."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    """Add the ``schema`` subcommand."""
    from gptkit.config.names import SCHEMA_KINDS as KINDS

    parser = commands.add_parser(
        "schema",
        help="print the JSON Schema of assistant files or cassettes",
        description="Print a JSON Schema. The files under schemas/ are exactly this output.",
    )
    parser.add_argument(
        "kind",
        nargs="?",
        default="assistant",
        choices=KINDS,
        help="which schema (default: assistant)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the schema of ``args.kind``."""
    from gptkit.config.schema import render

    sys.stdout.write(render(args.kind))
    return 0
