"""The runtime tools that call HTTP APIs: one OpenAPI operation, or one ``type: http`` endpoint.

Both check the model's arguments against the JSON Schema of the tool (after dropping the
``null`` strict mode sends for an optional value), build the request (path parameters
percent-encoded, so ``../admin`` stays one segment and a ``/`` or ``?`` cannot move the call
elsewhere), and send it through their :class:`~gptkit.tools.http.HttpCaller`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from gptkit.tools.arguments import SchemaArguments, drop_default_nulls
from gptkit.tools.base import Tool, ToolContext, ToolFailure, ToolSpec
from gptkit.tools.http import HttpCaller, Request
from gptkit.tools.openapi.operations import Operation


class NetworkArguments(SchemaArguments):
    """The JSON Schema check of a network tool; strict mode's nulls for optional values dropped."""

    def __init__(self, schema: dict[str, Any], tool: str) -> None:
        super().__init__(schema, tool)
        self.required = frozenset(schema.get("required", ()))

    def _check(self, data: dict[str, Any]) -> dict[str, Any]:
        from gptkit.config.predicates import proves_valid

        data = drop_default_nulls(data, self.schema, self.schema)
        if proves_valid(self.schema, data):  # the fast yes; errors and doubts go to jsonschema
            return data
        return super()._check(data)


def scalar(value: Any) -> str:
    """A value as it goes into a path, query or header: true/false, numbers, text, else JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def segment(value: Any) -> str:
    """One path segment, percent-encoded: ``/``, ``?``, ``#`` and a ``..`` stay inside it."""
    if isinstance(value, list):
        text = ",".join(scalar(v) for v in value)
    elif isinstance(value, dict):
        text = ",".join(f"{scalar(k)},{scalar(v)}" for k, v in value.items())
    else:
        text = scalar(value)
    encoded = quote(text, safe="")
    if encoded and set(encoded) == {"."}:
        encoded = "%2E" * len(encoded)
    return encoded


_PLACEHOLDER = re.compile(r"{([^}/]+)}")


def fill_path(template: str | list[str], values: dict[str, Any]) -> str:
    """``/pets/{id}`` with each ``{name}`` replaced by its encoded value.

    ``template`` may be given split already (``_PLACEHOLDER.split``: text, name, text, ...).
    """
    pieces = _PLACEHOLDER.split(template) if isinstance(template, str) else template
    out = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            out.append(piece)
        elif values.get(piece) is None:
            raise ToolFailure(f"the path parameter '{piece}' is missing")
        else:
            out.append(segment(values[piece]))
    return "".join(out)


def query_pairs(name: str, value: Any, style: str = "", explode: bool = True) -> list[tuple[str, str]]:
    """A query parameter as name=value pairs (OpenAPI's form and deepObject styles)."""
    if value is None:
        return []
    if isinstance(value, list):
        if explode:
            return [(name, scalar(v)) for v in value]
        joiner = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, joiner.join(scalar(v) for v in value))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", scalar(v)) for k, v in value.items()]
        if explode:
            return [(str(k), scalar(v)) for k, v in value.items()]
        return [(name, ",".join(f"{k},{scalar(v)}" for k, v in value.items()))]
    return [(name, scalar(value))]


class OperationTool(Tool):
    """One OpenAPI operation: the model's arguments become its path, query, headers and body."""

    def __init__(
        self, operation: Operation, caller: HttpCaller, *, confirm: bool, timeout_s: float | None
    ) -> None:
        spec = ToolSpec(operation.name, operation.description, operation.schema, operation.strict)
        super().__init__(spec=spec, confirm=confirm, timeout_s=timeout_s)
        self.operation = operation
        self.caller = caller
        self.arguments = NetworkArguments(operation.natural, operation.name)
        self._path = _PLACEHOLDER.split(operation.path)
        self._base = caller.base_url.rstrip("/")

    def parse(self, arguments: str) -> dict[str, Any]:
        return self.arguments.parse(arguments)

    def request(self, arguments: dict[str, Any]) -> Request:
        """The request these (checked) arguments make."""
        op = self.operation
        path_values = {p.name: arguments.get(p.argument) for p in op.parameters if p.location == "path"}
        url = self._base + fill_path(self._path, path_values)
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        for p in op.parameters:
            value = arguments.get(p.argument)
            if value is None:
                continue
            if p.location == "query":
                query.extend(query_pairs(p.name, value, p.style, p.explode))
            elif p.location == "header":
                headers[p.name] = scalar(value) if not isinstance(value, list) else ",".join(
                    scalar(v) for v in value)
        body_arg = op.body_argument
        body = arguments.get(body_arg) if body_arg is not None else None
        if op.body_form and isinstance(body, dict):
            body = {str(k): scalar(v) for k, v in body.items() if v is not None}
        return Request(op.method, url, query, headers, body, body is not None, op.body_form)

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        return await self.caller.call(self.request(arguments))

    async def aclose(self) -> None:
        """Close the connections (shared by the operations of one file)."""
        await self.caller.aclose()


class EndpointTool(Tool):
    """A ``type: http`` tool: ``{name}`` placeholders of the URL filled, the rest as query or body."""

    def __init__(
        self,
        spec: ToolSpec,
        natural: dict[str, Any],
        caller: HttpCaller,
        url: str,
        method: str,
        *,
        confirm: bool,
        timeout_s: float | None,
    ) -> None:
        super().__init__(spec=spec, confirm=confirm, timeout_s=timeout_s)
        self.caller = caller
        self.url = url
        self.method = method.upper()
        self.arguments = NetworkArguments(natural, spec.name)
        self.placeholders = set(re.findall(r"{([^}/]+)}", url))

    def parse(self, arguments: str) -> dict[str, Any]:
        return self.arguments.parse(arguments)

    def request(self, arguments: dict[str, Any]) -> Request:
        """The request these (checked) arguments make."""
        url = fill_path(self.url, arguments)
        rest = {k: v for k, v in arguments.items() if k not in self.placeholders and v is not None}
        if self.method in ("GET", "DELETE", "HEAD"):
            query = [pair for k, v in rest.items() for pair in query_pairs(k, v)]
            return Request(self.method, url, query)
        return Request(self.method, url, [], {}, rest, True)

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        return await self.caller.call(self.request(arguments))

    async def aclose(self) -> None:
        """Close the connections."""
        await self.caller.aclose()
