"""Composition of an assistant file: ``extends`` merging and ``${VAR}`` substitution.

Both keep the :class:`~gptkit.config.yamlfile.Node` of every value, so a problem found after
merging still points at the file and line it came from, even when that is a partial.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gptkit.config.paths import inside, is_relative_name
from gptkit.config.problems import Problem, format_location
from gptkit.config.yamlfile import Document, Node, YPath, load_document, resolve_plain

MAX_EXTENDS_DEPTH = 10
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
# Keys whose string values are templates or free-form, and so are never substituted.
_NOT_SUBSTITUTED = {"instructions"}

Mode = Literal["validate", "run"]


@dataclass
class Composed:
    """The merged document of one assistant file, with where each value came from."""

    path: Path
    root: Path
    data: Any = None
    nodes: dict[YPath, Node] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # this file and every extended one
    unresolved: set[YPath] = field(default_factory=set)  # values holding an unset ${VAR}
    secrets: set[str] = field(default_factory=set)  # values to print as ***
    mode: Mode = "validate"  # validate: every check; run: the ones a run needs

    def node(self, path: YPath) -> Node:
        """Return the node of ``path``, or of its nearest ancestor that has one."""
        while path not in self.nodes and path:
            path = path[:-1]
        return self.nodes.get(path) or Node(self.path, 0, 0)

    def problem(
        self,
        path: YPath,
        code: str,
        message: str,
        hint: str | None = None,
        *,
        severity: Literal["error", "warning"] = "error",
        at_key: bool = False,
    ) -> None:
        """Record a problem at the value (or key) of ``path``."""
        node = self.node(path)
        line, column = node.line, node.column
        if at_key and node.key_line:
            line, column = node.key_line, node.key_column
        self.problems.append(
            Problem(node.path, line, column, format_location(path), code, message, hint, severity)
        )


def compose(
    path: Path,
    root: Path | None = None,
    *,
    mode: Mode = "validate",
    environ: Mapping[str, str] | None = None,
) -> Composed:
    """Load ``path``, merge what it extends and substitute ``${VAR}`` from ``environ``."""
    root = root if root is not None else path.parent
    result = Composed(path=path, root=root, mode=mode)
    data, nodes = _load_merged(path, root, [], result)
    result.data, result.nodes = data, nodes
    if isinstance(data, dict):
        data.pop("extends", None)
        if _may_refer(result.documents):
            _substitute(result, os.environ if environ is None else environ, mode)
    return result


def _may_refer(documents: list[Document]) -> bool:
    """Whether a value of these files may hold a ``$`` (a reference, or ``$$``) to substitute.

    A value's characters are the file's, except those an escape (a backslash) makes: without
    either character in any file, substitution would change nothing, so it is skipped.
    """
    return any("$" in doc.text or "\\" in doc.text for doc in documents)


def _load_merged(
    path: Path, root: Path, chain: list[Path], result: Composed
) -> tuple[Any, dict[YPath, Node]]:
    doc = load_document(path)
    result.documents.append(doc)
    result.problems.extend(doc.problems)
    if not doc.ok or not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc.data, doc.nodes
    extends = doc.data["extends"]
    names = [extends] if isinstance(extends, str) else extends
    if not isinstance(names, list):
        return doc.data, doc.nodes  # the schema check reports the type
    base: Any = {}
    base_nodes: dict[YPath, Node] = {}
    for index, name in enumerate(names):
        where: YPath = ("extends",) if isinstance(extends, str) else ("extends", index)
        target = _extends_target(doc, where, name, root, chain, result)
        if target is None:
            continue
        data, nodes = _load_merged(target, root, [*chain, path], result)
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "extends"}
            base, base_nodes = merge(base, base_nodes, data, nodes, ())
    return merge(base, base_nodes, doc.data, doc.nodes, ())


def _extends_target(
    doc: Document, where: YPath, name: Any, root: Path, chain: list[Path], result: Composed
) -> Path | None:
    node = doc.nodes.get(where) or Node(doc.path, 0, 0)

    def report(code: str, message: str, hint: str | None = None) -> None:
        result.problems.append(
            Problem(doc.path, node.line, node.column, format_location(where), code, message, hint)
        )

    if not isinstance(name, str) or not name:
        return None  # the schema check reports the type
    if not is_relative_name(name):
        report(
            "path-outside",
            f"'{name}' is not a relative path",
            "extends names files relative to this one, inside the project",
        )
        return None
    target = inside(doc.path.parent, name, root)
    if target is None:
        report(
            "path-outside",
            f"'{name}' leads outside the project folder",
            "keep extended files inside the project (or widen it with --root)",
        )
        return None
    if not target.is_file():
        report("missing-file", f"the extended file '{name}' does not exist")
        return None
    real = Path(os.path.realpath(target))
    seen = [Path(os.path.realpath(p)) for p in [*chain, doc.path]]
    if real in seen:
        loop = " -> ".join(p.name for p in [*chain, doc.path, target])
        report("extends-cycle", f"extends forms a cycle: {loop}", "remove one of the links")
        return None
    if len(chain) + 1 >= MAX_EXTENDS_DEPTH:
        names = " -> ".join(p.name for p in [*chain, doc.path, target])
        report(
            "extends-depth",
            f"extends goes deeper than {MAX_EXTENDS_DEPTH} files: {names}",
            "flatten the chain",
        )
        return None
    return target


def merge(
    base: Any, base_nodes: dict[YPath, Node], top: Any, top_nodes: dict[YPath, Node], path: YPath
) -> tuple[Any, dict[YPath, Node]]:
    """Deep-merge ``top`` over ``base``: mappings key by key, anything else replaced."""
    nodes: dict[YPath, Node] = {}
    data = _merge_into(base, base_nodes, top, top_nodes, path, nodes)
    return data, nodes


def _merge_into(
    base: Any,
    base_nodes: dict[YPath, Node],
    top: Any,
    top_nodes: dict[YPath, Node],
    path: YPath,
    out: dict[YPath, Node],
) -> Any:
    if not (isinstance(base, dict) and isinstance(top, dict)):
        _copy_nodes(top, top_nodes, path, out)
        return top
    if path in top_nodes:
        out[path] = top_nodes[path]
    elif path in base_nodes:
        out[path] = base_nodes[path]
    result: dict[str, Any] = {}
    for key, value in base.items():
        if key not in top:
            result[key] = value
            _copy_nodes(value, base_nodes, (*path, key), out)
    for key, value in top.items():
        if key in base:
            result[key] = _merge_into(base[key], base_nodes, value, top_nodes, (*path, key), out)
        else:
            result[key] = value
            _copy_nodes(value, top_nodes, (*path, key), out)
    return result


def _copy_nodes(value: Any, src: dict[YPath, Node], path: YPath, out: dict[YPath, Node]) -> None:
    if path in src:
        out[path] = src[path]
    if isinstance(value, dict):
        for key, item in value.items():
            _copy_nodes(item, src, (*path, key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _copy_nodes(item, src, (*path, index), out)


_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{")


def _substitute(result: Composed, environ: Mapping[str, str], mode: Mode) -> None:
    data = result.data
    for key in list(data):
        if key in _NOT_SUBSTITUTED or key.startswith("x-"):
            continue
        value = _substitute_value(result, data[key], (key,), environ, mode)
        if value is _ABSENT:
            del data[key]
        else:
            data[key] = value


_ABSENT = object()


def _substitute_value(
    result: Composed, value: Any, path: YPath, environ: Mapping[str, str], mode: Mode
) -> Any:
    if isinstance(value, dict):
        for key in list(value):
            new = _substitute_value(result, value[key], (*path, key), environ, mode)
            if new is _ABSENT:
                del value[key]
            else:
                value[key] = new
        return value
    if isinstance(value, list):
        return [
            (
                ""
                if (new := _substitute_value(result, item, (*path, i), environ, mode)) is _ABSENT
                else new
            )
            for i, item in enumerate(value)
        ]
    if not isinstance(value, str) or "$" not in value:
        return value
    return _substitute_text(result, value, path, environ, mode)


def _substitute_text(
    result: Composed, text: str, path: YPath, environ: Mapping[str, str], mode: Mode
) -> Any:
    unresolved = False
    broken = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved, broken
        whole, name, default = match.group(0), match.group(1), match.group(2)
        if whole == "$$":
            return "$"
        if name is None:
            broken = True
            return whole
        found = environ.get(name)
        if found is None or (found == "" and default is not None):
            if default is not None:
                return default
            unresolved = True
            severity: Literal["error", "warning"] = "warning" if mode == "validate" else "error"
            result.problem(
                path,
                "unset-variable",
                f"the environment variable {name} is not set",
                f"set {name}, or give a default: ${{{name}:-value}}",
                severity=severity,
            )
            return whole
        if any(word in name.upper() for word in SECRET_WORDS) and found:
            result.secrets.add(found)
        return found

    out = _REF.sub(replace, text)
    if broken:
        result.problem(
            path,
            "substitution-syntax",
            "a '${' here does not form ${NAME} or ${NAME:-default}",
            "write $$ for a literal '$'",
        )
        result.unresolved.add(path)
        return text
    if unresolved:
        result.unresolved.add(path)
        return text
    if out == "":
        return _ABSENT
    if _REF.fullmatch(text) and text != "$$":
        return resolve_plain(out)
    return out
