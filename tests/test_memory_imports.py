"""gptkit.memory's imports flow one way: the interface (store.py) imports no backend, and the
modules of the package form no cycle (lazy imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import gptkit.memory

PACKAGE = Path(gptkit.memory.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every gptkit.memory module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("gptkit.memory.")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path) & set(modules) - {name} for name, path in modules.items()}


def test_the_store_interface_imports_no_backend() -> None:
    # not even lazily: the backends import the interface, and backends.py picks among them
    assert _graph()["gptkit.memory.store"] <= {"gptkit.memory.ids"}, _graph()["gptkit.memory.store"]


def test_memory_modules_form_no_cycle() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name):] + [name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for target in sorted(graph.get(name, ())):
            if target != "gptkit.memory":  # the package's __init__ re-exports; importing it is fine
                visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        if name != "gptkit.memory":
            visit(name, [])
