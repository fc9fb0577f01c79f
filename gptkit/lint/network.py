"""Checks of network tools (``type: openapi`` and ``type: http``), without network or code.

For an ``openapi`` entry the OpenAPI file is read and converted as a run would (nothing is
connected to), and each of its problems is reported at its line *in the OpenAPI file*:
not OpenAPI 3 (Swagger 2.0, no ``openapi`` key), broken ``$ref``s, a missing operationId,
duplicate tool names after the mapping, operations that go non-strict and why, GPT Actions'
limits, and a server URL without a scheme. With the ``openapi`` extra installed, the file is
also checked by openapi-spec-validator (its findings are warnings: a run does not need them
fixed); without it, a warning says so once per file.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.paths import inside
from gptkit.config.problems import Problem, format_location
from gptkit.config.yamlfile import YPath

MAX_VALIDATOR_PROBLEMS = 10
MAX_TOOLS = 128  # the most functions one Chat Completions or Responses request may offer


def check_network(composed: Composed) -> None:
    """Check every openapi and http entry of ``composed``'s tools."""
    tools = composed.data.get("tools")
    if not isinstance(tools, list):
        return
    names = {
        t["name"]: i for i, t in enumerate(tools) if isinstance(t, dict) and isinstance(t.get("name"), str)
    }
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            continue
        path: YPath = ("tools", index)
        _check_headers(composed, tool, path)
        if tool.get("type") == "openapi":
            _check_openapi(composed, tool, path, names)
        elif tool.get("type") == "http":
            _check_http(composed, tool, path)
    if len(names) > MAX_TOOLS:
        composed.problem(("tools",), "too-many-tools",
                         f"the tools add up to {len(names)}; the OpenAI API takes at most "
                         f"{MAX_TOOLS} in one request",
                         "offer fewer: list the operations you need in operations:",
                         severity="warning", at_key=True)


def _check_headers(composed: Composed, tool: dict[str, Any], path: YPath) -> None:
    headers = tool.get("headers")
    if not isinstance(headers, dict):
        return
    for name, value in headers.items():
        if any(c in str(name) + str(value) for c in "\r\n\0"):
            composed.problem((*path, "headers", name), "header-value",
                             f"the header '{str(name).strip()}' holds a line break",
                             "a header value is one line; remove the line break")


def _check_http(composed: Composed, tool: dict[str, Any], path: YPath) -> None:
    import re

    url = tool.get("url")
    parameters = tool.get("parameters")
    if not isinstance(url, str):
        return
    props = parameters.get("properties") if isinstance(parameters, dict) else None
    required = parameters.get("required") if isinstance(parameters, dict) else None
    for placeholder in re.findall(r"{([^}/]+)}", url):
        if not isinstance(props, dict) or placeholder not in props:
            composed.problem((*path, "url"), "http-placeholder",
                             f"the URL has {{{placeholder}}}, which parameters does not define",
                             f"add '{placeholder}' to parameters.properties and required")
        elif not isinstance(required, list) or placeholder not in required:
            composed.problem((*path, "url"), "http-placeholder",
                             f"the URL has {{{placeholder}}}, which parameters does not require",
                             f"add '{placeholder}' to parameters.required")


def _check_openapi(
    composed: Composed, tool: dict[str, Any], path: YPath, names: dict[str, int]
) -> None:
    from gptkit.tools.openapi.document import usable_url
    from gptkit.tools.openapi.operations import read_spec

    name = tool.get("spec")
    if not isinstance(name, str) or not name:
        return
    spec_file = inside(composed.path.parent, name, composed.root)
    if spec_file is None:
        composed.problem((*path, "spec"), "path-outside", f"'{name}' leads outside the project folder",
                         "keep the OpenAPI file inside the project, named relative to this file")
        return
    if not spec_file.is_file():
        composed.problem((*path, "spec"), "missing-file", f"the OpenAPI file '{name}' does not exist")
        return
    prefix: str = tool["prefix"] if isinstance(tool.get("prefix"), str) else ""
    operations = tool.get("operations")
    select = [o for o in operations if isinstance(o, str)] if isinstance(operations, list) else None
    spec = read_spec(spec_file, prefix=prefix, select=select, strict=tool.get("strict", True) is True)
    composed.problems.extend(spec.file.document.problems)

    def report(where: YPath, code: str, message: str, hint: str | None, severity: Any) -> None:
        line, column = spec.file.line(where)
        composed.problems.append(Problem(spec_file, line, column, format_location(where), code,
                                         message, hint, severity))

    for issue in spec.issues:
        if issue.code == "openapi-operation" and issue.path == ():
            composed.problem((*path, "operations"), issue.code, issue.message, issue.hint,
                             severity=issue.severity)
            continue
        report(issue.path, issue.code, issue.message, issue.hint, issue.severity)
    if not spec.file.usable:
        return
    if "server" not in tool:
        if spec.server is None:
            report(spec.server_where, "openapi-server", "the file names no server URL",
                   "add servers: [{url: https://...}] to the file, or server: to the tool", "error")
        elif not usable_url(spec.server):
            report(spec.server_where, "openapi-server",
                   f"the server URL '{spec.server}' is not an absolute http:// or https:// URL",
                   "write the scheme and host (https://api.example.com), or set server: on the tool",
                   "error")
    clashes = [op.name for op in spec.operations if op.name in names]
    if clashes:
        line = composed.node(("tools", names[clashes[0]])).line
        shown = ", ".join(clashes[:5]) + (f" and {len(clashes) - 5} more" if len(clashes) > 5 else "")
        composed.problem((*path, "spec"), "duplicate-tool",
                         f"operations of {name} have the names of other tools: {shown}",
                         f"the first other is at line {line}; set prefix: on this tool, or "
                         "choose operations:")
    for operation in spec.operations:
        names.setdefault(operation.name, path[1] if isinstance(path[1], int) else 0)
    if any(i.code == "openapi-ref" for i in spec.issues):
        return  # the validator would stop at the same reference
    _full_check(spec.file, report, composed.mode)


def _full_check(file: Any, report: Any, mode: str) -> None:
    """openapi-spec-validator's findings, from a child process (``validate`` only).

    The validator and what it imports (pydantic, jsonschema-path) take about a second to load
    and are the API client's libraries, which ``validate`` never loads: a child process runs
    it, once per file and content.
    """
    if mode != "validate":
        return  # a run needs only gptkit's own checks; the full check is validate's
    import importlib.util

    if importlib.util.find_spec("openapi_spec_validator") is None:
        report((), "openapi-validator-missing",
               "only gptkit's own checks were made on this OpenAPI file",
               "install the openapi extra (pip install 'gptkit[openapi]') for the full check",
               "warning")
        return
    found = _validated(file.version, json.dumps(file.data, default=str))
    if found is None:
        report((), "openapi-invalid", "openapi-spec-validator could not check the file", None,
               "warning")
        return
    for where, message in found:
        report(tuple(where), "openapi-invalid", f"not valid OpenAPI {file.version}: {message}",
               "gptkit can still use the file; other tools may not", "warning")


_CHILD = f"""
import json, sys
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
validator = {{"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}}[sys.argv[1]]
found = []
try:
    for error in validator(json.load(sys.stdin)).iter_errors():
        if len(found) >= {MAX_VALIDATOR_PROBLEMS}:
            break
        where = [p for p in getattr(error, "absolute_path", ()) or ()]
        found.append([where, str(getattr(error, "message", error)).split("\\n", 1)[0][:160]])
except Exception as exc:
    found.append([[], "the validator failed: " + type(exc).__name__])
print(json.dumps(found))
"""


@functools.lru_cache(maxsize=64)
def _validated(version: str, text: str) -> list[tuple[list[Any], str]] | None:
    import subprocess
    import sys

    try:
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, version], input=text, capture_output=True, text=True,
            timeout=120,
        )
        found = json.loads(result.stdout)
        return [(list(where), str(message)) for where, message in found]
    except (OSError, ValueError, TypeError, subprocess.SubprocessError):
        return None
