"""``gptkit test [PATH ...]``: run conversation tests (``*.test.yaml``), offline from cassettes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(commands: Any) -> None:
    """Add the ``test`` subcommand."""
    parser = commands.add_parser(
        "test",
        help="run conversation tests (*.test.yaml), offline from their cassettes",
        description="Run the cases of test files (*.test.yaml). Each case replays its own "
        "cassette (no network, no key) unless --record or --live says otherwise. One line per "
        "case, then 'N passed, M failed'. Exit 0 when every case passes, 1 when any fails.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="test files, or folders searched for *.test.yaml; default: .")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--record", action="store_true",
                      help="run against the model API and write each case's cassette")
    mode.add_argument("--live", action="store_true",
                      help="run against the model API, writing nothing")
    parser.add_argument("--format", choices=("text", "junit", "github", "json"), default="text",
                        help="text (default), junit (JUnit XML), github (workflow annotations) or json")
    parser.add_argument("-k", dest="patterns", action="append", default=[], metavar="PATTERN",
                        help="only the cases whose 'file::name' contains PATTERN (or matches it "
                        "as a glob); repeatable")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="run N cases at a time (default: 1)")
    parser.add_argument("--base-url", metavar="URL",
                        help="with --record or --live: the API's base URL (else as the "
                        "assistant file and OPENAI_BASE_URL say)")
    parser.add_argument("--model", metavar="NAME",
                        help="with --record or --live: use this model instead of model.name")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the selected cases; print the report; return the exit code."""
    from gptkit.errors import ConfigError
    from gptkit.testrun.report import (
        FileError,
        case_line,
        file_error_line,
        problem_lines,
        render_github,
        render_json,
        render_junit,
        summary,
    )
    from gptkit.testrun.runner import Mode, Runner
    from gptkit.testrun.suite import discover, load_suite, selected

    paths = args.paths or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        for path in missing:
            print(f"gptkit test: no such file or folder: {path}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"gptkit test: -j must be at least 1, not {args.jobs}", file=sys.stderr)
        return 2
    if (args.base_url or args.model) and not (args.record or args.live):
        print("gptkit test: --base-url and --model go with --record or --live (a replay "
              "answers from the cassettes)", file=sys.stderr)
        return 2
    files = discover(paths)
    if not files:
        print(f"gptkit test: no test files (*.test.yaml) in {', '.join(paths)}", file=sys.stderr)
        return 1
    errors: list[FileError] = []
    cases = []
    for file in files:
        try:
            suite = load_suite(file)
        except ConfigError as exc:
            bad = [p for p in exc.problems if p.severity == "error"]
            errors.append(FileError(file, bad[0].line if bad else 0, problem_lines(bad)))
            continue
        cases += [(suite, i) for i, case in enumerate(suite.spec.cases)
                  if selected(suite.case_id(case), args.patterns)]
    if not cases and not errors:
        print(f"gptkit test: no case matches -k {' -k '.join(args.patterns)}", file=sys.stderr)
        return 1
    mode: Mode = "record" if args.record else "live" if args.live else "replay"
    runner = Runner(mode, base_url=args.base_url, model=args.model)
    results = []
    text = args.format == "text"
    if text:
        for error in errors:
            print(file_error_line(error), flush=True)
    for result in runner.run(cases, jobs=args.jobs):
        results.append(result)
        if text:
            print(case_line(result), flush=True)
    if text:
        print(summary(results, errors))
    elif args.format == "junit":
        sys.stdout.write(render_junit(results, errors))
    elif args.format == "github":
        sys.stdout.write(render_github(results, errors))
    else:
        sys.stdout.write(render_json(results, errors))
    sys.stdout.flush()
    failed = errors or any(r.status == "failed" for r in results)
    return 1 if failed else 0
