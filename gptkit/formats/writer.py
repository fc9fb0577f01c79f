"""Write an :class:`Imported` assistant as a gptkit project folder, atomically.

Everything is written into a temporary folder beside the target, checked as ``gptkit
validate`` checks it, and only then renamed into place: an import that fails leaves nothing
half-written, and an existing folder is replaced only with ``force``.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gptkit.formats.common import Imported, ImportFailed

DEFAULT_MODEL = "gpt-4o"
_ORDER = (
    "version", "name", "display_name", "description", "model", "persona",
    "instructions_format", "instructions_file", "variables", "conversation_starters",
    "tools", "knowledge", "memory", "output", "limits", "metadata",
)


def assistant_data(result: Imported) -> dict[str, Any]:
    """The assistant file's data, in the order people read it, ``$`` kept literal."""
    data = dict(result.data)
    data["version"] = 1
    if "model" not in data:
        data["model"] = {"name": DEFAULT_MODEL}
        result.warnings.append(f"model: the source names none; set to {DEFAULT_MODEL}")
    data["instructions_file"] = instructions_name(result)
    from gptkit.config.secrets import find_secret

    found = find_secret(result.instructions)
    if found is not None:
        result.warnings.append(
            f"instructions: they hold what looks like {found}; remove it from "
            f"{instructions_name(result)} and keep keys in environment variables"
        )
    if not result.jinja:
        data["instructions_format"] = "plain"
    ordered = {key: _literal_dollars(data[key]) for key in _ORDER if key in data}
    extension = {"from": result.kind, "source": result.source.name, **result.extension}
    ordered["x-imported"] = _joined(extension)
    return ordered


def instructions_name(result: Imported) -> str:
    """Where the instructions go: plain text, or a template when they use variables."""
    return "instructions.md.j2" if result.jinja else "instructions.md"


def _literal_dollars(value: Any) -> Any:
    """``$`` as ``$$``: imported text is never an environment variable reference."""
    if isinstance(value, str):
        return whole(value).replace("$", "$$")
    if isinstance(value, dict):
        return {whole(str(k)): _literal_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal_dollars(v) for v in value]
    return value


def whole(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates (from YAML escapes) replaced."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _joined(value: Any) -> Any:
    if isinstance(value, str):
        return whole(value)
    if isinstance(value, dict):
        return {whole(str(k)): _joined(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_joined(v) for v in value]
    return value


def dump_yaml(data: dict[str, Any], header: str) -> str:
    """``data`` as YAML text, under a comment line."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.allow_unicode = True
    yaml.width = 4096  # long lines stay whole: easier to read and to diff
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return f"# {header}\n" + out.getvalue()


def refuse_existing(target: Path, force: bool) -> None:
    """Stop before any work when ``target`` exists and ``force`` is not given."""
    if target.exists() and not target.is_dir():
        raise ImportFailed(target, "", "exists and is not a folder; choose another -o DIR")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ImportFailed(
            target, "", "the folder exists and is not empty; give --force to replace it"
        )


def write(results: list[Imported], target: Path, force: bool = False) -> list[Path]:
    """Write ``results`` into the folder ``target``; return the assistant files' paths.

    One assistant fills ``target``; several (an Assistants API list) get a subfolder each,
    named by their ids.
    """
    refuse_existing(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.import-", dir=target.parent))
    folders = subfolders(results)
    try:
        for result, folder in zip(results, folders, strict=True):
            (staging / folder).mkdir(parents=True, exist_ok=True)
            _fill(result, staging / folder)
            _verify(result, staging / folder / "assistant.yaml")
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [target / folder / "assistant.yaml" for folder in folders]


def subfolders(results: list[Imported]) -> list[str]:
    """"" for a single assistant; else a distinct id-named folder for each."""
    if len(results) == 1:
        return [""]
    seen: set[str] = set()
    out: list[str] = []
    for result in results:
        base = name = str(result.data["name"])
        n = 2
        while name in seen:
            name, n = f"{base[:60]}-{n}", n + 1
        seen.add(name)
        out.append(name)
    return out


def _fill(result: Imported, folder: Path) -> None:
    data = assistant_data(result)
    header = f"Imported by gptkit import from {result.source.name} ({result.kind})"
    _put(folder, "assistant.yaml", dump_yaml(data, header))
    _put(folder, instructions_name(result), whole(result.instructions))
    for name, text in result.files.items():
        _put(folder, name, whole(text))
    for name, source in result.copies.items():
        destination = folder / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(source, destination)
        except OSError as exc:
            raise ImportFailed(source, "", f"cannot copy the file: {exc.strerror}") from None


def _put(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _verify(result: Imported, path: Path) -> None:
    """Refuse to leave a project that ``gptkit validate`` would fail."""
    from gptkit.loading import check_file

    report = check_file(path, environ={})
    errors = [p for p in report.problems if p.severity == "error"]
    if errors:
        first = errors[0]
        where = f"{first.location}: " if first.location else ""
        raise ImportFailed(
            result.source, "", f"the imported assistant would not validate ({where}"
            f"{first.message} [{first.code}]); nothing was written"
        )


def replace_folder(staging: Path, target: Path) -> None:
    """Put the folder ``staging`` at ``target``, replacing what is there only once it can."""
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / target.name)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old / target.name, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
