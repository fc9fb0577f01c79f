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
    from gptkit.config.problems import Problem
    from gptkit.loading import Report


def register(commands: Any) -> None:
    """Add the ``validate`` subcommand."""
    parser = commands.add_parser(
        "validate",
        help="check assistant files (no API call)",
        description="Check assistant files: YAML, schema, extends, templates, tools, secrets. "
        "Reports every problem in every file. A folder with no assistant file in it is a "
        "warning. Exit 0 when there are no errors, 1 when any (with --strict, warnings count "
        "as errors).",
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

    found = {name: discover([name], args.exclude) for name in paths}
    with _fewer_collections():
        reports = _check_all(
            list(dict.fromkeys(f for files in found.values() for f in files)), root
        )
    notices = _empty_folders(found)
    if getattr(args, "profile", None):
        from gptkit.lint.profiles import add_profile_problems

        add_profile_problems(reports, args.profile, root)
    if args.format == "json":
        out = render_json(reports, strict=args.strict, notices=notices)
    elif args.format == "github":
        out = render_github(reports, strict=args.strict, notices=notices)
    else:
        out = render_text(
            reports,
            strict=args.strict,
            color=_use_color(),
            sources=sys.stdout.isatty(),
            notices=notices,
        )
    sys.stdout.write(out)
    sys.stdout.flush()
    problems = [p for r in reports for p in r.problems] + notices
    failed = any(p.severity == "error" or args.strict for p in problems)
    return 1 if failed else 0


def _empty_folders(found: dict[str, list[Path]]) -> list[Problem]:
    """A warning for each folder named (or ``.``) that holds no assistant file to check.

    ``gptkit validate emptydir`` passing with "0 files" hides a wrong path in a CI job. Named
    files are checked as they are: a hook that passes only a changed partial is not warned.
    """
    from gptkit.config.problems import Problem
    from gptkit.loading import file_kind

    notices = []
    for name, files in found.items():
        if os.path.isdir(name) and not any(file_kind(f) == "assistant" for f in files):
            notices.append(
                Problem(
                    Path(name),
                    0,
                    0,
                    "",
                    "no-assistant-file",
                    "no assistant file found in this folder (searched for *.yaml and *.yml, "
                    "skipping hidden ones, partials named _*, tests and cassettes)",
                    "name an assistant file or a folder that holds one, or check --exclude",
                    severity="warning",
                )
            )
    return notices


def _check_all(files: list[Path], root: Path | None) -> list[Report]:
    """The report of every file that ``validate`` checks."""
    from gptkit.loading import check_file

    reports: list[Report] = []
    for file in files:
        try:
            reports.append(check_file(file, root))
        except Exception as exc:  # a bug on one file must not hide the other files' reports
            if os.environ.get("GPTKIT_DEBUG") == "1":
                raise
            reports.append(_internal_error(file, exc))
    return reports


def _internal_error(file: Path, exc: Exception) -> Report:
    """The report of a file that gptkit failed to check: an error, so the exit code is 1."""
    from gptkit.config.problems import Problem
    from gptkit.loading import Report, file_kind

    problem = Problem(
        file,
        0,
        0,
        "",
        "internal-error",
        f"gptkit failed while checking this file: {type(exc).__name__}: {exc}",
        "this is a bug in gptkit; run again with GPTKIT_DEBUG=1 to see where, and report it",
    )
    return Report(file, file_kind(file), [problem])


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
