"""Entry point of the ``gptkit`` console script: global options and subcommand dispatch."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_API, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from gptkit import __version__
    from gptkit.cli import (
        chat,
        export,
        import_,
        init,
        render,
        run,
        schema,
        serve,
        sessions,
        validate,
    )

    parser = argparse.ArgumentParser(
        prog="gptkit",
        description="Custom GPT-style assistants as code: validate, render and run YAML "
        "assistant files.",
    )
    parser.add_argument("--version", action="version", version=f"gptkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    validate.register(commands)
    schema.register(commands)
    render.register(commands)
    run.register(commands)
    chat.register(commands)
    sessions.register(commands)
    init.register(commands)
    import_.register(commands)
    export.register(commands)
    serve.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("gptkit: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``gptkit validate | head``); that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_OK
    except Exception as exc:  # a bug: say so plainly, the traceback only on request
        if os.environ.get("GPTKIT_DEBUG") == "1":
            raise
        code = report_error(exc)
    return code


def report_error(exc: BaseException) -> int:
    """Print ``exc`` for a person (no traceback) and return its exit code."""
    from gptkit.errors import ConfigError, GptkitError, ProviderError, SetupError

    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            print(problem.describe(), file=sys.stderr)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"gptkit: error: {errors} error(s) in the assistant file; "
              "`gptkit validate` shows them all", file=sys.stderr)
        return EXIT_INPUT
    if isinstance(exc, GptkitError):
        print(f"gptkit: error: {exc}", file=sys.stderr)
        if isinstance(exc, SetupError):
            return EXIT_USAGE
        return EXIT_API if isinstance(exc, ProviderError) else EXIT_INPUT
    print(
        f"gptkit: internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in gptkit; run again with GPTKIT_DEBUG=1 to see where, "
        "and please report it.",
        file=sys.stderr,
    )
    return EXIT_INPUT


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
