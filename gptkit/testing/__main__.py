"""``python -m gptkit.testing serve``: run the fake OpenAI server in its own process.

Prints exactly one line, ``gptkit fake server on http://127.0.0.1:PORT/v1``, then serves until
killed (SIGTERM, SIGINT). Benchmarks run it this way so its CPU time is not counted with the
client's. ``--mode echo`` answers ``echo: <last user text>``; ``--mode tool-round`` calls the first
offered tool once per user message, then answers ``done``.
"""

from __future__ import annotations

import argparse
import signal
import sys

from gptkit.testing.script import MODES
from gptkit.testing.server import FakeOpenAI
from gptkit.testing.shapes import SHAPES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gptkit.testing",
                                     description="A fake OpenAI-compatible server for tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve on 127.0.0.1 until killed")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--mode", choices=sorted(MODES), default="echo",
                       help="what the server answers (default: echo)")
    serve.add_argument("--no-usage-in-stream", dest="usage_in_stream", action="store_false",
                       help="leave token usage out of streamed answers")
    serve.add_argument("--no-responses-api", dest="responses_api", action="store_false",
                       help="answer 404 to /v1/responses, like a Chat-Completions-only server")
    serve.add_argument("--api-key", default=None,
                       help="answer 401 unless requests carry 'Authorization: Bearer KEY'")
    serve.add_argument("--strict", choices=sorted(SHAPES), default=None,
                       help="refuse what this real server refuses (see gptkit.testing.shapes)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535 (0 picks a free port), not {args.port}")

    server = FakeOpenAI(args.mode, usage_in_stream=args.usage_in_stream,
                        responses_api=args.responses_api, api_key=args.api_key,
                        strict=args.strict, host=args.host, port=args.port)
    try:
        server.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
              f"Pick another --port, or leave it out to use a free one.", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"gptkit fake server on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
