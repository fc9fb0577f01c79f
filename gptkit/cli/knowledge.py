"""``gptkit knowledge FILE index|search QUERY|status``: build, query and inspect the index of an
assistant's knowledge files; how a person debugs retrieval."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gptkit.cli.common import err


def register(commands: Any) -> None:
    """Add the ``knowledge`` subcommand and its three actions."""
    parser = commands.add_parser(
        "knowledge",
        help="index, search and inspect an assistant's knowledge files",
        description="Build the index of the files named under knowledge:, show the ranked "
        "passages for a query with their scores, or list the files and their state.",
    )
    parser.add_argument("file", metavar="FILE", help="the assistant file")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    for name, text in (
        ("index", "index the files that changed, and say what was done"),
        ("search", "the ranked passages for QUERY, with scores"),
        ("status", "each file and its state: indexed, changed, new, missing, unreadable"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        if name == "search":
            action.add_argument("query", metavar="QUERY", help="what to look for")
            action.add_argument(
                "--top-k", type=int, metavar="N", help="how many passages (default: knowledge.top_k)"
            )
        action.add_argument("--json", action="store_true", help="one JSON object on stdout")
        action.add_argument("--root", metavar="DIR", help="the project folder (default: the file's folder)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the action on FILE's knowledge."""
    from pathlib import Path

    import gptkit

    path = Path(args.file)
    if not path.is_file():
        if path.is_dir():
            err(f"gptkit knowledge: {args.file} is a folder; give the assistant file whose "
                "knowledge: to use")
        else:
            err(f"gptkit knowledge: no such file: {args.file}")
        return 2
    config = gptkit.load(path, root=args.root)
    if config.knowledge is None:
        err(f"gptkit knowledge: {args.file} has no knowledge: section; add one with files: [...]")
        return 1
    if args.action == "search" and args.top_k is not None and not 1 <= args.top_k <= 1000:
        err("gptkit knowledge search: --top-k must be between 1 and 1000")
        return 2
    # a session, for the model's endpoint: embeddings go through it (nothing else is called)
    session = gptkit.Session(config, root=args.root)
    knowledge = session.knowledge
    assert knowledge is not None
    try:
        if args.action == "index":
            return _index(session, knowledge, args.json)
        if args.action == "search":
            return _search(session, knowledge, args.query, args.top_k, args.json)
        return _status(knowledge, args.json)
    finally:
        session.close()


def _index(session: Any, knowledge: Any, as_json: bool) -> int:
    report = knowledge.sync()
    warnings = session._run(knowledge.aprepare())
    if as_json:
        _print_json({
            "indexed": report.indexed,
            "unchanged": report.unchanged,
            "removed": report.removed,
            "passages_written": report.chunks,
            "passages": knowledge.index.count(),
            "unreadable": {n: r for n, r in sorted(report.unreadable.items())},
            "warnings": warnings,
        })
    else:
        for name in report.indexed:
            print(f"indexed   {name}")
        for name in report.removed:
            print(f"removed   {name}")
        print(
            f"{len(report.indexed)} file(s) indexed, {report.unchanged} unchanged, "
            f"{knowledge.index.count()} passage(s) in the index"
        )
        for warning in warnings:
            err(f"gptkit: warning: {warning}")
    return 1 if warnings else 0


def _search(session: Any, knowledge: Any, query: str, top_k: int | None, as_json: bool) -> int:
    warnings = session._run(knowledge.aprepare())
    passages = session._run(knowledge.asearch(query, top_k))
    if as_json:
        _print_json({"query": query, "passages": [p.to_dict() for p in passages]})
        return 0
    if not passages:
        print("no passage matches")
    for rank, passage in enumerate(passages, start=1):
        print(f"[{rank}] {passage.score:.4g}  {passage.citation}")
        for line in passage.text.splitlines()[:6]:
            print(f"    {line[:200]}")
    for warning in warnings:
        err(f"gptkit: warning: {warning}")
    return 0


def _status(knowledge: Any, as_json: bool) -> int:
    states = knowledge.status()
    if as_json:
        _print_json({"files": [{"file": s.name, "state": s.state, "detail": s.detail} for s in states]})
    else:
        width = max((len(s.state) for s in states), default=7)
        for state in states:
            detail = f"  ({state.detail})" if state.detail else ""
            print(f"{state.state:<{width}}  {state.name}{detail}")
    return 1 if any(s.state == "unreadable" for s in states) else 0


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
