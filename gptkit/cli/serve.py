"""``gptkit serve PATH...``: the assistants as an OpenAI-compatible API and a web chat page.

Every assistant file found in PATH (files, or folders searched as ``gptkit validate`` does) is
served, its name as the model id. A file with errors stops the start with the validate report
(exit 1). starlette and uvicorn come with ``pip install 'gptkit[serve]'`` and are imported here
only, after the files are checked. See :mod:`gptkit.serve` for what is served.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

from gptkit.cli.common import err


def register(commands: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = commands.add_parser(
        "serve",
        help="serve assistants as an OpenAI-compatible API and a web chat page",
        description="Serve every assistant found in PATH (files or folders) over HTTP: the "
        "Chat Completions and Responses APIs (the model id is the assistant's name), "
        "/v1/models, /healthz, /openapi.json, and a web chat page at /. Binds to 127.0.0.1; "
        "anywhere else needs --api-key-env or --insecure-no-auth.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="assistant files, or folders searched for them")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000,
                        help="the port to listen on (default: 8000; 0 picks a free one)")
    parser.add_argument("--api-key-env", metavar="NAME",
                        help="require 'Authorization: Bearer KEY' where KEY is the value of "
                        "the environment variable NAME")
    parser.add_argument("--insecure-no-auth", action="store_true",
                        help="allow listening beyond this machine without an API key")
    parser.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                        help="let web pages from ORIGIN (https://host:port) call the API "
                        "(repeatable; default: none)")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="also answer requests whose Host header is NAME (repeatable; * for "
                        "any); localhost, 127.0.0.1, [::1] and the --host address always are")
    parser.add_argument("--max-body-bytes", type=int, default=1_000_000, metavar="N",
                        help="refuse request bodies over N bytes with 413 (default: 1000000)")
    parser.add_argument("--yes", action="store_true",
                        help="run tools marked confirm: true without asking (else they are "
                        "refused over the API, and the model is told so)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="the request log on stderr: text (default) or json, a line each")
    parser.add_argument("--root", metavar="DIR",
                        help="the project folder (default: each file's folder)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Check the files and the safety settings, then serve until Ctrl-C."""
    key = _api_key(args)
    if isinstance(key, int):
        return key
    if not 0 <= args.port <= 65535:
        err(f"gptkit serve: --port {args.port} is not a port (0 to 65535)")
        return 2
    if args.max_body_bytes < 1:
        err("gptkit serve: --max-body-bytes must be at least 1")
        return 2
    configs = _load(args)
    if isinstance(configs, int):
        return configs
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        err("gptkit serve needs starlette and uvicorn: pip install 'gptkit[serve]'")
        return 2
    from gptkit.serve.app import build_app
    from gptkit.serve.conversations import Assistants
    from gptkit.serve.options import ServeOptions

    options = ServeOptions(
        configs, host=args.host, port=args.port, api_key=key,
        cors_origins=list(args.cors_origin),
        allowed_hosts=list(args.allowed_host), max_body_bytes=args.max_body_bytes,
        yes=args.yes, log_format=args.log_format,
    )
    assistants = Assistants(options)
    assistants.open()  # the store, the API key: a failure stops the start (exit 1 or 2)
    listener = _listen(args.host, args.port)
    if isinstance(listener, int):
        return listener
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    names = ", ".join(sorted(assistants.by_name))
    err(f"gptkit serve: {len(configs)} assistant(s) ({names}) on http://{shown}:{port}/ "
        "(web chat at /, OpenAI-compatible API at /v1); Ctrl-C stops")
    _warn_about_reach(args, key)
    app = build_app(options, assistants)
    config = uvicorn.Config(app, access_log=False, log_level="warning", lifespan="on",
                            server_header=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def _api_key(args: argparse.Namespace) -> str | None | int:
    """The API key to require, None for none, or the exit code of a refused start."""
    from gptkit.serve.options import is_loopback

    if args.api_key_env:
        value = os.environ.get(args.api_key_env, "")
        if not value.strip():
            err(f"gptkit serve: --api-key-env {args.api_key_env}: that environment variable is "
                "not set (or empty); set it to the key clients must send")
            return 2
        return value.strip()
    if not is_loopback(args.host) and not args.insecure_no_auth:
        err(f"gptkit serve: --host {args.host} lets other machines in, so the server needs an "
            "API key: set one in an environment variable and pass --api-key-env NAME (or, on a "
            "network you trust, --insecure-no-auth)")
        return 2
    return None


def _warn_about_reach(args: argparse.Namespace, key: str | None) -> None:
    """Say what a start beyond this machine lets in."""
    from gptkit.serve.options import is_loopback, is_wildcard

    if is_loopback(args.host):
        return
    if key is None:
        err(f"gptkit serve: warning: listening on {args.host} without an API key "
            "(--insecure-no-auth): anyone who can reach it can use the assistants and their tools")
    if is_wildcard(args.host) and not args.allowed_host:
        err("gptkit serve: note: requests must name this server as localhost or 127.0.0.1 in "
            "their Host header; add --allowed-host NAME for each name other machines use")


def _load(args: argparse.Namespace) -> list[Any] | int:
    """The assistants of PATH, checked as validate checks them; an exit code when they fail."""
    from gptkit.cli.report import render_text
    from gptkit.cli.validate import _check_all, discover
    from gptkit.loading import file_kind

    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        for path in missing:
            err(f"gptkit serve: no such file or folder: {path}")
        return 2
    root = Path(args.root) if args.root else None
    if root is not None and not root.is_dir():
        err(f"gptkit serve: --root {args.root} is not a folder")
        return 2
    files = [f for f in discover(list(args.paths), []) if file_kind(f) == "assistant"]
    if not files:
        err("gptkit serve: no assistant file found in " + ", ".join(args.paths) + " (searched "
            "for *.yaml and *.yml, skipping hidden ones, partials named _*, tests and cassettes)")
        return 1
    reports = _check_all(files, root)
    if any(r.errors for r in reports):
        sys.stderr.write(render_text(reports, strict=False, color=False, sources=False,
                                     notices=[]))
        err("gptkit serve: not started: fix the errors above (gptkit validate shows them too)")
        return 1
    import gptkit

    configs = [gptkit.load(f, root=root) for f in files]
    seen: dict[str, Path] = {}
    for file, config in zip(files, configs, strict=True):
        if config.name in seen:
            err(f"gptkit serve: {file} and {seen[config.name]} are both named {config.name!r}; "
                "the name is the model id, so each served assistant needs its own")
            return 1
        seen[config.name] = file
    return configs


def _listen(host: str, port: int) -> socket.socket | int:
    """A listening socket on ``host:port``, or the exit code of a failure to bind."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except OSError as exc:
        err(f"gptkit serve: cannot listen on {host}:{port}: {exc.strerror or exc}")
        return 2
    listener.set_inheritable(True)
    return listener
