"""``gptkit validate [PATH ...]``: check assistant files without calling any API."""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gptkit.loading import Report


def register(commands: Any) -> None:
    """Add the ``validate`` subcommand."""
    parser = commands.add_parser(
        "validate",
        help="check assistant files (no API call)",
        description="Check assistant files: YAML, schema, extends, templates, tools, secrets. "
        "Reports every problem in every file. Exit 0 when there are no errors, 1 when any.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders (searched for *.yaml and *.yml); default: .",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (default), json, or github workflow annotations",
    )
    parser.add_argument("--strict", action="store_true", help="count warnings as errors")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files or folders matching GLOB (repeatable)",
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="the project folder that tool modules, extends and includes must "
        "stay in (default: each file's folder)",
    )
    parser.add_argument(
        "--profile",
        choices=("custom-gpt", "m365"),
        help="also check the limits of a platform: custom-gpt or m365 (Microsoft 365)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate every file named by ``args``; print the report; return the exit code."""
    paths = args.paths or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        for path in missing:
            print(f"gptkit validate: no such file or folder: {path}", file=sys.stderr)
        return 2
    root = Path(args.root) if args.root else None
    if root is not None and not root.is_dir():
        print(f"gptkit validate: --root {args.root} is not a folder", file=sys.stderr)
        return 2
    from gptkit.cli.report import render_github, render_json, render_text

    with _fewer_collections():
        reports = _check_all(discover(paths, args.exclude), root)
    if getattr(args, "profile", None):
        from gptkit.lint.profiles import add_profile_problems

        add_profile_problems(reports, args.profile, root)
    if args.format == "json":
        out = render_json(reports, strict=args.strict)
    elif args.format == "github":
        out = render_github(reports, strict=args.strict)
    else:
        out = render_text(
            reports, strict=args.strict, color=_use_color(), sources=sys.stdout.isatty()
        )
    sys.stdout.write(out)
    sys.stdout.flush()
    failed = any(p.severity == "error" or args.strict for r in reports for p in r.problems)
    return 1 if failed else 0


def _check_all(files: list[Path], root: Path | None) -> list[Report]:
    """The report of every file that ``validate`` checks."""
    from gptkit.loading import check_file, file_kind

    reports: list[Report] = []
    for file in files:
        if file_kind(file) == "test":
            continue  # the test-suite schema arrives with `gptkit test`
        reports.append(check_file(file, root))
    return reports


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while checking files.

    Parsing YAML and templates makes many containers; reference counting frees nearly all of
    them, and what stays (reports, parsed tool modules) is not garbage. At the default threshold
    (700) the collector still runs hundreds of times over 1000 files, re-scanning what stays
    each time: about a tenth of the run, for almost nothing found.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 200_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def discover(paths: list[str], exclude: list[str]) -> list[Path]:
    """The files to check: named files as given, folders searched for YAML, sorted."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if not d.startswith(".") and not _excluded(Path(folder, d), exclude)
                )
                for file in sorted(files):
                    candidate = Path(folder, file)
                    if (
                        file.endswith((".yaml", ".yml"))
                        and not file.startswith(".")
                        and not _excluded(candidate, exclude)
                    ):
                        found.append(candidate)
        elif not _excluded(path, exclude):
            found.append(path)
    unique = dict.fromkeys(Path(os.path.normpath(p)) for p in found)
    return list(unique)


def _excluded(path: Path, patterns: list[str]) -> bool:
    text = os.path.normpath(path).replace(os.sep, "/")
    return any(
        fnmatch.fnmatch(text, pattern)
        or fnmatch.fnmatch(path.name, pattern)
        or fnmatch.fnmatch(text, pattern.rstrip("/") + "/*")
        for pattern in patterns
    )


def _use_color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")
