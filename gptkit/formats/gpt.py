"""Custom GPTs: a folder (instructions, knowledge, action schemas, a small manifest), a single
instructions file, or a GPT JSON record in the ``gizmo`` shape of ChatGPT's backend and the
public GPT-store crawls::

    {"gizmo": {"id": "g-...", "instructions": "...",
               "display": {"name": "...", "description": "...", "prompt_starters": [...]}},
     "tools": [{"type": "browser"}, {"type": "dalle"}, {"type": "python"},
               {"type": "plugins_prototype", "metadata": {"domain": "...", "raw_spec": "..."}}],
     "files": [{"name": "handbook.pdf"}]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gptkit.formats.common import (
    Imported,
    ImportFailed,
    file_name,
    knowledge_section,
    list_field,
    mapping,
    openapi_json,
    read_json,
    read_source,
    read_yaml,
    safe_relative,
    set_description,
    set_names,
    set_starters,
    string_or_empty,
    text_field,
    yaml_free,
)

#: Hosted tools of a GPT, by every spelling seen in records and manifests.
CAPABILITIES = {
    "browser": "web browsing", "web_browsing": "web browsing", "browsing": "web browsing",
    "web_search": "web browsing", "dalle": "image generation", "image_generation": "image generation",
    "python": "code interpreter", "code_interpreter": "code interpreter",
    "canvas": "canvas",
}
_MANIFESTS = ("gpt.json", "gpt.yaml", "gpt.yml", "manifest.json", "manifest.yaml", "manifest.yml")
_INSTRUCTIONS = ("instructions", "prompt", "system", "system_prompt")
_TEXT_SUFFIXES = (".md", ".txt", ".markdown")


def import_gpt(source: Path) -> list[Imported]:
    """Read a custom GPT from ``source`` (a folder, a text file or a JSON record)."""
    if source.is_dir():
        return [_from_folder(source)]
    if source.suffix.lower() == ".json":
        return [from_record(source, read_json(source, "GPT record"))]
    result = Imported(source, "gpt", {}, read_source(source, "instructions file"))
    set_names(result, "", source.stem)
    result.carried.append(f"instructions ({len(result.instructions)} characters, as plain text)")
    return [result]


def from_record(path: Path, record: Any, result: Imported | None = None) -> Imported:
    """A GPT JSON record (``{"gizmo": {...}, "tools": [...], "files": [...]}`` or the gizmo)."""
    record = mapping(path, record, "(the record)")
    gizmo = mapping(path, record["gizmo"], "gizmo") if "gizmo" in record else record
    where = "gizmo." if "gizmo" in record else ""
    display = gizmo.get("display")
    display = mapping(path, display, where + "display") if display is not None else {}
    dwhere = where + "display."
    instructions = text_field(path, gizmo, "instructions", where)
    if result is None:
        result = Imported(path, "gpt", {}, instructions)
    elif instructions:
        result.instructions = instructions
    name = text_field(path, display, "name", dwhere) or text_field(path, gizmo, "name", where)
    gid = string_or_empty(gizmo.get("id"))
    short_url = string_or_empty(gizmo.get("short_url"))
    slug = short_url[len(gid) :].lstrip("-") if gid and short_url.startswith(gid) else ""
    set_names(result, name, slug, path.stem if path.suffix else "", gid)
    if gid:
        result.extension["gizmo_id"] = gid
    description = text_field(path, display, "description", dwhere) or text_field(
        path, gizmo, "description", where
    )
    set_description(result, description, dwhere + "description")
    starters = _strings(path, display, "prompt_starters", dwhere) or _strings(
        path, gizmo, "conversation_starters", where
    )
    set_starters(result, starters, dwhere + "prompt_starters")
    model = gizmo.get("model") or gizmo.get("default_model_slug")
    if isinstance(model, str) and model.strip():
        result.data["model"] = {"name": model.strip()}
        result.carried.append(f"model: {model.strip()}")
    if result.instructions:
        result.carried.append(f"instructions ({len(result.instructions)} characters, as plain text)")
    else:
        result.lost.append(
            f"{where}instructions: the record holds none (the GPT store hides them); "
            "paste them into instructions.md"
        )
    tools = record.get("tools", gizmo.get("tools"))
    for index, tool in enumerate(list_field(path, {"tools": tools}, "tools")):
        tool = {"type": tool} if isinstance(tool, str) else tool  # flat crawls list names
        _record_tool(result, path, mapping(path, tool, f"tools[{index}]"), index)
    files = record.get("files", gizmo.get("files"))
    for index, item in enumerate(list_field(path, {"files": files}, "files")):
        field_ = f"files[{index}]"
        if isinstance(item, str):
            name = item
        else:
            name = text_field(path, mapping(path, item, field_), "name", field_ + ".")
        if not name:
            continue
        name = file_name(path, name, field_ + ".name")
        result.extension.setdefault("knowledge_hosted", []).append(name)
        result.lost.append(
            f"knowledge file '{name}': hosted by OpenAI, not in the record; "
            "put a copy under knowledge/ and list it under knowledge.files"
        )
    return result


def _strings(path: Path, record: dict[str, Any], key: str, where: str) -> list[str]:
    items = list_field(path, record, key, where)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ImportFailed(path, f"{where}{key}[{index}]", "expected text")
    return items


def _record_tool(result: Imported, path: Path, tool: dict[str, Any], index: int) -> None:
    kind = tool.get("type")
    if not isinstance(kind, str):
        raise ImportFailed(path, f"tools[{index}].type", "expected text")
    if kind in CAPABILITIES:
        _capability(result, CAPABILITIES[kind], kind)
        return
    if kind in ("plugins_prototype", "action", "actions", "openapi"):
        metadata = tool.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        domain = metadata.get("domain") if isinstance(metadata.get("domain"), str) else ""
        spec = metadata.get("raw_spec")
        label = domain or f"action {index + 1}"
        converted = openapi_json(path, spec, f"tools[{index}]") if isinstance(spec, str) else None
        if converted is not None:
            stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in label).strip(".-")
            name = f"actions/{stem or 'action'}-{index + 1}.json"
            result.files[name] = converted
            _action(result, name, label, converted)
        else:
            result.extension.setdefault("actions", []).append({"domain": label})
            result.lost.append(
                f"action '{label}': the record holds no OpenAPI schema; export it from the GPT "
                "editor into actions/"
            )
        return
    result.extension.setdefault("capabilities", []).append(kind)
    result.lost.append(f"tool '{kind}': a ChatGPT tool gptkit does not know; not carried over")


def _capability(result: Imported, what: str, spelled: str) -> None:
    result.extension.setdefault("capabilities", []).append(spelled)
    result.lost.append(f"{what}: a capability hosted by ChatGPT; gptkit has no such tool")


def _action(result: Imported, name: str, label: str, text: str | None = None) -> None:
    """An action schema kept as ``name``: a ``type: openapi`` tool when gptkit can use it."""
    from gptkit.tools.openapi.document import usable_url
    from gptkit.tools.openapi.operations import read_spec

    spec = read_spec(Path(name), text=text) if text is not None else None
    problem = None
    if spec is None:
        problem = "its file could not be read"
    elif spec.errors:
        problem = spec.errors[0].message
    elif not spec.operations:
        problem = "it has no operations"
    elif not usable_url(spec.server):
        problem = "it names no absolute server URL (add server: to the tool)"
    if problem is not None:
        result.extension.setdefault("actions", []).append(name)
        result.lost.append(f"action '{label}': kept as {name}, not a tool: {problem}")
        return
    assert spec is not None
    result.data.setdefault("tools", []).append({"type": "openapi", "spec": name})
    names = ", ".join(op.name for op in spec.operations)
    result.carried.append(f"action '{label}': {name}, a type: openapi tool ({names})")
    result.lost.append(
        f"action '{label}': its authentication, if it has one: add auth: to the tool with the "
        "secret in an environment variable"
    )


def _from_folder(folder: Path) -> Imported:
    root = folder.resolve()
    files = _files(folder, root)
    manifest_path = next((folder / m for m in _MANIFESTS if (folder / m).is_file()), None)
    manifest: dict[str, Any] = {}
    if manifest_path is not None:
        if manifest_path.suffix == ".json":
            loaded = read_json(manifest_path, "manifest")
        else:
            loaded = read_yaml(manifest_path, read_source(manifest_path, "manifest"))
        manifest = mapping(manifest_path, loaded, "(the manifest)")
    mpath = manifest_path or folder
    instructions_path = _instructions_file(folder, root, files, manifest, mpath)
    text = manifest.get("instructions") if instructions_path is None else None
    if text is not None and not isinstance(text, str):
        raise ImportFailed(mpath, "instructions", "expected text")
    if instructions_path is None and text is None and "gizmo" not in manifest:
        raise ImportFailed(
            folder, "", "no instructions found: put them in instructions.md (or .txt), or "
            "under 'instructions:' in gpt.json"
        )
    instructions = read_source(instructions_path, "instructions file") if instructions_path else ""
    result = Imported(folder, "gpt", {}, instructions or text or "")
    if "gizmo" in manifest or "display" in manifest:
        from_record(mpath, manifest, result)
        if instructions_path is not None:
            result.instructions = instructions
    else:
        set_names(result, text_field(mpath, manifest, "name"), folder.resolve().name,
                  given_id=manifest.get("id"))
        set_description(result, text_field(mpath, manifest, "description"), "description")
        starters = _strings(mpath, manifest, "conversation_starters", "") or _strings(
            mpath, manifest, "prompt_starters", ""
        )
        set_starters(result, starters, "conversation_starters")
        model = text_field(mpath, manifest, "model")
        if model.strip():
            result.data["model"] = {"name": model.strip()}
            result.carried.append(f"model: {model.strip()}")
        _manifest_capabilities(result, mpath, manifest.get("capabilities"))
        result.carried.append(f"instructions ({len(result.instructions)} characters, as plain text)")
    used = {p for p in (manifest_path, instructions_path) if p is not None}
    named = _named(mpath, manifest, "knowledge", folder, root)
    actions = _named(mpath, manifest, "actions", folder, root)
    for path in files:
        if path in used or path in named or path in actions:
            continue
        if _is_openapi(path):
            actions.append(path)
        else:
            named.append(path)
    for path in sorted(set(actions)):
        name = f"actions/{path.relative_to(folder).as_posix()}"
        name = name.replace("actions/actions/", "actions/", 1)
        if path.suffix.lower() in (".yaml", ".yml"):
            converted = openapi_json(path, read_source(path, "action schema"), "")
            if converted is None:
                raise ImportFailed(path, "", "not a readable OpenAPI document")
            name = name.rsplit(".", 1)[0] + ".json"  # YAML would be read as an assistant file
            result.files[name] = converted
        else:
            result.copies[name] = path
            converted = read_source(path, "action schema")
        _action(result, name, path.name, converted)
    knowledge = []
    for path in sorted(set(named)):
        name = f"knowledge/{path.relative_to(folder).as_posix()}"
        name = yaml_free(name.replace("knowledge/knowledge/", "knowledge/", 1))
        result.copies[name] = path
        knowledge.append(name)
    if knowledge:
        result.extension["knowledge"] = knowledge
        knowledge_section(result)
    return result


def _files(folder: Path, root: Path) -> list[Path]:
    """Every regular file under ``folder``, hidden ones left out; links out are refused."""
    out = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise ImportFailed(path, "", "a link that leads outside the source folder")
        if path.is_file():
            out.append(path)
    return out


def _instructions_file(
    folder: Path, root: Path, files: list[Path], manifest: dict[str, Any], mpath: Path
) -> Path | None:
    named = manifest.get("instructions_file")
    if named is not None:
        if not isinstance(named, str):
            raise ImportFailed(mpath, "instructions_file", "expected a file name")
        path = folder / safe_relative(mpath, named, "instructions_file")
        if not path.is_file():
            raise ImportFailed(mpath, "instructions_file", f"'{named}' does not exist")
        if not path.resolve().is_relative_to(root):
            raise ImportFailed(mpath, "instructions_file", f"'{named}' leads outside the folder")
        return path
    top = [p for p in files if p.parent == folder and p.suffix.lower() in _TEXT_SUFFIXES]
    for stem in _INSTRUCTIONS:
        for path in top:
            if path.stem.lower() == stem:
                return path
    if len(top) == 1 and "instructions" not in manifest:
        return top[0]
    return None


def _named(mpath: Path, manifest: dict[str, Any], key: str, folder: Path, root: Path) -> list[Path]:
    out = []
    for index, name in enumerate(list_field(mpath, manifest, key)):
        field_ = f"{key}[{index}]"
        if not isinstance(name, str):
            raise ImportFailed(mpath, field_, "expected a file name")
        path = folder / safe_relative(mpath, name, field_)
        if not path.resolve().is_relative_to(root):
            raise ImportFailed(mpath, field_, f"'{name}' leads outside the folder")
        if not path.is_file():
            raise ImportFailed(mpath, field_, f"'{name}' does not exist")
        out.append(path)
    return out


def _manifest_capabilities(result: Imported, mpath: Path, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        names = [k for k, v in value.items() if v]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        raise ImportFailed(mpath, "capabilities", "expected a list of names or a mapping to true/false")
    for name in names:
        what = CAPABILITIES.get(str(name).lower())
        if what is None:
            result.extension.setdefault("capabilities", []).append(name)
            result.lost.append(f"capability '{name}': unknown; not carried over")
        else:
            _capability(result, what, name)


def _is_openapi(path: Path) -> bool:
    """Whether ``path`` is an OpenAPI (or Swagger) document: an action schema."""
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        return False
    try:
        head = path.open("rb").read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    if path.suffix.lower() == ".json":
        return '"openapi"' in head or '"swagger"' in head
    return any(line.startswith(("openapi:", "swagger:")) for line in head.splitlines())


__all__ = ["import_gpt", "from_record"]
