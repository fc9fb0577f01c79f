"""What every importer shares: the result type, its error, safe reading, ids and shortening."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from gptkit.errors import GptkitError

MAX_SOURCE_BYTES = 10 * 1024 * 1024  # as for assistant files: a 50 MB "prompt" is a mistake
MAX_DESCRIPTION = 300
MAX_DISPLAY_NAME = 100
MAX_STARTERS = 12
ID_LENGTH = 64


class ImportFailed(GptkitError):
    """A source that cannot be imported; the message names the file and the field."""

    def __init__(self, path: Path | str, field_: str, message: str) -> None:
        where = f"{path}: {field_}" if field_ else str(path)
        super().__init__(f"{where}: {message}")


@dataclass
class Imported:
    """An assistant read from another format, ready for :func:`gptkit.formats.writer.write`.

    ``data`` is the assistant file without its instructions key; the writer adds
    ``instructions_file`` (and ``instructions_format: plain`` unless ``jinja``).
    """

    source: Path
    kind: str
    data: dict[str, Any]
    instructions: str
    jinja: bool = False  # True: the instructions are a gptkit template (Prompty inputs)
    copies: dict[str, Path] = field(default_factory=dict)  # destination (relative) -> source file
    files: dict[str, str] = field(default_factory=dict)  # destination (relative) -> text
    extension: dict[str, Any] = field(default_factory=dict)  # what goes under x-imported
    carried: list[str] = field(default_factory=list)  # what was carried over, one line each
    lost: list[str] = field(default_factory=list)  # what was not, one line each
    warnings: list[str] = field(default_factory=list)


def read_source(path: Path, what: str = "file") -> str:
    """The text of ``path``: UTF-8, at most 10 MiB, else :class:`ImportFailed`."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise ImportFailed(
                path, "", f"the {what} is {size / 1048576:.1f} MiB; gptkit imports files up to 10 MiB"
            )
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ImportFailed(path, "", f"the {what} is a folder, not a file") from None
    except OSError as exc:
        raise ImportFailed(path, "", f"cannot read the {what}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            path, "", f"line {line}: the {what} is not UTF-8 text; save it as UTF-8"
        ) from None


def read_json(path: Path, what: str = "JSON file") -> Any:
    """Parse ``path`` as JSON, with the line of a syntax error (a truncated file, say)."""
    text = read_source(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(path, "", f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ImportFailed(path, "", "the JSON is nested too deeply") from None


def read_yaml(path: Path, text: str, what: str = "YAML") -> Any:
    """Parse ``text`` (from ``path``) as safe YAML: plain data only."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ImportFailed(path, "", f"{line}not valid {what}: {problem}") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise ImportFailed(path, "", f"not valid {what}: {exc}") from None


def text_field(path: Path, record: dict[str, Any], key: str, where: str = "") -> str:
    """``record[key]`` as a string ('' when absent or null); another type is an error."""
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportFailed(path, where + key, f"expected text, got {_type_name(value)}")
    return value


def string_or_empty(value: Any) -> str:
    """``value`` when it is a string, else ``""`` (for optional fields of foreign records)."""
    return value if isinstance(value, str) else ""


def list_field(path: Path, record: dict[str, Any], key: str, where: str = "") -> list[Any]:
    """``record[key]`` as a list ([] when absent or null); another type is an error."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportFailed(path, where + key, f"expected a list, got {_type_name(value)}")
    return value


def mapping(path: Path, value: Any, where: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an error naming ``where``."""
    if not isinstance(value, dict):
        raise ImportFailed(path, where, f"expected an object, got {_type_name(value)}")
    return value


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean", int: "a number", float: "a number", str: "text",
        list: "a list", dict: "an object", type(None): "null",
    }.get(type(value), type(value).__name__)


def make_id(*candidates: str) -> str:
    """A valid assistant id (``^[a-z0-9][a-z0-9_-]{0,63}$``) from the first usable candidate."""
    for candidate in candidates:
        text = unicodedata.normalize("NFKD", candidate or "")
        text = text.encode("ascii", "ignore").decode("ascii").lower()
        text = re.sub(r"[^a-z0-9]+", "-", text).strip("-_")
        text = text[:ID_LENGTH].rstrip("-_")
        if text:
            return text
    return "imported-assistant"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word where it can be, with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def set_description(result: Imported, text: str, field_: str) -> None:
    """Put ``text`` in the assistant's description, shortened with a warning when too long."""
    text = " ".join(text.split())
    if not text:
        return
    short = shorten(text, MAX_DESCRIPTION)
    if short != text:
        result.warnings.append(
            f"{field_}: the description has {len(text)} characters; shortened to "
            f"{MAX_DESCRIPTION} (the full text is under x-imported.description)"
        )
        result.extension["description"] = text
    result.data["description"] = short
    result.carried.append("description")


def set_names(result: Imported, display: str, *fallbacks: str, given_id: Any = None) -> None:
    """Set ``name`` (an id made from ``display`` or the fallbacks) and ``display_name``.

    ``given_id``, when it is already a valid id (as ``gptkit export`` writes it), is kept.
    """
    display = " ".join(display.split())
    valid = isinstance(given_id, str) and re.match(r"^[a-z0-9][a-z0-9_-]{0,63}$", given_id)
    result.data["name"] = given_id if valid else make_id(display, *fallbacks)
    if display:
        short = shorten(display, MAX_DISPLAY_NAME)
        if short != display:
            result.warnings.append(f"the name has {len(display)} characters; shortened to 100")
        if short != result.data["name"]:
            result.data["display_name"] = short
    shown = f" ({display})" if display and display != result.data["name"] else ""
    result.carried.append(f"name: {result.data['name']}{shown}")


def set_starters(result: Imported, starters: list[str], field_: str) -> None:
    """Put the non-empty ``starters`` in, at most 12, reporting the rest."""
    kept = [" ".join(s.split()) for s in starters if s.strip()]
    if len(kept) > MAX_STARTERS:
        for extra in kept[MAX_STARTERS:]:
            result.lost.append(f"{field_}: conversation starter over the 12 allowed: {extra!r}")
        kept = kept[:MAX_STARTERS]
    if kept:
        result.data["conversation_starters"] = kept
        result.carried.append(f"{len(kept)} conversation starter(s)")


def safe_relative(path: Path, name: str, field_: str) -> PurePosixPath:
    """``name`` as a relative path that stays inside its folder, else :class:`ImportFailed`."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if not name or pure.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in pure.parts:
        raise ImportFailed(
            path, field_, f"'{name}' leads outside the source's folder; give a name inside it"
        )
    return pure


def file_name(path: Path, name: str, field_: str) -> str:
    """A bare file name for a hosted file: refuse path tricks (``../``, absolute names)."""
    pure = safe_relative(path, name, field_)
    if pure.name in ("", ".", ".."):
        raise ImportFailed(path, field_, f"'{name}' is not a file name")
    return pure.name


def yaml_free(name: str) -> str:
    """``name`` with a .yaml/.yml file renamed (``.txt`` added), so ``gptkit validate DIR``
    does not read a copied data file as an assistant file."""
    return name + ".txt" if name.lower().endswith((".yaml", ".yml")) else name


def openapi_json(path: Path, text: str, field_: str) -> str | None:
    """An OpenAPI document (JSON or YAML text) as JSON text; None if it is neither."""
    if text.lstrip().startswith("{"):
        try:
            json.loads(text)
            return text if text.endswith("\n") else text + "\n"
        except (json.JSONDecodeError, RecursionError):
            return None
    try:
        data = read_yaml(path, text, "OpenAPI YAML")
    except ImportFailed:
        return None
    if not isinstance(data, dict):
        return None
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def knowledge_section(result: Imported) -> None:
    """List the copied knowledge files (``x-imported``'s ``knowledge``) under ``knowledge:
    files:``, so they are searched; a type gptkit does not read stays copied but unlisted."""
    import glob

    from gptkit.knowledge.files import kind_of

    names = [n for n in result.extension.get("knowledge", []) if isinstance(n, str)]
    readable = [n for n in names if kind_of(Path(n)) is not None]
    for name in names:
        if name not in readable:
            result.lost.append(
                f"knowledge file '{name}': copied, but gptkit does not read {Path(name).suffix or 'files without a suffix'}"
                " files, so it is not searched"
            )
    if readable:
        result.data["knowledge"] = {"files": [glob.escape(n) for n in readable]}
        result.carried.append(
            f"{len(readable)} knowledge file(s): copied under knowledge/ and searched "
            "(knowledge.files, the search_knowledge tool)"
        )
