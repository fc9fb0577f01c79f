"""``gptkit export``: a gptkit assistant written for a platform, the inverse of ``import``.

- ``gpt``: what a person pastes into the GPT editor: ``instructions.md``, ``gpt.json`` (id,
  name, description, starters, knowledge and action lists), ``knowledge/`` and ``actions/``;
- ``m365``: ``declarativeAgent.json`` (schema v1.6) with ``instruction.txt`` beside it.

Both run the platform's profile checks first. A field the target cannot hold is reported,
never dropped silently. ``import(export(a))`` gives back ``a`` for every field both hold.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gptkit.formats.common import ImportFailed
from gptkit.formats.writer import refuse_existing, replace_folder

TARGETS = ("gpt", "m365", "prompty")
M365_SCHEMA = "https://developer.microsoft.com/json-schemas/copilot/declarative-agent/v1.6/schema.json"


@dataclass
class Exported:
    """The files of an export and what could not go into them."""

    files: dict[str, str] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)


def export(path: Path, target: str) -> Exported:
    """Build the files that publish the assistant file at ``path`` to ``target``."""
    from gptkit.config.compose import compose
    from gptkit.lint.profiles import profile_problems
    from gptkit.loading import load

    config = load(path)
    profile = {"gpt": "custom-gpt", "m365": "m365"}.get(target)
    problems = [p for p in profile_problems(path, profile) if p.severity == "error"] if profile else []
    if problems:
        first = problems[0]
        raise ImportFailed(path, first.location, f"{first.message} (validate --profile {profile})")
    raw = compose(path).data
    imported = raw.get("x-imported") if isinstance(raw, dict) else None
    imported = imported if isinstance(imported, dict) else {}
    folder = path.parent
    text = _instructions(config, folder)
    out = Exported()
    display = config.display_name or config.name
    if target != "prompty" and config.instructions_format == "jinja" and (
        "{{" in text or "{%" in text
    ):
        out.lost.append(
            "instructions: a Jinja template; exported as its text (the platform does not "
            "render templates)"
        )
    knowledge = [k for k in _list(imported, "knowledge") if isinstance(k, str)]
    actions = [a for a in _list(imported, "actions") if isinstance(a, str)]
    m365_actions = [a for a in _list(imported, "actions") if isinstance(a, dict)]
    capabilities = _list(imported, "capabilities")
    for entry in m365_actions:
        actions.extend(str(n) for n in [entry.get("file"), *(entry.get("openapi") or [])] if n)
    for name in knowledge + actions:
        source = (folder / name).resolve()
        if source.is_file() and source.is_relative_to(folder.resolve()):
            out.copies[name] = source
    if target == "prompty":
        from gptkit.formats.prompty_export import prompty_text

        out.files[f"{config.name}.prompty"] = prompty_text(config, text, out.lost)
        out.copies.clear()
        for name in knowledge + actions:
            out.lost.append(f"{name}: a .prompty file holds no files; not exported")
    elif target == "gpt":
        out.files["instructions.md"] = text
        manifest: dict[str, Any] = {"id": config.name, "name": display}
        if config.description:
            manifest["description"] = config.description
        if config.conversation_starters:
            manifest["conversation_starters"] = list(config.conversation_starters)
        manifest["model"] = config.model.name if config.model else ""
        names = [c if isinstance(c, str) else c.get("name") for c in capabilities
                 if isinstance(c, (str, dict))]
        gpt_names = [_TO_GPT.get(str(n), n) for n in names if n != "EmbeddedKnowledge"]
        if gpt_names:
            manifest["capabilities"] = gpt_names
        if knowledge:
            manifest["knowledge"] = knowledge
        if actions:
            manifest["actions"] = actions
        out.files["gpt.json"] = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    else:
        manifest = {"$schema": M365_SCHEMA, "version": "v1.6", "id": config.name,
                    "name": display, "description": config.description or display,
                    "instructions": "$[file('instruction.txt')]"}
        titles = _list(imported, "starter_titles")
        if config.conversation_starters:
            manifest["conversation_starters"] = [
                {"title": titles[i], "text": s} if i < len(titles) and titles[i] else {"text": s}
                for i, s in enumerate(config.conversation_starters)
            ]
        kept = [c for c in capabilities if isinstance(c, dict) and c.get("name") != "EmbeddedKnowledge"]
        kept += [{"name": _TO_M365[c]} for c in capabilities if isinstance(c, str) and c in _TO_M365]
        if knowledge:
            kept.append({"name": "EmbeddedKnowledge", "files": [{"file": k} for k in knowledge]})
        if kept:
            manifest["capabilities"] = kept
        for key in ("behavior_overrides", "disclaimer", "worker_agents", "sensitivity_label",
                    "user_overrides", "editorial_answers"):
            if key in imported:
                manifest[key] = imported[key]
        if m365_actions:
            manifest["actions"] = [{"id": a.get("id"), "file": a.get("file")} for a in m365_actions
                                   if a.get("file")]
        if not config.description:
            out.lost.append("description: empty; Microsoft 365 requires one, so the name is used")
        out.files["instruction.txt"] = text
        out.files["declarativeAgent.json"] = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        if actions and not m365_actions:
            out.lost.append("actions: OpenAPI files are copied; write a plugin manifest for each "
                            "(Microsoft 365 actions name a plugin file)")
        if config.model:
            out.lost.append(f"model: {config.model.name}; Microsoft 365 chooses its own model")
    _report_unheld(config, out, target)
    return out


_TO_M365 = {"browser": "WebSearch", "web_browsing": "WebSearch", "dalle": "GraphicArt",
            "python": "CodeInterpreter", "code_interpreter": "CodeInterpreter"}
_TO_GPT = {"WebSearch": "web_browsing", "GraphicArt": "dalle", "CodeInterpreter": "code_interpreter"}


def _list(imported: dict[str, Any], key: str) -> list[Any]:
    value = imported.get(key)
    return value if isinstance(value, list) else []


def _instructions(config: Any, folder: Path) -> str:
    if config.instructions is not None:
        return str(config.instructions)
    return (folder / str(config.instructions_file)).read_text(encoding="utf-8")


def _report_unheld(config: Any, out: Exported, target: str) -> None:
    where = {"gpt": "a custom GPT", "m365": "Microsoft 365", "prompty": "a .prompty file"}[target]
    for key, present in (
        ("persona", any(config.persona.model_dump().values())),
        ("variables", bool(config.variables) and target != "prompty"),
        ("conversation_starters", bool(config.conversation_starters) and target == "prompty"),
        ("display_name", bool(config.display_name) and target == "prompty"),
        ("tools", bool(config.tools)),
        ("output", config.output.format != "text"),
        ("memory", config.memory.policy not in ("window",) or config.memory.long_term),
        ("metadata", bool(config.metadata)),
    ):
        if present:
            out.lost.append(f"{key}: {where} has no place for it; not exported")


def write_export(out: Exported, target: Path, force: bool = False) -> None:
    """Write ``out`` into ``target`` through a temporary folder, as import does."""
    refuse_existing(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.export-", dir=target.parent))
    try:
        for name, text in out.files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text, encoding="utf-8", newline="")
        for name, source in out.copies.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / name)
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
