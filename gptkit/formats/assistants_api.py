"""OpenAI Assistants API objects: what ``GET /v1/assistants/{id}`` returns, or a list response
(``{"object": "list", "data": [...]}``), one gptkit assistant each.

``function`` tools become python tools with their declared JSON Schema as ``parameters`` and a
generated stub module (``imported_tools.py``) that says, when called, what to implement;
``file_search`` and ``code_interpreter`` are hosted by OpenAI and reported.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from typing import Any

from gptkit.formats.common import (
    Imported,
    ImportFailed,
    list_field,
    mapping,
    read_json,
    set_description,
    set_names,
    shorten,
    string_or_empty,
    text_field,
)

MAX_TOOL_DESCRIPTION = 1024
STUBS = "imported_tools"
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def import_assistants(source: Path) -> list[Imported]:
    """Every assistant in ``source`` (one object, or a list response)."""
    record = read_json(source, "Assistants API JSON")
    if isinstance(record, list):  # a bare list of objects, as a script may have saved them
        record = {"object": "list", "data": record}
    record = mapping(source, record, "(the file)")
    if record.get("object") == "list" or "data" in record and "instructions" not in record:
        items = list_field(source, record, "data")
        return [
            from_object(source, mapping(source, item, f"data[{i}]"), f"data[{i}].")
            for i, item in enumerate(items)
        ]
    return [from_object(source, record, "")]


def from_object(path: Path, obj: dict[str, Any], where: str) -> Imported:
    """One assistant object."""
    kind = obj.get("object")
    if kind != "assistant" and not (kind is None and ("model" in obj or "instructions" in obj)):
        raise ImportFailed(
            path, where + "object", 'not an Assistants API assistant (expected "object": '
            '"assistant"); is --from right?'
        )
    result = Imported(path, "assistants-api", {}, text_field(path, obj, "instructions", where))
    object_id = string_or_empty(obj.get("id"))
    set_names(result, text_field(path, obj, "name", where), object_id, path.stem)
    if object_id:
        result.extension["id"] = object_id
    set_description(result, text_field(path, obj, "description", where), where + "description")
    result.carried.append(f"instructions ({len(result.instructions)} characters, as plain text)")
    model: dict[str, Any] = {}
    name = text_field(path, obj, "model", where).strip()
    if name:
        model["name"] = name
        result.carried.append(f"model: {name}")
    for key, low, high in (("temperature", 0, 2), ("top_p", 0, 1)):
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            result.lost.append(f"{where}{key}: {value!r} is not a number from {low} to {high}")
            continue
        model[key] = value
        result.carried.append(f"{key}: {value}")
    if model:
        model.setdefault("name", "gpt-4o")
        result.data["model"] = model
    stubs: list[str] = []
    tools: list[dict[str, Any]] = []
    for index, tool in enumerate(list_field(path, obj, "tools", where)):
        field_ = f"{where}tools[{index}]"
        tool = mapping(path, tool, field_)
        kind = text_field(path, tool, "type", field_ + ".")
        if kind == "function":
            _function(result, path, tool, field_, tools, stubs)
        elif kind in ("file_search", "retrieval"):
            result.lost.append(
                "file_search: hosted by OpenAI (vector stores); the files are not in the object "
                "(put copies under knowledge/ and list them under knowledge.files)"
            )
            result.extension.setdefault("hosted_tools", []).append(kind)
        elif kind == "code_interpreter":
            result.lost.append("code interpreter: hosted by OpenAI; gptkit has no such tool")
            result.extension.setdefault("hosted_tools", []).append(kind)
        else:
            result.lost.append(f"{field_}: the tool type '{kind}' is not known; not carried over")
            result.extension.setdefault("hosted_tools", []).append(kind)
    if tools:
        result.data["tools"] = tools
        result.files[f"{STUBS}.py"] = _stub_module(stubs)
    resources = obj.get("tool_resources")
    if isinstance(resources, dict) and resources:
        result.extension["tool_resources"] = resources
        result.lost.append("tool_resources: OpenAI file and vector store ids; kept under x-imported")
    _response_format(result, path, obj.get("response_format"), where)
    metadata = obj.get("metadata")
    if isinstance(metadata, dict) and metadata:
        result.data["metadata"] = {str(k): v for k, v in metadata.items()}
        result.carried.append("metadata")
    return result


def _function(
    result: Imported, path: Path, tool: dict[str, Any], field_: str,
    tools: list[dict[str, Any]], stubs: list[str],
) -> None:
    function = mapping(path, tool.get("function"), field_ + ".function")
    fwhere = field_ + ".function."
    name = text_field(path, function, "name", fwhere)
    if not _TOOL_NAME.match(name):
        fixed = re.sub(r"[^a-zA-Z0-9_-]+", "_", name).strip("_")[:64] or f"tool_{len(tools) + 1}"
        result.warnings.append(f"{fwhere}name: {name!r} is not a valid tool name; renamed {fixed}")
        name = fixed
    taken = {t["name"] for t in tools}
    base, n = name, 2
    while name in taken:
        name, n = f"{base[:60]}_{n}", n + 1
    attribute = re.sub(r"\W", "_", name, flags=re.ASCII)
    if attribute[0].isdigit() or keyword.iskeyword(attribute):
        attribute = "fn_" + attribute
    while attribute in stubs:
        attribute += "_"
    entry: dict[str, Any] = {"name": name, "type": "python", "function": f"{STUBS}:{attribute}"}
    description = text_field(path, function, "description", fwhere)
    if description:
        short = shorten(description, MAX_TOOL_DESCRIPTION)
        if short != description:
            result.warnings.append(f"{fwhere}description: shortened to {MAX_TOOL_DESCRIPTION} characters")
        entry["description"] = short
    parameters = function.get("parameters")
    if parameters is not None:
        if _usable_schema(parameters):
            entry["parameters"] = parameters
        else:
            result.lost.append(
                f"{fwhere}parameters: not a JSON Schema of type object; kept under "
                f"x-imported.parameters.{name}"
            )
            result.extension.setdefault("parameters", {})[name] = parameters
            entry["parameters"] = {"type": "object", "properties": {}}
    strict = function.get("strict") is True and _strict_ok(entry.get("parameters"))
    entry["strict"] = strict
    tools.append(entry)
    stubs.append(attribute)
    result.carried.append(
        f"function {name}: a python tool with its parameters; implement {STUBS}.py:{attribute}"
    )


def _usable_schema(schema: Any) -> bool:
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        return False
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except (SchemaError, RecursionError):
        return False
    return True


def _strict_ok(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    from gptkit.config.strict import strict_issues

    return not list(strict_issues(schema))


def _response_format(result: Imported, path: Path, value: Any, where: str) -> None:
    if value is None or value == "auto" or value == {"type": "text"}:
        return
    if isinstance(value, dict) and value.get("type") == "json_schema":
        spec = value.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict) and _usable_schema(schema):
            strict = isinstance(spec, dict) and spec.get("strict") is True and _strict_ok(schema)
            result.data["output"] = {"format": "json", "schema": schema, "strict": strict}
            result.carried.append("response_format: JSON answers matching the schema")
            return
    result.extension["response_format"] = value
    result.lost.append(
        f"{where}response_format: {value!r:.60} has no gptkit equivalent; answers are text"
    )


def _stub_module(names: list[str]) -> str:
    body = [
        '"""Stubs for the function tools imported from the Assistants API: implement each one.',
        "",
        "gptkit checks the arguments against each tool's parameters before a call; until a stub",
        "is implemented, calling it tells the model (and you, in the transcript) what is missing.",
        '"""',
        "",
        "from typing import Any",
        "",
    ]
    for name in names:
        body += [
            "",
            f"def {name}(**arguments: Any) -> Any:",
            f'    """Imported function {name}: replace this body with the real work."""',
            "    raise NotImplementedError(",
            f'        "{name} is a stub written by gptkit import: implement it in {STUBS}.py "',
            '        f"(called with {sorted(arguments)})"',
            "    )",
            "",
        ]
    return "\n".join(body)
