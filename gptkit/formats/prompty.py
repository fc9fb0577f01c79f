"""Prompty files (``.prompty``): YAML front matter between ``---`` lines, then the prompt.

Both front matter generations are read: v1 (``model: {api, configuration, parameters}``,
``inputs`` as a mapping, ``sample``) and v2 (``model: {id, provider, options}`` or a model
name, ``inputs`` as a list of ``{name, kind, default}``). The ``system:`` section of the body
becomes the instructions; its ``{{name}}`` placeholders become declared variables, written
``{{ vars.name }}``, and any other braces stay literal text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gptkit.formats.common import (
    Imported,
    ImportFailed,
    mapping,
    read_source,
    read_yaml,
    set_description,
    set_names,
    string_or_empty,
    text_field,
)

_ROLE = re.compile(r"^[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t\r]*$", re.I | re.M)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_TYPES = {
    "string": "string", "str": "string", "integer": "integer", "int": "integer",
    "number": "number", "float": "number", "boolean": "boolean", "bool": "boolean",
}
_OPTIONS = {
    "max_tokens": "max_output_tokens", "max_completion_tokens": "max_output_tokens",
    "maxOutputTokens": "max_output_tokens", "maxTokens": "max_output_tokens", "topP": "top_p",
}
_PYTHON = {str: "string", bool: "boolean", int: "integer", float: "number"}


def import_prompty(source: Path) -> Imported:
    """Read one ``.prompty`` file."""
    text = read_source(source, "prompty file")
    front, body = _split(source, text)
    result = Imported(source, "prompty", {}, "")
    name = text_field(source, front, "name")
    set_names(result, name, source.stem, given_id=name)
    set_description(result, text_field(source, front, "description"), "description")
    _model(result, source, front.get("model"))
    declared = _inputs(result, source, front)
    sections = _sections(body)
    system = "\n".join(t for role, t in sections if role in ("system", "developer"))
    if not any(role in ("system", "developer") for role, _ in sections):
        system = body
        sections = []
    for role, section in sections:
        if role not in ("system", "developer") and section.strip():
            result.lost.append(
                f"the {role}: section ({len(section.strip())} characters): gptkit takes the "
                "user's message at run time; kept under x-imported.messages"
            )
            result.extension.setdefault("messages", []).append({"role": role, "content": section})
    system = system.strip("\n")
    unwrapped = _unwrapped(system)
    used: list[str]
    if unwrapped is not None:  # all literal text, as gptkit export writes plain instructions
        result.instructions, used = unwrapped, []
    else:
        result.instructions, used = _template(system + "\n")
    result.jinja = bool(used)
    variables = {}
    for name in used:
        variables[name] = declared.get(name) or {"type": "string", "required": True}
    for name, _spec in declared.items():
        if name not in variables:
            result.lost.append(f"input '{name}': not used by the system message; not carried over")
    if variables:
        result.data["variables"] = variables
        result.carried.append(
            f"{len(variables)} input(s) as variables: " + ", ".join(f"vars.{n}" for n in variables)
        )
    result.carried.append(
        f"the system message as instructions ({len(result.instructions)} characters, "
        + ("a template using vars.*)" if result.jinja else "as plain text)")
    )
    for key in ("authors", "tags", "version"):
        if key in front:
            result.data.setdefault("metadata", {})[key] = front[key]
    template = front.get("template")
    if template not in (None, "jinja2", "mustache", {"format": "jinja2"}):
        result.extension["template"] = template
    return result


def _split(path: Path, text: str) -> tuple[dict[str, Any], str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ImportFailed(path, "front matter", "a .prompty file starts with a '---' line")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front = read_yaml(path, "".join(lines[1:index]), "front matter YAML")
            front = {} if front is None else mapping(path, front, "front matter")
            return front, "".join(lines[index + 1 :])
    raise ImportFailed(path, "front matter", "no closing '---' line (is the file cut short?)")


def _sections(body: str) -> list[tuple[str, str]]:
    marks = list(_ROLE.finditer(body))
    out = []
    for n, mark in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(body)
        out.append((mark.group(1).lower(), body[mark.end() : end].strip("\n")))
    return out


def _unwrapped(text: str) -> str | None:
    """The text inside one ``{% raw %}...{% endraw %}`` that is the whole section, or None."""
    if text.startswith("{% raw %}") and text.endswith("{% endraw %}"):
        inner = text[len("{% raw %}") : -len("{% endraw %}")]
        if "endraw" not in inner:
            return inner
    return None


def _template(text: str) -> tuple[str, list[str]]:
    """``{{name}}`` as ``{{ vars.name }}``; everything else literal (inside raw blocks)."""
    if "endraw" in text:
        return text, []  # a raw block cannot hold its own end: keep it all plain
    parts: list[str] = []
    used: list[str] = []
    last = 0
    for found in _PLACEHOLDER.finditer(text):
        parts.append(_literal(text[last : found.start()]))
        name = found.group(1)
        parts.append(f"{{{{ vars.{name} }}}}")
        if name not in used:
            used.append(name)
        last = found.end()
    if not used:
        return text, []
    parts.append(_literal(text[last:]))
    return "".join(parts), used


def _literal(text: str) -> str:
    if any(mark in text for mark in ("{{", "{%", "{#", "}}", "%}", "#}")):
        return "{% raw %}" + text + "{% endraw %}"
    return text


def _model(result: Imported, path: Path, model: Any) -> None:
    if model is None:
        return
    if isinstance(model, str):
        model = {"id": model}
    model = mapping(path, model, "model")
    config = model.get("configuration") if isinstance(model.get("configuration"), dict) else {}
    options = model.get("parameters") or model.get("options") or {}
    options = options if isinstance(options, dict) else {}
    name = ""
    for candidate in (
        model.get("id"), config.get("azure_deployment"), config.get("model"), config.get("name"),
        options.get("model"),
    ):
        if isinstance(candidate, str) and candidate.strip() and "${" not in candidate:
            name = candidate.strip()
            break
    settings: dict[str, Any] = {"name": name or "gpt-4o"}
    if name:
        result.carried.append(f"model: {name}")
    else:
        result.lost.append("model: no model name in the front matter; set to gpt-4o")
    limits = {"temperature": (0, 2), "top_p": (0, 1)}
    for key, value in options.items():
        target = _OPTIONS.get(key, key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if target in limits and ok and limits[target][0] <= value <= limits[target][1]:
            settings[target] = value
        elif target in ("max_output_tokens", "seed") and isinstance(value, int) and not isinstance(
            value, bool
        ) and (value >= 1 or target == "seed"):
            settings[target] = value
        elif key != "model":
            result.lost.append(f"model parameter {key}: {value!r:.40} not carried over")
            continue
        else:
            continue
        result.carried.append(f"{target}: {value}")
    api = model.get("api")
    if api not in (None, "chat"):
        result.lost.append(f"model.api: {api!r:.40}; gptkit uses the chat API")
    connection = config or model.get("connection")
    if connection:
        result.extension["model"] = model
        result.lost.append("model connection settings: kept under x-imported.model (set "
                           "model.base_url and api_key_env yourself)")
    result.data["model"] = settings


def _inputs(result: Imported, path: Path, front: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The declared inputs as gptkit variables, by name."""
    raw = front.get("inputs")
    schema = front.get("inputSchema")
    if raw is None and isinstance(schema, dict):
        raw = schema.get("properties")
    raw_sample = front.get("sample")
    sample: dict[str, Any] = raw_sample if isinstance(raw_sample, dict) else {}
    if front.get("sample") is not None and not sample:
        result.lost.append("sample: not a mapping of values (a file reference?); not carried over")
    specs: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        specs = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            item = mapping(path, item, f"inputs[{index}]")
            specs.append((text_field(path, item, "name", f"inputs[{index}]."), item))
    elif raw is not None:
        raise ImportFailed(path, "inputs", "expected a mapping or a list of inputs")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in specs:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            result.lost.append(f"input {name!r}: not a valid variable name; not carried over")
            continue
        value: Any = sample.get(name)
        declared_type = None
        description = ""
        if isinstance(spec, dict):
            declared_type = spec.get("type", spec.get("kind"))
            description = string_or_empty(spec.get("description"))
            for key in ("default", "sample"):
                if spec.get(key) is not None:
                    value = spec[key]
                    break
        elif spec is not None:
            value = spec  # v1 shorthand: name: sample value
        kind = _TYPES.get(str(declared_type).lower()) if declared_type else _PYTHON.get(type(value))
        if kind is None:
            result.lost.append(f"input '{name}': the type {declared_type!r:.30} is now a string")
            kind = "string"
        variable: dict[str, Any] = {"type": kind}
        if description:
            variable["description"] = description
        if value is not None and _PYTHON.get(type(value)) == kind or (
            kind == "number" and type(value) is int
        ):
            variable["default"] = value
        else:
            variable["required"] = True
        out[name] = variable
    return out
