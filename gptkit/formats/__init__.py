"""Other assistant formats, converted to gptkit projects: ``gptkit import``.

One module per source (:mod:`.gpt`, :mod:`.assistants_api`, :mod:`.prompty`, :mod:`.m365`),
each turning a source into :class:`~gptkit.formats.common.Imported` values, and
:mod:`.writer`, which writes them as checked project folders.
"""

from __future__ import annotations

import json
from pathlib import Path

from gptkit.formats.common import Imported, ImportFailed, read_source

KINDS = ("gpt", "assistants-api", "prompty", "m365")


def import_source(source: Path, kind: str | None = None) -> list[Imported]:
    """Read ``source`` as ``kind`` (detected when None): one Imported per assistant."""
    if not source.exists():
        raise ImportFailed(source, "", "no such file or folder")
    kind = kind or detect(source)
    if kind == "gpt":
        from gptkit.formats.gpt import import_gpt

        return import_gpt(source)
    if kind == "assistants-api":
        from gptkit.formats.assistants_api import import_assistants

        return import_assistants(source)
    if kind == "prompty":
        from gptkit.formats.prompty import import_prompty

        return [import_prompty(source)]
    if kind == "m365":
        from gptkit.formats.m365 import import_m365

        return [import_m365(source)]
    raise ValueError(f"unknown kind {kind!r}")


def detect(source: Path) -> str:
    """The kind of ``source``, from its name and a look at its content."""
    if source.is_dir():
        from gptkit.formats.m365 import find_manifest

        return "m365" if find_manifest(source, required=False) else "gpt"
    suffix = source.suffix.lower()
    if suffix == ".prompty":
        return "prompty"
    if suffix != ".json":
        return "gpt"
    try:
        record = json.loads(read_source(source, "JSON file"))
    except json.JSONDecodeError:
        record = None
    if isinstance(record, list) and record and isinstance(record[0], dict) and (
        record[0].get("object") == "assistant" or str(record[0].get("id", "")).startswith("asst_")
    ):
        return "assistants-api"
    if isinstance(record, dict):
        if record.get("object") in ("assistant", "list") or str(record.get("id", "")).startswith(
            "asst_"
        ):
            return "assistants-api"
        if "gizmo" in record or "display" in record or "prompt_starters" in record or str(
            record.get("id", "")
        ).startswith("g-"):
            return "gpt"
        schema = record.get("$schema")
        if (isinstance(schema, str) and "declarative-agent" in schema) or (
            isinstance(record.get("version"), str) and record["version"].startswith("v1.")
        ):
            return "m365"
    raise ImportFailed(
        source, "", "cannot tell which kind of assistant this is; give --from "
        + "|".join(KINDS)
    )


__all__ = ["KINDS", "Imported", "ImportFailed", "detect", "import_source"]
