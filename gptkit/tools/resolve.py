"""Find a python tool's function from its ``module.path:attribute`` reference, without importing.

The rules of format.md: the module is a file inside the assistant's project, or belongs to an
installed package that offers it through the ``gptkit.tools`` entry-point group. Anything else
(the standard library, ``builtins``, any other installed module) is refused, so a YAML file is
never a way to call ``os:system``. Locating reads the file's source with :mod:`ast`; nothing in
it runs, which keeps ``gptkit validate`` safe on untrusted pull requests.
"""

from __future__ import annotations

import ast
import difflib
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from gptkit.config.yamlfile import MAX_FILE_BYTES, is_within

ENTRY_POINT_GROUP = "gptkit.tools"


@dataclass(frozen=True)
class Target:
    """Where a tool's function lives."""

    module: str
    attribute: str
    file: Path | None  # None for a module offered by an installed package
    package: str | None = None  # the distribution offering it through gptkit.tools
    docstring: str | None = None


class ResolveError(Exception):
    """A reference that does not lead to a function gptkit may call."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def locate(reference: str, folder: Path, root: Path | None = None) -> Target:
    """Return where ``reference`` points (or the package offering it); never import.

    Args:
        reference: ``module.path:attribute`` as the assistant file gives it.
        folder: where the module is looked up: the assistant file's folder.
        root: the folder the module's file must stay inside (``--root``, which only widens
            it); ``folder`` when not given.
    """
    root = folder if root is None else root
    module, _, attribute = reference.partition(":")
    parts = module.split(".")
    for candidate in _candidates(folder, module):
        if candidate.is_file():
            if not is_within(candidate, root):
                raise ResolveError(
                    "tool-outside",
                    f"'{reference}': the module '{module}' is a link that leads outside the "
                    "project",
                    "tool modules must be real files inside the assistant's folder",
                )
            return _in_file(candidate, module, attribute)
    package = offering_package(module)
    if package is not None:
        return Target(module, attribute, None, package=package)
    top = parts[0]
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        raise ResolveError(
            "tool-outside",
            f"'{reference}' names the standard-library module '{top}'; an assistant file "
            "cannot call it",
            "write a function in a module inside the assistant's folder and name it here",
        )
    raise ResolveError(
        "tool-missing",
        f"no module '{module}' in the assistant's folder",
        f"create {'/'.join(parts)}.py beside the assistant file, or install a package that "
        f"offers it through the '{ENTRY_POINT_GROUP}' entry-point group",
    )


@functools.lru_cache(maxsize=1024)
def _candidates(folder: Path, module: str) -> tuple[Path, Path]:
    """The files ``module`` may be in ``folder``: ``a/b.py``, then ``a/b/__init__.py``.

    Only names are joined here (the file system is asked later), so each pair is made once.
    """
    parts = module.split(".")
    return folder.joinpath(*parts).with_suffix(".py"), folder.joinpath(*parts, "__init__.py")


def _in_file(path: Path, module: str, attribute: str) -> Target:
    names = _module_names(path)
    if attribute not in names:
        functions = [
            n for n, v in names.items() if isinstance(v, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        close = difflib.get_close_matches(attribute, functions, n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else f"{module} defines: {', '.join(functions)}"
            if functions
            else None
        )
        raise ResolveError("tool-attribute", f"{module} has no '{attribute}'", hint)
    found = names[attribute]
    doc = (
        ast.get_docstring(found)
        if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        else None
    )
    return Target(module, attribute, path, docstring=doc)


_MODULES: dict[tuple[str, int, int], dict[str, ast.AST] | ResolveError] = {}


def _module_names(path: Path) -> dict[str, ast.AST]:
    """The top-level names a module file defines, parsed once per file version."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ResolveError("tool-module", f"cannot read {path.name}: {exc.strerror}") from exc
    key = (str(path), stat.st_mtime_ns, stat.st_size)  # one stat, no resolve: cheap per reference
    if key not in _MODULES:
        try:
            _MODULES[key] = _parse_names(path, stat.st_size)
        except ResolveError as exc:
            _MODULES[key] = exc
    found = _MODULES[key]
    if isinstance(found, ResolveError):
        raise found
    return found


def _parse_names(path: Path, size: int) -> dict[str, ast.AST]:
    try:
        if size > MAX_FILE_BYTES:
            raise ResolveError("tool-module", f"{path.name} is larger than 10 MiB")
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        raise ResolveError(
            "tool-module",
            f"{path.name} line {exc.lineno}: the module has a syntax error: {exc.msg}",
            "fix the module so that Python can import it",
        ) from exc
    except (OSError, ValueError) as exc:
        raise ResolveError("tool-module", f"cannot read {path.name}: {exc}") from exc
    names: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
    return names


def offering_package(module: str) -> str | None:
    """Return the distribution that offers ``module`` through ``gptkit.tools``, if any."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        offered = entry.value.partition(":")[0].strip()
        if module == offered or module.startswith(offered + "."):
            return entry.dist.name if entry.dist is not None else entry.name
    return None
