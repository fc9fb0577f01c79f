"""Microsoft 365 Copilot declarative agent manifests, schema v1.0 to v1.8.

The manifest (``declarativeAgent.json``) holds ``name``, ``description`` and ``instructions``
(inline, or ``$[file('instruction.txt')]`` beside it), ``conversation_starters`` (``title`` and
``text``), ``capabilities`` (``{"name": "WebSearch"}``, ``EmbeddedKnowledge`` with local
files, ...) and ``actions`` (``{"id": ..., "file": "plugin.json"}``). Later versions add
``behavior_overrides``, ``disclaimer``, ``worker_agents`` and others, which are kept under
``x-imported`` and reported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from gptkit.formats.common import (
    Imported,
    ImportFailed,
    knowledge_section,
    list_field,
    mapping,
    openapi_json,
    read_json,
    read_source,
    safe_relative,
    set_description,
    set_names,
    set_starters,
    text_field,
    yaml_free,
)

_FILE_REF = re.compile(r"^\s*\$\[file\(\s*['\"](.+?)['\"]\s*\)\]\s*$")
_NAMES = ("declarativeAgent.json", "declarative-agent.json", "declarativeCopilot.json")

#: What each capability is, for the report; all of them are hosted by Microsoft 365.
CAPABILITIES = {
    "WebSearch": "web search",
    "GraphicArt": "image generation",
    "CodeInterpreter": "code interpreter",
    "OneDriveAndSharePoint": "knowledge from OneDrive and SharePoint",
    "GraphConnectors": "knowledge from Copilot connectors",
    "Email": "knowledge from the user's mail",
    "People": "knowledge about people in the organization",
    "TeamsMessages": "knowledge from Teams messages",
    "Dataverse": "knowledge from Dataverse",
    "Meetings": "knowledge from meetings",
    "ScenarioModels": "task-specific models",
}
#: Keys that gptkit has no place for: kept under x-imported, each reported.
_KEPT = (
    "behavior_overrides", "disclaimer", "worker_agents", "sensitivity_label",
    "user_overrides", "editorial_answers",
)


def find_manifest(folder: Path, required: bool = True) -> Path | None:
    """The declarative agent manifest in ``folder`` (or its ``appPackage``), or None."""
    for base in (folder, folder / "appPackage"):
        for name in _NAMES:
            if (base / name).is_file():
                return base / name
    for base in (folder, folder / "appPackage"):
        for path in sorted(base.glob("*.json")) if base.is_dir() else []:
            try:
                head = path.open("rb").read(2048).decode("utf-8", "replace")
            except OSError:
                continue
            if "declarative-agent" in head or "declarativeAgent" in head and '"instructions"' in head:
                return path
    if required:
        raise ImportFailed(folder, "", "no declarative agent manifest (declarativeAgent.json) here")
    return None


def import_m365(source: Path) -> Imported:
    """Read the manifest at ``source`` (a file, or a folder holding one)."""
    path = find_manifest(source) if source.is_dir() else source
    assert path is not None
    manifest = mapping(path, read_json(path, "manifest"), "(the manifest)")
    folder = path.parent
    result = Imported(path, "m365", {}, "")
    version = manifest.get("version")
    schema = manifest.get("$schema")
    result.extension.update(
        {k: v for k, v in (("version", version), ("$schema", schema), ("id", manifest.get("id")))
         if v is not None}
    )
    name = text_field(path, manifest, "name")
    if not name.strip():
        raise ImportFailed(path, "name", "the manifest has no name (it is required)")
    set_names(result, name, path.stem, given_id=manifest.get("id"))
    set_description(result, text_field(path, manifest, "description"), "description")
    result.instructions = _instructions(path, folder, text_field(path, manifest, "instructions"))
    result.carried.append(f"instructions ({len(result.instructions)} characters, as plain text)")
    starters, titles = [], []
    for index, item in enumerate(list_field(path, manifest, "conversation_starters")):
        field_ = f"conversation_starters[{index}]"
        item = mapping(path, item, field_)
        text = text_field(path, item, "text", field_ + ".") or text_field(
            path, item, "title", field_ + "."
        )
        starters.append(text)
        titles.append(text_field(path, item, "title", field_ + "."))
    set_starters(result, starters, "conversation_starters")
    if any(titles):
        result.extension["starter_titles"] = titles
    for index, item in enumerate(list_field(path, manifest, "capabilities")):
        _capability(result, path, folder, mapping(path, item, f"capabilities[{index}]"), index)
    for index, item in enumerate(list_field(path, manifest, "actions")):
        _action(result, path, folder, mapping(path, item, f"actions[{index}]"), index)
    for key in _KEPT:
        if key in manifest:
            result.extension[key] = manifest[key]
            result.lost.append(f"{key}: Microsoft 365 only; kept under x-imported.{key}")
    knowledge_section(result)
    return result


def _instructions(path: Path, folder: Path, text: str) -> str:
    found = _FILE_REF.match(text)
    if found is None:
        return text
    name = found.group(1)
    target = _inside(path, folder, name, "instructions")
    if not target.is_file():
        raise ImportFailed(path, "instructions", f"the file '{name}' does not exist beside the manifest")
    return read_source(target, "instructions file")


def _inside(path: Path, folder: Path, name: str, field_: str) -> Path:
    target = folder / safe_relative(path, name, field_)
    if not target.resolve().is_relative_to(folder.resolve()):
        raise ImportFailed(path, field_, f"'{name}' leads outside the manifest's folder")
    return target


def _capability(result: Imported, path: Path, folder: Path, item: dict[str, Any], index: int) -> None:
    field_ = f"capabilities[{index}]"
    name = text_field(path, item, "name", field_ + ".")
    result.extension.setdefault("capabilities", []).append(item)
    if name == "EmbeddedKnowledge":
        for n, entry in enumerate(list_field(path, item, "files", field_ + ".")):
            where = f"{field_}.files[{n}]"
            entry = mapping(path, entry, where)
            file = text_field(path, entry, "file", where + ".")
            if not file:
                continue
            target = _inside(path, folder, file, where + ".file")
            if not target.is_file():
                result.lost.append(f"{where}: knowledge file '{file}' is not beside the manifest")
                continue
            relative = safe_relative(path, file, where).as_posix()
            relative = relative.removeprefix("knowledge/")
            destination = yaml_free(f"knowledge/{relative}")
            result.copies[destination] = target
            result.extension.setdefault("knowledge", []).append(destination)
        return
    what = CAPABILITIES.get(name, f"the capability '{name}'")
    result.lost.append(f"{what} ({name}): hosted by Microsoft 365 Copilot; gptkit has no such tool")


def _action(result: Imported, path: Path, folder: Path, item: dict[str, Any], index: int) -> None:
    field_ = f"actions[{index}]"
    action_id = text_field(path, item, "id", field_ + ".") or f"action-{index + 1}"
    file = text_field(path, item, "file", field_ + ".")
    record: dict[str, Any] = {"id": action_id}
    if file:
        target = _inside(path, folder, file, field_ + ".file")
        if target.is_file():
            relative = safe_relative(path, file, field_).as_posix().removeprefix("actions/")
            destination = f"actions/{relative}"
            result.copies[destination] = target
            record["file"] = destination
            renamed: dict[str, str] = {}
            for spec in _plugin_specs(target):
                spec_path = (target.parent / spec)
                if spec_path.is_file() and spec_path.resolve().is_relative_to(folder.resolve()):
                    name = str(Path(destination).parent / spec).replace("\\", "/")
                    if name.lower().endswith((".yaml", ".yml")):
                        converted = openapi_json(spec_path, read_source(spec_path), "")
                        if converted is None:
                            continue
                        renamed[spec] = spec.rsplit(".", 1)[0] + ".json"
                        name = name.rsplit(".", 1)[0] + ".json"
                        result.files[name] = converted
                    else:
                        result.copies[name] = spec_path
                    record.setdefault("openapi", []).append(name)
            if renamed:  # the plugin names its OpenAPI file: name the JSON one now
                result.files[destination] = _renamed_specs(target, renamed)
                del result.copies[destination]
        else:
            result.lost.append(f"{field_}: the plugin file '{file}' is not beside the manifest")
    result.extension.setdefault("actions", []).append(record)
    result.lost.append(
        f"action '{action_id}': kept under actions/, not yet a tool (it becomes one when gptkit "
        "has OpenAPI tools)"
    )


def _renamed_specs(plugin: Path, renamed: dict[str, str]) -> str:
    data = json.loads(read_source(plugin, "plugin manifest"))
    for runtime in data.get("runtimes") or []:
        spec = runtime.get("spec") if isinstance(runtime, dict) else None
        if isinstance(spec, dict) and spec.get("url") in renamed:
            spec["url"] = renamed[spec["url"]]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _plugin_specs(plugin: Path) -> list[str]:
    """The relative OpenAPI file names a plugin manifest's runtimes point at."""
    try:
        data = json.loads(read_source(plugin, "plugin manifest"))
    except (json.JSONDecodeError, ImportFailed):
        return []
    out = []
    runtimes = data.get("runtimes") if isinstance(data, dict) else None
    for runtime in runtimes if isinstance(runtimes, list) else []:
        spec = runtime.get("spec") if isinstance(runtime, dict) else None
        url = spec.get("url") if isinstance(spec, dict) else None
        if isinstance(url, str) and "://" not in url and not url.startswith("/") and ".." not in url:
            out.append(url)
    return out
