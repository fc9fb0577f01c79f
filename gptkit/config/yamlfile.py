"""Read one YAML file into plain data, keeping the file, line and column of every node.

ruamel.yaml composes the node graph (YAML 1.2, so ``yes`` stays a string); this module turns it
into dicts, lists and scalars itself, which lets it refuse what a config file must never contain
and report every such problem at its line instead of stopping at the first:

- unknown or object-building tags (``!!python/object/apply``, ``!include``): never constructed;
- duplicate keys at any depth, each reported beside the line of the first one;
- alias bombs: alias uses, nesting depth and the number of nodes after expansion are capped;
- nesting bombs (30,000 ``[``): a file that could nest deeper than the C composer can recurse
  is first walked as a stream of parser events (the parser does not recurse), and refused at
  the first value nested too deep, before anything is composed;
- files over :data:`MAX_FILE_BYTES` (checked before reading) and bytes that are not UTF-8.
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from gptkit.config.problems import Problem, format_location

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ALIASES = 200
MAX_DEPTH = 64
MAX_NODES = 100_000

YPath = tuple[str | int, ...]

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
_TIMESTAMP = _STD + "timestamp"
_MERGE = _STD + "merge"
_STR, _NULL_TAG, _BOOL_TAG = _STD + "str", _STD + "null", _STD + "bool"
_INT_TAG, _FLOAT_TAG = _STD + "int", _STD + "float"
_BUILT_TAGS = _ALLOWED_TAGS | {_TIMESTAMP, _MERGE}  # the tags a value may carry


class Node(NamedTuple):
    """Where one value stands in its file (1-based line and column), and how it was written.

    A named tuple: one is made for every value of every file, and tuples are made fastest.
    """

    path: Path
    line: int
    column: int
    key_line: int = 0  # where the key that holds this value stands (0 for list items, the root)
    key_column: int = 0
    style: str | None = None  # scalar style: None (plain), "'", '"', "|", ">"


@dataclass
class Document:
    """A loaded file: its text, its data, the node of every path, and the problems found."""

    path: Path
    text: str = ""
    data: Any = None
    nodes: dict[YPath, Node] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file was read without errors."""
        return not any(p.severity == "error" for p in self.problems)


_new_node = tuple.__new__  # makes a Node without the Python-level __new__ of named tuples


class _Abort(Exception):
    """Stops construction when a cap is reached; the problem is already recorded."""


def read_text(path: Path, problems: list[Problem], what: str = "file") -> str | None:
    """Read a UTF-8 text file no larger than 10 MiB, recording a problem instead of raising."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    path,
                    0,
                    0,
                    "",
                    "file-too-large",
                    f"the {what} is {size / 1048576:.1f} MiB; gptkit reads files up to 10 MiB",
                    "split it, or move large data out of the assistant file",
                )
            )
            return None
        raw = path.read_bytes()
    except IsADirectoryError:
        problems.append(Problem(path, 0, 0, "", "not-a-file", f"the {what} is a folder"))
        return None
    except OSError as exc:
        problems.append(
            Problem(path, 0, 0, "", "unreadable", f"cannot read the {what}: {exc.strerror}")
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        problems.append(
            Problem(
                path,
                line,
                column,
                "",
                "encoding",
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                "save the file as UTF-8",
            )
        )
        return None


def load_document(path: Path) -> Document:
    """Load ``path`` into a :class:`Document`; problems are recorded on it, never raised."""
    doc = Document(path=path)
    text = read_text(path, doc.problems)
    if text is None:
        return doc
    doc.text = text
    return parse_document(doc)


def parse_document(doc: Document) -> Document:
    """Compose ``doc.text`` with ruamel.yaml and construct ``doc.data`` and ``doc.nodes``."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if _could_be_deep(doc.text) and _too_deep(doc):
        return doc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = _compose(doc.text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        message = _syntax_message(exc)
        doc.problems.append(Problem(doc.path, line, column, "", "yaml-syntax", message))
        return doc
    except YAMLError as exc:
        doc.problems.append(Problem(doc.path, 0, 0, "", "yaml-syntax", str(exc).strip()))
        return doc
    except RecursionError:
        doc.problems.append(
            Problem(doc.path, 0, 0, "", "yaml-too-deep", "the YAML is nested too deeply to read")
        )
        return doc
    if root is None:
        doc.problems.append(
            Problem(
                doc.path,
                0,
                0,
                "",
                "empty-file",
                "the file is empty",
                "an assistant file starts with 'version: 1'",
            )
        )
        return doc
    builder = _Builder(doc)
    try:
        doc.data = builder.build(root, (), 0)
    except _Abort:
        doc.data = None
    return doc


# The composer of ruamel.yaml.clib recurses in C, one frame per level of nesting, and dies of a
# stack overflow (exit 139, no report) at about 27,000 levels on an 8 MiB stack: far fewer on a
# thread's smaller one. Composing is safe below SAFE_DEPTH levels on any stack.
SAFE_DEPTH = 400
_FLOW_OPENERS_SAFE = SAFE_DEPTH // 2
_PREFIX_SAFE = (SAFE_DEPTH - _FLOW_OPENERS_SAFE) // 2 - 2
_PREFIX_CHARS = f"[ \t\ufeff?:-]{{{_PREFIX_SAFE}}}"
_LONG_PREFIX = re.compile(_PREFIX_CHARS)  # at the text's start (match)
_LONG_PREFIX_AFTER_LF = re.compile("\n" + _PREFIX_CHARS)  # a literal first: searched fast
_LONG_PREFIX_AFTER_BREAK = re.compile("[\n\r\x85\u2028\u2029]" + _PREFIX_CHARS)
_RARE_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def _could_be_deep(text: str) -> bool:
    """Whether ``text`` might nest SAFE_DEPTH levels or more; False is certain, True is not.

    Flow nesting needs one ``[`` or ``{`` a level. A block collection deeper than its parent
    starts at a greater column (a sequence under a mapping key may share it: two levels a
    column), and the only characters that may stand before its first token on its line are
    spaces, tabs, a byte-order mark and the indicators ``-``, ``?`` and ``:``. So the depth is
    at most the number of flow openers plus twice (the longest such run at a line start + 2).
    Two ``str.count`` and one search led by a literal: about 11 us a file on the 1000-file
    corpus of ``bench/validate``, 0.2 % of the time validate spends on a file there.
    """
    if text.count("[") + text.count("{") > _FLOW_OPENERS_SAFE:
        return True
    if _LONG_PREFIX.match(text) or _LONG_PREFIX_AFTER_LF.search(text):
        return True
    if any(brk in text for brk in _RARE_BREAKS):  # lines may also end in CR, NEL, LS or PS
        return _LONG_PREFIX_AFTER_BREAK.search(text) is not None
    return False


def _too_deep(doc: Document) -> bool:
    """Walk ``doc.text`` as parser events; refuse the first value nested past MAX_DEPTH.

    libyaml's parser keeps its own stack (it does not recurse), so this is safe at any depth.
    The problem is the one the builder would record: same place, location and message. A
    syntax error stops the walk; composing then reports it, no deeper than the walk got.
    Returns whether the file was refused.
    """
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        MappingStartEvent,
        ScalarEvent,
        StreamEndEvent,
    )

    loader_class = _loader_class()
    if loader_class is None:  # pragma: no cover - the pure composer raises RecursionError
        return False
    parser = loader_class(doc.text)
    # One frame per open collection: [path, is_mapping, index or awaiting a key, key]
    frames: list[list[Any]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            while True:
                event = parser.get_event()
                if isinstance(event, CollectionEndEvent):
                    frames.pop()
                    _advance(frames)
                    continue
                if isinstance(event, StreamEndEvent):
                    return False
                if not isinstance(event, (CollectionStartEvent, ScalarEvent, AliasEvent)):
                    continue  # the stream's and documents' starts and ends
                parent = frames[-1] if frames else None
                if parent is not None and parent[1] and parent[2]:  # a mapping's key
                    if isinstance(event, ScalarEvent):
                        is_merge = event.value == "<<" and not event.style and not event.tag
                        parent[3] = None if is_merge else event.value
                        parent[2] = False
                        continue
                    parent[3] = None  # a key that is a collection: the builder refuses it
                    path: YPath = parent[0]
                elif parent is None:
                    path = ()
                elif parent[1]:
                    path = parent[0] if parent[3] is None else (*parent[0], parent[3])
                else:
                    path = (*parent[0], parent[2])
                if len(frames) > MAX_DEPTH:
                    doc.problems.append(_too_deep_problem(doc.path, event.start_mark, path))
                    return True
                if isinstance(event, CollectionStartEvent):
                    is_mapping = isinstance(event, MappingStartEvent)
                    frames.append([path, is_mapping, True if is_mapping else 0, None])
                else:
                    _advance(frames)
    except YAMLError:
        return False
    finally:
        parser.dispose()
        parser.__dict__.clear()


def _too_deep_problem(file: Path, mark: Any, path: YPath) -> Problem:
    """The problem of a value nested past MAX_DEPTH; its location names the first levels."""
    location = format_location(path[:4]) + ("..." if len(path) > 4 else "")
    return Problem(
        file,
        mark.line + 1,
        mark.column + 1,
        location,
        "yaml-too-deep",
        f"values are nested more than {MAX_DEPTH} levels deep",
        "configuration is never this deep: look for unclosed brackets or generated data",
    )


def _advance(frames: list[list[Any]]) -> None:
    """A node of the innermost collection is done: count a list item, or await the next key."""
    if frames:
        frame = frames[-1]
        if frame[1]:
            frame[2] = not frame[2]
        else:
            frame[2] += 1


def _compose(text: str) -> Any:
    """The node graph of ``text`` (None when it holds no document), as ``YAML.compose`` does."""
    loader_class = _loader_class()
    if loader_class is None or loader_class.yaml_path_resolvers:
        # No C extension, or resolvers by path were added (answers then depend on the place).
        from ruamel.yaml import YAML

        return YAML(typ="safe", pure=False).compose(text)
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
        loader.__dict__.clear()  # it refers to itself: let it go now, not at the next collection


@functools.cache
def _loader_class() -> Any:
    """The loader ``YAML(typ="safe", pure=False)`` builds for every call, built once.

    The C parser (ruamel.yaml.clib) composes about six times faster than the pure one and keeps
    the same marks. It asks the resolver for the tag of every node; ruamel's resolver looks up
    the YAML version on each call, so answers are remembered, in C (``lru_cache``): they depend
    only on the question, as this loader always resolves as YAML 1.2 (like ruamel's own C
    loader) and without path resolvers (``_compose`` checks).
    """
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.main import CParser  # type: ignore[attr-defined]  # re-exported implicitly
    from ruamel.yaml.resolver import VersionedResolver

    if CParser is None:
        return None
    resolver = VersionedResolver()  # answers as every loader's own resolver would
    resolve = functools.lru_cache(maxsize=_ANSWERS)(
        functools.partial(VersionedResolver.resolve, resolver)
    )

    class _Loader(CParser, SafeConstructor, VersionedResolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            VersionedResolver.__init__(self, version=None, loadumper=self)

    _Loader.resolve = staticmethod(resolve)  # type: ignore[method-assign]
    return _Loader


_ANSWERS = 1024  # tags remembered: the common keys and values of assistant files stay in


def _syntax_message(exc: Any) -> str:
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    if "expected a single document" in context + problem:
        return "the file holds more than one YAML document; an assistant file is one document"
    text = f"invalid YAML: {problem}" if problem else "invalid YAML"
    if context and context != problem:
        text += f" ({context})"
    return text


class _Builder:
    """Turns composed nodes into plain data, enforcing the caps and recording positions."""

    def __init__(self, doc: Document) -> None:
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        self.doc = doc
        self.file, self.nodes = doc.path, doc.nodes
        self.count = 0
        self.aliases = 0
        self.seen: set[int] = set()  # collections built so far (a second visit is an alias)
        self.active: set[int] = set()  # collections being built (a visit is a loop)
        self.tag_texts: dict[int, str] = {}
        self.scalar, self.sequence, self.mapping = ScalarNode, SequenceNode, MappingNode

    def problem(
        self, node: Any, path: YPath, code: str, message: str, hint: str | None = None
    ) -> None:
        mark = node.start_mark
        self.doc.problems.append(
            Problem(
                self.doc.path,
                mark.line + 1,
                mark.column + 1,
                format_location(path),
                code,
                message,
                hint,
            )
        )

    def build(self, node: Any, path: YPath, depth: int, key_mark: tuple[int, int] = (0, 0)) -> Any:
        self.count += 1
        is_scalar = isinstance(node, self.scalar)
        if not is_scalar:
            self._check_alias(node, path)
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            self._refuse_size(node, path, depth)
        tag = self.tag_texts.get(id(node.ctag)) or self._tag(node)
        mark = node.start_mark
        style = (node.style or None) if is_scalar else None
        self.nodes[path] = _new_node(
            Node, (self.file, mark.line + 1, mark.column + 1, key_mark[0], key_mark[1], style)
        )
        if tag not in _BUILT_TAGS:
            self._bad_tag(node, path, tag)
            return None
        if is_scalar:
            if tag == _STR:
                return node.value
            value = _scalar(tag, node.value)
            if isinstance(value, float) and not math.isfinite(value):
                # JSON Schema's bounds let .nan through (every comparison is false) and JSON
                # cannot carry it: refuse it here, where the line is known.
                self.problem(
                    node, path, "type", f"{node.value!r} is not a finite number",
                    "write an ordinary number such as 0.7",
                )
            return value
        ident = id(node)
        self.active.add(ident)
        try:
            if isinstance(node, self.sequence):
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            if isinstance(node, self.mapping):
                return self._mapping(node, path, depth)
        finally:
            self.active.discard(ident)
        return None  # pragma: no cover - ruamel composes only these three kinds

    def _tag(self, node: Any) -> str:
        """The resolved tag of ``node`` as text ("" when it has none).

        ``node.tag`` builds the text anew on every read; most nodes share a handful of tag
        objects (the resolver's answers), so the text is looked up by the object instead.
        While the document is being built every node is alive, so an id stays one object's.
        """
        tag = node.ctag
        text = self.tag_texts.get(id(tag))
        if text is None:
            text = self.tag_texts[id(tag)] = "" if tag is None else str(tag)
        return text

    def _check_alias(self, node: Any, path: YPath) -> None:
        """Refuse a collection that contains itself, or one alias use too many."""
        ident = id(node)
        if ident in self.active:
            self.problem(
                node,
                path,
                "yaml-alias",
                "an alias refers to a node that contains it",
                "recursive structures cannot be configuration",
            )
            raise _Abort
        if ident in self.seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                self.problem(
                    node,
                    path,
                    "yaml-alias",
                    f"the file uses aliases more than {MAX_ALIASES} times",
                    "aliases that expand into huge documents are refused",
                )
                raise _Abort
        self.seen.add(ident)

    def _refuse_size(self, node: Any, path: YPath, depth: int) -> None:
        """Stop at the first value past the node or depth cap."""
        if self.count > MAX_NODES:
            self.problem(
                node,
                path,
                "yaml-too-large",
                f"the file expands to more than {MAX_NODES} values",
                "aliases that expand into huge documents are refused",
            )
            raise _Abort
        self.doc.problems.append(_too_deep_problem(self.doc.path, node.start_mark, path))
        raise _Abort

    def _bad_tag(self, node: Any, path: YPath, tag: str) -> None:
        shown = tag.replace(_STD, "!!")
        if "python/" in tag:
            hint = "tags that build objects are never run: write plain data"
        elif tag in ("!include", "!import", "!ref"):
            hint = "to combine files, use 'extends: other.yaml'"
        else:
            hint = "gptkit files are plain YAML data: remove the tag"
        self.problem(node, path, "yaml-tag", f"the tag '{shown}' is not allowed", hint)

    def _mapping(self, node: Any, path: YPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if self._tag(key_node) == _MERGE:
                self._merge(value_node, path, depth, merged)
                continue
            if not isinstance(key_node, self.scalar):
                self.problem(
                    key_node,
                    path,
                    "yaml-key",
                    "a key must be a plain string, not a list or mapping",
                )
                continue
            key = str(key_node.value)
            kmark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in first_line:
                self.problem(
                    key_node,
                    (*path, key),
                    "duplicate-key",
                    f"the key '{key}' appears twice in this mapping",
                    f"the first '{key}' is on line {first_line[key]}; keep one",
                )
                continue
            first_line[key] = kmark[0]
            result[key] = self.build(value_node, (*path, key), depth + 1, kmark)
        for source in merged:  # keys written in the mapping win over merged ones
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _merge(self, value_node: Any, path: YPath, depth: int, merged: list[Any]) -> None:
        """Build the mappings a ``<<`` key merges, appending them to ``merged``."""
        sources = value_node.value if isinstance(value_node, self.sequence) else [value_node]
        if not all(isinstance(source, self.mapping) for source in sources):
            self.problem(
                value_node,
                path,
                "yaml-merge",
                "'<<' must merge a mapping (an alias such as *defaults)",
            )
            return
        for source in sources:
            value = self.build(source, path, depth + 1)
            if isinstance(value, dict):
                merged.append(value)


_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"\.(nan|NaN|NAN)$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _scalar(tag: str, text: str) -> Any:
    if tag == _STR or tag == _TIMESTAMP:
        return text
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return _BOOL.get(text, text.lower() in ("true", "yes", "on"))
    if tag == _INT_TAG:
        return _to_int(text)
    if tag == _FLOAT_TAG:
        return _to_float(text)
    return text


def _to_int(text: str) -> Any:
    clean = text.replace("_", "")
    try:
        sign = -1 if clean.startswith("-") else 1
        body = clean.lstrip("+-")
        if body[:2] in ("0o", "0x", "0b"):
            return sign * int(body, 0)
        return sign * int(body, 10)
    except ValueError:
        return text


def _to_float(text: str) -> Any:
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return text


def resolve_plain(text: str) -> Any:
    """Read ``text`` as a plain YAML 1.2 scalar: ``20`` is an int, ``true`` a bool, ``x`` a str."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return _to_int(text)
    if _FLOAT.match(text) or _INF.match(text) or _NAN.match(text):
        return _to_float(text)
    return text


def is_within(child: Path, root: Path) -> bool:
    """Whether ``child`` resolves (symlinks followed) to a place inside ``root``."""
    try:
        real_child = os.path.realpath(child)
        real_root = os.path.realpath(root)
    except (OSError, ValueError):
        return False
    return real_child == real_root or real_child.startswith(real_root.rstrip(os.sep) + os.sep)
