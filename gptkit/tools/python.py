"""Python tools: a function of the project (or of a package offering ``gptkit.tools``), called.

Building one imports the module that :func:`gptkit.tools.resolve.locate` found, and makes sure the
module imported IS that file, without changing what any other import resolves to: the folder is
never put on ``sys.path``. Its modules are loaded under a private package name for that folder
(``_gptkit_project_<hash>.tools``), so a project's ``http.py`` or ``queue.py`` never stands in for
the standard library's, and two projects' ``tools.py`` never meet. Tool modules import their
siblings relatively (``from .weather import lookup``) or by absolute name (``import helpers``,
``from kit.base import X``); an absolute name resolves in the project only when no installed or
standard module has it, and only for imports made by the project's own modules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import inspect
import json
import re
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from gptkit.errors import ToolError
from gptkit.tools.arguments import Arguments, DerivedArguments, SchemaArguments, read_parameters
from gptkit.tools.base import Tool, ToolContext, ToolSpec
from gptkit.tools.resolve import Target

_PRIVATE_PREFIX = "_gptkit_project_"


class PythonTool(Tool):
    """A Python function the model can call; sync functions run in a worker thread."""

    def __init__(
        self,
        function: Callable[..., Any],
        arguments: Arguments,
        *,
        description: str,
        strict: bool = True,
        confirm: bool = False,
        timeout_s: float | None = None,
    ) -> None:
        spec = ToolSpec(arguments.tool, description, arguments.schema, strict)
        super().__init__(spec=spec, confirm=confirm, timeout_s=timeout_s)
        self.function = function
        self.arguments = arguments
        self.parameters = read_parameters(function, arguments.tool)

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        *,
        name: str,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
        strict: bool = True,
        confirm: bool = False,
        timeout_s: float | None = None,
    ) -> PythonTool:
        """Make a tool of ``function``; its schema comes from ``parameters`` or the signature."""
        doc = inspect.getdoc(function) or ""
        if parameters is not None:
            arguments: Arguments = SchemaArguments(parameters, name)
            _check_schema_fits(function, parameters, name)
        else:
            arguments = DerivedArguments(
                function, name, strict=strict, descriptions=argument_descriptions(doc)
            )
        return cls(
            function,
            arguments,
            description=description if description is not None else summary(doc),
            strict=strict,
            confirm=confirm,
            timeout_s=timeout_s,
        )

    def parse(self, arguments: str) -> dict[str, Any]:
        """Check the model's raw JSON; see :class:`gptkit.tools.arguments.Arguments`."""
        return self.arguments.parse(arguments)

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        """Call the function (exceptions propagate to the dispatcher) and return its result as text."""
        args, kwargs = self.parameters.call(arguments, context)
        if _is_async(self.function):
            result = await self.function(*args, **kwargs)
        else:
            result = await asyncio.to_thread(self.function, *args, **kwargs)
            if inspect.isawaitable(result):  # a sync wrapper that hands back a coroutine
                result = await result
        return to_text(result)


def to_text(value: Any) -> str:
    """A function's result as the model reads it: text as is, None as "", data as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    from pydantic import BaseModel
    from pydantic_core import to_jsonable_python

    data_like = (bool, int, float, dict, list, tuple, set, frozenset, enum.Enum, BaseModel)
    if isinstance(value, data_like) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        data = to_jsonable_python(value, fallback=str)
        return json.dumps(data, ensure_ascii=False, default=str)
    return str(value)


def load_function(target: Target, folder: Path, tool: str, reference: str) -> Callable[..., Any]:
    """Import ``target``'s module from ``folder`` (checked to be the located file); its attribute."""
    module = import_target(target, folder, tool, reference)
    where = target.file.name if target.file is not None else target.module
    try:
        value = getattr(module, target.attribute)
    except AttributeError:
        raise ToolError(
            f"tool '{tool}': after importing {target.module}, it has no attribute "
            f"'{target.attribute}' ({reference}). Define {target.attribute} at the top level of "
            f"{where}, or correct the function reference in the assistant file."
        ) from None
    if not callable(value):
        raise ToolError(
            f"tool '{tool}': {reference} is a value of type {type(value).__name__}, not a "
            "function. Name a function (def or async def) in the function reference."
        )
    return cast(Callable[..., Any], value)


def import_target(target: Target, folder: Path, tool: str, reference: str) -> types.ModuleType:
    """Import the module of ``target`` from ``folder``; no other module is used in its place.

    The module is loaded under gptkit's private package name for ``folder`` (see the module
    docstring), so it is always the located file, and nothing else any import resolves to moves.
    """
    if target.file is None:  # offered by an installed package through gptkit.tools
        return _guarded(
            lambda: importlib.import_module(target.module), target, folder, tool, reference
        )
    folder = folder.resolve()
    expected = target.file.resolve()
    importlib.invalidate_caches()  # the file may be newer than the import system's listings
    module = _guarded(
        lambda: importlib.import_module(f"{project_package(folder)}.{target.module}"),
        target,
        folder,
        tool,
        reference,
    )
    if _file_of(module) != expected:
        raise ToolError(
            f"tool '{tool}': importing {target.module} ({reference}) loaded "
            f"{_file_of(module) or 'a module without a file'} instead of {expected}. Rename the "
            "module so that its name is not taken by another module."
        )
    return module


def project_package(folder: Path) -> str:
    """The private package name whose modules are the files of ``folder`` (made on first use)."""
    alias = _PRIVATE_PREFIX + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    if alias not in sys.modules:
        package = types.ModuleType(alias, f"gptkit's name for the tool modules in {folder}")
        spec = importlib.machinery.ModuleSpec(alias, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        package.__spec__ = spec
        package.__path__ = [str(folder)]
        sys.modules[alias] = package
    for finder in _FINDERS:
        finder.install()
    return alias


class _SiblingFinder(importlib.abc.MetaPathFinder):
    """Lets tool modules import their siblings by absolute name, without moving other imports.

    Two places on ``sys.meta_path``:

    - last (``fallback``): a top-level name that no other finder found, imported by the code of
      a project's module (the importing frame's module is under a private package name), is
      looked for in that project's folder. Other code never gets a project file, and a name
      the standard library or an installed package has is never taken.
    - first: ``lib.words`` when ``lib`` is already such a sibling is the private
      ``<package>.lib.words``, so a module is never loaded twice under two names.
    """

    def __init__(self, *, fallback: bool) -> None:
        self.fallback = fallback

    def install(self) -> None:
        if self in sys.meta_path:
            return
        if self.fallback:
            sys.meta_path.append(self)
        else:
            sys.meta_path.insert(0, self)

    def find_spec(
        self, name: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name.startswith(_PRIVATE_PREFIX):
            return None
        parent, _, child = name.rpartition(".")
        if self.fallback:
            if parent:
                return None
            package = _importing_package()
            if package is None or not _has_module(Path(sys.modules[package].__path__[0]), name):
                return None
            return importlib.machinery.ModuleSpec(name, _AliasLoader(f"{package}.{name}"))
        if not parent:
            return None
        owner = sys.modules.get(parent)
        real = getattr(owner, "__name__", None)
        if not isinstance(real, str) or not real.startswith(_PRIVATE_PREFIX) or real == parent:
            return None
        return importlib.machinery.ModuleSpec(name, _AliasLoader(f"{real}.{child}"))


class _AliasLoader(importlib.abc.Loader):
    """Loads a name as the module already imported (or importable) under a private name."""

    def __init__(self, real: str) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.real)
        self._spec = module.__spec__  # the import system writes the alias's spec over it
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self._spec  # already executed under its real name: only restore


_IMPORT_SYSTEM = re.compile(r"(?:importlib|_frozen_importlib(?:_external)?)(?:\.|$)")


def _importing_package() -> str | None:
    """The private package of the module whose code asked for the import, if it is a project's.

    Only the importer counts (the nearest frame outside the import system): a library that a
    tool uses, importing an optional dependency of its own, never gets a project file for it.
    """
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and (
        frame.f_globals is globals() or _IMPORT_SYSTEM.match(str(frame.f_globals.get("__name__")))
    ):
        frame = frame.f_back
    if frame is None:
        return None
    name = frame.f_globals.get("__name__")
    if isinstance(name, str) and name.startswith(_PRIVATE_PREFIX):
        package = name.partition(".")[0]
        return package if package in sys.modules else None
    return None


def _has_module(folder: Path, name: str) -> bool:
    """Whether ``folder`` holds a module or package ``name`` (a file, or a folder)."""
    if not name.isidentifier():
        return False
    return (folder / f"{name}.py").is_file() or (folder / name).is_dir()


_FINDERS = (_SiblingFinder(fallback=True), _SiblingFinder(fallback=False))


def _guarded(
    load: Callable[[], types.ModuleType], target: Target, root: Path, tool: str, reference: str
) -> types.ModuleType:
    try:
        return load()
    except (Exception, SystemExit) as exc:  # whatever the module does at import time
        raise ToolError(_import_failure(exc, target, root, tool, reference)) from exc


def _import_failure(
    exc: BaseException, target: Target, root: Path, tool: str, reference: str
) -> str:
    where = _where_raised(exc, root)
    if isinstance(exc, SyntaxError):
        what = f"a syntax error: {exc.msg}"
    else:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    advice = f'Fix the module so that `python -c "import {target.module}"` works in {root}'
    if (
        isinstance(exc, ModuleNotFoundError)
        and exc.name
        and not exc.name.startswith(_PRIVATE_PREFIX)
    ):
        advice = (
            f"Install '{exc.name.partition('.')[0]}' into the environment gptkit runs in, "
            f"or add {exc.name.replace('.', '/')}.py to the project"
        )
    return (
        f"tool '{tool}' ({reference}) cannot be prepared: importing {target.module} failed"
        f"{' at ' + where if where else ''} with {what}. {advice}, or remove the tool."
    )


def _where_raised(exc: BaseException, root: Path) -> str | None:
    """``pkg/mod.py line 3``: the innermost place inside the project, else the innermost file."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_shown(Path(exc.filename), root)} line {exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    inside = [f for f in frames if _inside(Path(f.filename), root)]
    candidates = inside or frames[-1:]
    chosen = candidates[-1] if candidates else None
    if chosen is None or chosen.filename == __file__:
        return None
    return f"{_shown(Path(chosen.filename), root)} line {chosen.lineno}"


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def _file_of(module: types.ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if isinstance(file, str) else None


def _is_async(function: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


def _check_schema_fits(function: Callable[..., Any], schema: dict[str, Any], tool: str) -> None:
    """A ``parameters`` schema must name only parameters the function takes, and all it needs."""
    parameters = read_parameters(function, tool)
    signature = parameters.signature
    assert signature is not None
    declared = schema.get("properties")
    properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
    unknown = [n for n in properties if n not in parameters.names]
    if unknown and not parameters.var_keyword:
        raise ToolError(
            f"tool '{tool}': its parameters schema has {', '.join(map(repr, unknown))}, which the "
            "function does not take. Rename the parameter, or add it to the function."
        )
    required = set(schema.get("required", ()))
    needed = [
        n
        for n in parameters.names
        if signature.parameters[n].default is inspect.Parameter.empty and n not in required
    ]
    if needed:
        raise ToolError(
            f"tool '{tool}': the function needs {', '.join(map(repr, needed))}, which its "
            "parameters schema does not list in required. Add them to properties and required, "
            "or give them defaults in the function."
        )


def summary(doc: str) -> str:
    """The first paragraph of a docstring, on one line."""
    paragraph = re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0]
    return " ".join(paragraph.split())


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params):\s*$")
_ARGUMENT = re.compile(r"^(\**\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")


def argument_descriptions(doc: str) -> dict[str, str]:
    """Per-parameter descriptions from a Google-style ``Args:`` section of a docstring."""
    found: dict[str, str] = {}
    lines = doc.splitlines()
    starts = [i for i, line in enumerate(lines) if _SECTION.match(line) and line[:1].strip()]
    if not starts:
        return found
    start = starts[0]
    indent: int | None = None
    current: str | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            break  # the next section (Returns:, Raises:...)
        indent = depth if indent is None else indent
        match = _ARGUMENT.match(line.strip())
        if depth == indent and match:
            current = match.group(1).lstrip("*")
            found[current] = match.group(3).strip()
        elif depth > indent and current is not None:
            found[current] = f"{found[current]} {line.strip()}".strip()
    return {name: text for name, text in found.items() if text}
