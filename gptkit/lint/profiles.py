"""Platform profiles for ``gptkit validate --profile``: the limits a target platform sets.

- ``m365`` (Microsoft 365 declarative agents, schema v1.8): name at most 100 characters,
  description at most 1,000, instructions at most 8,000, at most 12 conversation starters and
  10 actions;
- ``custom-gpt``: instructions at most 8,000 characters, description at most 300, action
  operation summaries at most 300 and parameter descriptions at most 700.

Actions are the OpenAPI files recorded under ``x-imported.actions`` (by ``gptkit import``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gptkit.config.compose import Composed, compose
from gptkit.config.problems import Problem
from gptkit.config.yamlfile import is_within, read_text

PROFILES = ("custom-gpt", "m365")
LIMITS: dict[str, dict[str, int]] = {
    "m365": {"name": 100, "description": 1000, "instructions": 8000, "starters": 12,
             "actions": 10},
    "custom-gpt": {"description": 300, "instructions": 8000, "summary": 300,
                   "parameter": 700},
}
_LABEL = {"m365": "Microsoft 365", "custom-gpt": "a custom GPT"}


def profile_problems(path: Path, profile: str, root: Path | None = None) -> list[Problem]:
    """The limits of ``profile`` that the assistant file at ``path`` breaks."""
    composed = compose(path, root)
    data = composed.data
    if not isinstance(data, dict):
        return []
    limits = LIMITS[profile]
    before = len(composed.problems)
    where = _LABEL[profile]

    def over(key: tuple[Any, ...], what: str, size: int, limit: int, unit: str = "characters") -> None:
        if size > limit:
            composed.problem(
                key, "profile-limit", f"{what}: {size:,} {unit}; {where} allows at most "
                f"{limit:,}", f"shorten it to publish to {where} (--profile {profile})",
            )

    name = data.get("display_name") or data.get("name")
    if "name" in limits and isinstance(name, str):
        key: tuple[str, ...] = ("display_name",) if data.get("display_name") else ("name",)
        over(key, "the name", len(name), limits["name"])
    if isinstance(data.get("description"), str):
        over(("description",), "the description", len(data["description"]), limits["description"])
    text, key = _instructions(composed)
    if text is not None:
        over(key, "the instructions", len(text), limits["instructions"])
    starters = data.get("conversation_starters")
    if "starters" in limits and isinstance(starters, list):
        over(("conversation_starters",), "conversation_starters", len(starters),
             limits["starters"], "items")
    actions = _actions(data)
    if "actions" in limits:
        over(("x-imported", "actions"), "x-imported.actions", len(actions), limits["actions"],
             "actions")
    if "summary" in limits:
        for index, name_ in enumerate(actions):
            _check_openapi(composed, index, name_, limits, over)
    return composed.problems[before:]


def _instructions(composed: Composed) -> tuple[str | None, tuple[str, ...]]:
    data = composed.data
    if isinstance(data.get("instructions"), str):
        return data["instructions"], ("instructions",)
    name = data.get("instructions_file")
    if not isinstance(name, str):
        return None, ()
    path = composed.path.parent / name
    if not path.is_file() or not is_within(path, composed.root):
        return None, ()
    return read_text(path, [], "template file"), ("instructions_file",)


def _actions(data: dict[str, Any]) -> list[Any]:
    imported = data.get("x-imported")
    actions = imported.get("actions") if isinstance(imported, dict) else None
    return actions if isinstance(actions, list) else []


def _check_openapi(composed: Composed, index: int, entry: Any, limits: dict[str, int],
                   over: Any) -> None:
    name = entry if isinstance(entry, str) else None
    if name is None or not name.endswith(".json"):
        return
    path = composed.path.parent / name
    if not path.is_file() or not is_within(path, composed.root):
        return
    text = read_text(path, [], "action schema")
    try:
        spec = json.loads(text) if text else None
    except json.JSONDecodeError:
        return
    paths = spec.get("paths") if isinstance(spec, dict) else None
    key = ("x-imported", "actions", index)
    for route, item in (paths or {}).items() if isinstance(paths, dict) else []:
        for method, operation in item.items() if isinstance(item, dict) else []:
            if not isinstance(operation, dict):
                continue
            label = f"{name}: {method.upper()} {route}"
            summary = operation.get("summary")
            if isinstance(summary, str):
                over(key, f"{label}: the summary", len(summary), limits["summary"])
            for parameter in operation.get("parameters") or []:
                description = parameter.get("description") if isinstance(parameter, dict) else None
                if isinstance(description, str):
                    over(key, f"{label}: the description of parameter "
                         f"'{parameter.get('name')}'", len(description), limits["parameter"])


def add_profile_problems(reports: list[Any], profile: str, root: Path | None) -> None:
    """Add the problems of ``profile`` to each assistant file's report, in line order."""
    for report in reports:
        if report.kind == "assistant":
            report.problems.extend(profile_problems(report.path, profile, root))
            report.problems.sort(key=lambda p: (str(p.path), p.line, p.column, p.code))
