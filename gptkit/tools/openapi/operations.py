"""Each operation of an OpenAPI file as a tool: name, description, parameters, and the request.

The tool's arguments are one object: a property per path, query and header parameter (named
as the parameter; ``name_query`` when two locations use one name) and ``body`` for a JSON
request body. The schema is rewritten for OpenAI strict mode where it can be; where it cannot
(a free-form object, ``allOf`` of non-objects...), the tool is sent non-strict and an issue says
why. Names come from the operationId, made valid (letters, digits, ``_``, ``-``; 64 at most) and
unique; an operation without one is named from its method and path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gptkit.config.strict import NotStrict, strict_rewrite
from gptkit.config.yamlfile import YPath
from gptkit.tools.openapi.document import Issue, SpecFile, load_spec_file, server_url
from gptkit.tools.openapi.schemas import Converter, follow

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_NAME = 64
MAX_SUMMARY = 300  # GPT Actions' limits, reported as warnings
MAX_PARAMETER_DESCRIPTION = 700
MAX_DESCRIPTION = 1024
_SKIPPED_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True)
class Parameter:
    """One parameter: its name in the request, where it goes, and its argument's name."""

    name: str
    location: str  # path, query or header
    argument: str
    style: str = ""
    explode: bool = True


@dataclass
class Operation:
    """One operation, ready to become a tool."""

    name: str
    operation_id: str | None
    method: str  # upper case
    path: str  # the template, such as /pets/{id}
    description: str
    parameters: list[Parameter]
    body_argument: str | None  # the argument holding the JSON body, if there is one
    body_required: bool
    natural: dict[str, Any]  # the parameters schema as the file gives it
    schema: dict[str, Any]  # what the model sees (strict-rewritten when strict)
    strict: bool
    consequential: bool | None  # x-openai-isConsequential, when given
    where: YPath
    body_form: bool = False  # the body is sent as application/x-www-form-urlencoded

    @property
    def confirm_default(self) -> bool:
        """Ask before calling: consequential per the file, else every method but GET/HEAD."""
        if self.consequential is not None:
            return self.consequential
        return self.method not in ("GET", "HEAD")


@dataclass
class Spec:
    """An OpenAPI file read into operations, with every issue found on the way."""

    file: SpecFile
    operations: list[Operation] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    server: str | None = None
    server_where: YPath = ()

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def read_spec(
    path: Path,
    *,
    prefix: str = "",
    select: list[str] | None = None,
    strict: bool = True,
    text: str | None = None,
    check_schemas: bool = False,
) -> Spec:
    """Read the OpenAPI file at ``path`` (or ``text``) into operations (those in ``select``).

    ``check_schemas``: also check each parameters schema with jsonschema, leaving out what
    breaks it (a run does, to be sure; ``validate`` relies on the converter's own checks, which
    need no jsonschema import).
    """
    file = load_spec_file(path, text)
    spec = Spec(file, issues=list(file.issues))
    if not file.usable:
        return spec
    spec.server, spec.server_where = server_url(file)
    data = file.data
    taken: set[str] = set()
    paths = data.get("paths") or {}
    for route, item in paths.items():
        where: YPath = ("paths", route)
        item, item_where = follow(data, item, where, spec.issues)
        if not isinstance(item, dict):
            continue
        shared: list[Any] = item["parameters"] if isinstance(item.get("parameters"), list) else []
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            op_where = (*item_where, method)
            op_id = operation.get("operationId")
            op_id = op_id if isinstance(op_id, str) and op_id.strip() else None
            if select is not None and op_id not in select:
                continue
            converted = _operation(
                file, str(route), method, operation, shared, op_where, item_where, prefix, strict,
                taken, spec.issues, check_schemas,
            )
            if converted is not None:
                spec.operations.append(converted)
    if select is not None:
        found = {op.operation_id for op in spec.operations}
        for wanted in select:
            if wanted not in found:
                spec.issues.append(Issue(
                    (), "openapi-operation", f"the file has no operation with operationId '{wanted}'",
                    "the operations are: " + (", ".join(sorted(_all_ids(data))) or "none"),
                ))
    if not spec.operations and not spec.errors:
        spec.issues.append(Issue(("paths",), "openapi-operation", "the file has no operations",
                                 "add an operation under paths", severity="warning"))
    return spec


def pick(data: Any, path: YPath) -> Any:
    """The value at ``path`` in ``data``, or None."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _all_ids(data: Any) -> list[str]:
    ids = []
    for item in (data.get("paths") or {}).values():
        if isinstance(item, dict):
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict) and isinstance(op.get("operationId"), str):
                    ids.append(op["operationId"])
    return ids


def tool_name(operation_id: str | None, method: str, route: str, prefix: str = "") -> str:
    """A valid tool name for an operation (letters, digits, ``_``, ``-``; at most 64)."""
    import unicodedata

    def clean(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_text).strip("_")
        return re.sub(r"_{2,}", "_", name)

    name = (clean(operation_id) if operation_id else "") or clean(f"{method}_{route}") or method
    return (prefix + name)[:MAX_NAME]


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``... (kept within 64 characters) when it is taken."""
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _operation(
    file: SpecFile,
    route: str,
    method: str,
    operation: dict[str, Any],
    shared: list[Any],
    where: YPath,
    item_where: YPath,
    prefix: str,
    strict: bool,
    taken: set[str],
    issues: list[Issue],
    check_schemas: bool = False,
) -> Operation | None:
    data = file.data
    for owner, owner_where in ((operation, where), (pick(data, item_where), item_where)):
        if isinstance(owner, dict) and owner.get("servers"):
            issues.append(Issue((*owner_where, "servers"), "openapi-server",
                                f"{method.upper()} {route} names servers of its own, which gptkit does "
                                "not use: its calls go to the file's (or the tool's) server",
                                "list it in an openapi tool entry of its own, with operations: and server:",
                                severity="warning"))
            break
    op_id = operation.get("operationId")
    op_id = op_id if isinstance(op_id, str) and op_id.strip() else None
    name = tool_name(op_id, method, route, prefix)
    if op_id is None:
        issues.append(Issue(where, "openapi-operation-id",
                            f"{method.upper()} {route} has no operationId; the tool is named '{name}'",
                            "add operationId: a short name the model calls it by (GPT Actions need one)",
                            severity="warning"))
    elif name != prefix + op_id:
        issues.append(Issue((*where, "operationId"), "openapi-name",
                            f"operationId '{op_id}' is not a valid tool name; the tool is named '{name}'",
                            "tool names use letters, digits, '_' and '-' only, at most 64 characters",
                            severity="warning"))
    unique = unique_name(name, taken)
    if unique != name:
        issues.append(Issue((*where, "operationId") if op_id else where, "openapi-name",
                            f"two operations map to the tool name '{name}'; this one is named '{unique}'",
                            "give each operation its own operationId", severity="warning"))
    name = unique
    taken.add(name)

    summary: str = operation["summary"] if isinstance(operation.get("summary"), str) else ""
    details: str = (
        operation["description"] if isinstance(operation.get("description"), str) else ""
    )
    if len(summary) > MAX_SUMMARY:
        issues.append(Issue((*where, "summary"), "openapi-limit",
                            f"the summary is {len(summary)} characters; GPT Actions allow {MAX_SUMMARY}",
                            "shorten it", severity="warning"))
    description = " ".join(summary.split())
    if details.strip():
        description = f"{description}\n\n{details.strip()}" if description else details.strip()
    description = description[:MAX_DESCRIPTION] or f"{method.upper()} {route}"

    converter = Converter(data, file.version, issues)
    properties: dict[str, Any] = {}
    required: list[str] = []
    parameters: list[Parameter] = []
    declared: dict[tuple[str, str], tuple[Any, YPath]] = {}
    own: list[Any] = operation["parameters"] if isinstance(operation.get("parameters"), list) else []
    for base, items in ((item_where, shared), (where, own)):
        for index, raw in enumerate(items):
            param, p_where = follow(data, raw, (*base, "parameters", index), issues)
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                if param != {}:
                    issues.append(Issue(p_where, "openapi-parameter", "a parameter needs a name and 'in'",
                                        severity="warning"))
                continue
            location = param.get("in")
            declared[(str(location), param["name"])] = (param, p_where)
    names_used = {n for (_, n) in declared}
    for (location, pname), (param, p_where) in declared.items():
        if location == "header" and pname.lower() in _SKIPPED_HEADERS:
            continue
        if location not in ("path", "query", "header"):
            issues.append(Issue((*p_where, "in"), "openapi-parameter",
                                f"parameter '{pname}' is in {location}, which gptkit does not send; "
                                "it was left out", severity="warning"))
            continue
        argument = pname
        if argument in properties or (sum(1 for (_, n) in declared if n == pname) > 1 and location != "path"):
            argument = f"{pname}_{location}"
        schema_node = param.get("schema")
        if schema_node is None and isinstance(param.get("content"), dict) and param["content"]:
            media = next(iter(param["content"].values()))
            schema_node = media.get("schema") if isinstance(media, dict) else None
        prop = converter.convert(schema_node, (*p_where, "schema")) if schema_node is not None else {"type": "string"}
        text = param.get("description")
        if isinstance(text, str) and text.strip():
            if len(text) > MAX_PARAMETER_DESCRIPTION:
                issues.append(Issue((*p_where, "description"), "openapi-limit",
                                    f"the description of parameter '{pname}' is {len(text)} characters; "
                                    f"GPT Actions allow {MAX_PARAMETER_DESCRIPTION}", "shorten it",
                                    severity="warning"))
            prop = {**prop, "description": text.strip()}
        properties[argument] = prop
        if location == "path" or param.get("required") is True:
            required.append(argument)
        style = param.get("style") if isinstance(param.get("style"), str) else ""
        explode = param.get("explode")
        parameters.append(Parameter(pname, location, argument, style,
                                    explode if isinstance(explode, bool) else style in ("", "form")))
    for placeholder in re.findall(r"{([^}/]+)}", route):
        if not any(p.location == "path" and p.name == placeholder for p in parameters):
            issues.append(Issue(where, "openapi-parameter",
                                f"the path has {{{placeholder}}} but the operation declares no path "
                                f"parameter '{placeholder}'; it is added as a string",
                                f"add a parameter with name: {placeholder} and in: path", severity="warning"))
            argument = placeholder if placeholder not in properties else f"{placeholder}_path"
            properties[argument] = {"type": "string"}
            required.append(argument)
            parameters.append(Parameter(placeholder, "path", argument))

    body_argument: str | None = None
    body_required = body_form = False
    if "requestBody" in operation:
        body, b_where = follow(data, operation["requestBody"], (*where, "requestBody"), issues)
        content = body.get("content") if isinstance(body, dict) else None
        if isinstance(content, dict) and content:
            media_type = next((m for m in content if _is_json(str(m))), None)
            body_form = False
            if media_type is None:
                media_type = next((m for m in content if _is_form(str(m))), None)
                body_form = media_type is not None
            if media_type is None:
                if body.get("required") is True:
                    issues.append(Issue((*b_where, "content"), "openapi-body",
                                        f"{method.upper()} {route} needs a {next(iter(content))} body, "
                                        "which gptkit cannot send (only JSON and form bodies); the "
                                        "operation is left out",
                                        severity="warning"))
                    taken.discard(name)
                    return None
            else:
                media = content[media_type]
                schema_node = media.get("schema", {}) if isinstance(media, dict) else {}
                body_argument = "body" if "body" not in names_used else "request_body"
                prop = converter.convert(schema_node, (*b_where, "content", media_type, "schema"))
                text = body.get("description")
                if isinstance(text, str) and text.strip():
                    prop = {**prop, "description": text.strip()}
                properties[body_argument] = prop
                body_required = body.get("required") is True
                if body_required:
                    required.append(body_argument)

    natural: dict[str, Any] = {"type": "object", "properties": properties, "required": required,
                               "additionalProperties": False}
    if converter.defs:
        natural["$defs"] = converter.defs
    if check_schemas:
        natural = _repaired(natural, where, issues)
    schema, is_strict = natural, False
    if strict:
        try:
            schema, is_strict = strict_rewrite(natural), True
        except NotStrict as exc:
            issues.append(Issue(where, "openapi-strict",
                                f"{method.upper()} {route} is sent without strict mode: {exc.place} {exc.reason}",
                                "change the schema so strict mode can describe it, or accept non-strict "
                                "(set strict: false on the tool to say so)", severity="warning"))
    consequential = operation.get("x-openai-isConsequential")
    return Operation(
        name=name,
        operation_id=op_id,
        method=method.upper(),
        path=route,
        description=description,
        parameters=parameters,
        body_argument=body_argument,
        body_required=body_required,
        natural=natural,
        schema=schema,
        strict=is_strict,
        consequential=consequential if isinstance(consequential, bool) else None,
        where=where,
        body_form=body_form,
    )


def _repaired(schema: dict[str, Any], where: YPath, issues: list[Issue]) -> dict[str, Any]:
    """``schema`` with each keyword that breaks JSON Schema left out (a warning each).

    An OpenAPI file may hold ``required: 5`` or a ``pattern`` that is not a regular expression;
    the tool is still made, without that keyword, rather than refused.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from gptkit.config.problems import format_location

    for _ in range(50):
        try:
            Draft202012Validator.check_schema(schema)
            return schema
        except SchemaError as exc:
            path = list(exc.absolute_path)
            keys = [i for i, part in enumerate(path) if isinstance(part, str)]
            if not keys:
                break
            path = path[: keys[-1] + 1]
            parent: Any = schema
            for part in path[:-1]:
                parent = parent[part]
            if not isinstance(parent, dict) or len(path) < 2 and path[0] in ("type", "properties"):
                break
            del parent[path[-1]]
            shown = format_location(tuple(p for p in path if p not in ("properties", "$defs")))
            issues.append(Issue(where, "openapi-schema",
                                f"'{shown}' is not valid JSON Schema ({exc.message[:120]}); it was "
                                "left out", "correct the schema in the file", severity="warning"))
    return schema


def _is_form(media_type: str) -> bool:
    return media_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"


def _is_json(media_type: str) -> bool:
    kind = media_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json") or kind in ("*/*", "application/*")
