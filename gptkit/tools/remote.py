"""Building network tools from their entries: ``type: openapi`` (one per operation) and ``http``.

The OpenAPI file is found relative to the assistant file and must stay inside the project; a
file that cannot be used (not OpenAPI 3, broken ``$ref``, no usable server URL) is a
:class:`~gptkit.errors.ToolError` naming the tool entry, the file and the line, and what to do.
Warnings (non-strict operations, GPT Actions' limits) are ``validate``'s to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from gptkit.config.models import Assistant, HttpTool, OpenAPITool
from gptkit.config.paths import inside
from gptkit.config.strict import NotStrict, strict_rewrite
from gptkit.errors import ToolError
from gptkit.tools.base import Tool, ToolSpec
from gptkit.tools.http import HttpCaller
from gptkit.tools.network import EndpointTool, OperationTool
from gptkit.tools.openapi.document import usable_url
from gptkit.tools.openapi.operations import read_spec


def spec_path(entry: OpenAPITool, folder: Path, root: Path | None) -> Path:
    """The OpenAPI file of ``entry``, kept inside the project; ToolError when it leaves it."""
    found = inside(folder, entry.spec, root)
    if found is None:
        raise ToolError(
            f"openapi tool ({entry.spec}): the spec path must be relative and stay inside the "
            "project folder. Move the file into the project and name it relative to the "
            "assistant file."
        )
    return found


def openapi_tools(
    entry: OpenAPITool,
    config: Assistant,
    folder: Path,
    root: Path | None,
    environ: Mapping[str, str] | None,
) -> list[Tool]:
    """One tool per selected operation of ``entry``'s OpenAPI file."""
    path = spec_path(entry, folder, root)
    spec = read_spec(path, prefix=entry.prefix, select=entry.operations, strict=entry.strict,
                     check_schemas=True)
    if spec.errors:
        issue = spec.errors[0]
        line, _ = spec.file.line(issue.path)
        problems = spec.file.document.problems
        if problems:  # the file could not be read at all
            first = problems[0]
            raise ToolError(f"openapi tool ({entry.spec}): {first.describe()}")
        hint = f" ({issue.hint})" if issue.hint else ""
        raise ToolError(
            f"openapi tool ({entry.spec}): {path}{f':{line}' if line else ''}: {issue.message}"
            f"{hint}. Run `gptkit validate` on the assistant file to see every problem."
        )
    if spec.file.document.problems and not spec.file.document.ok:
        raise ToolError(f"openapi tool ({entry.spec}): {spec.file.document.problems[0].describe()}")
    server = entry.server or spec.server
    if not usable_url(server):
        raise ToolError(
            f"openapi tool ({entry.spec}): "
            + (f"the server URL '{server}' is not an absolute http:// or https:// URL"
               if server else "the file names no server URL")
            + ". Set server: on the tool (for example server: ${API_BASE}), or fix servers in the file."
        )
    assert server is not None
    caller = HttpCaller(
        f"the tools of {entry.spec}",
        server,
        headers=entry.headers,
        auth=None if entry.auth == "none" else entry.auth,
        allow_private=entry.allow_private_network,
        environ=environ,
        max_chars=config.limits.max_tool_output_chars,
        timeout_s=entry.timeout_s or config.limits.tool_timeout_s,
    )
    tools: list[Tool] = []
    for operation in spec.operations:
        confirm = entry.confirm if entry.confirm is not None else operation.confirm_default
        tools.append(OperationTool(operation, caller.named(operation.name), confirm=confirm, timeout_s=entry.timeout_s))
    return tools


def http_tool(entry: HttpTool, config: Assistant, environ: Mapping[str, str] | None) -> Tool:
    """The tool of one ``type: http`` entry."""
    natural = dict(entry.parameters)
    schema, strict = natural, False
    if entry.strict:
        try:
            schema, strict = strict_rewrite(natural), True
        except NotStrict as exc:
            raise ToolError(
                f"tool '{entry.name}': {exc} (run `gptkit validate` to see where)"
            ) from None
    caller = HttpCaller(
        entry.name,
        entry.url,
        headers=entry.headers,
        auth=None if entry.auth == "none" else entry.auth,
        allow_private=entry.allow_private_network,
        environ=environ,
        max_chars=config.limits.max_tool_output_chars,
        timeout_s=entry.timeout_s or config.limits.tool_timeout_s,
    )
    description = entry.description or f"{entry.method} {urlsplit(entry.url).netloc}"
    confirm = entry.confirm if entry.confirm is not None else entry.method != "GET"
    return EndpointTool(
        ToolSpec(entry.name, description, schema, strict),
        natural,
        caller,
        entry.url,
        entry.method,
        confirm=confirm,
        timeout_s=entry.timeout_s,
    )
