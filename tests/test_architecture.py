"""The house rules of gptkit's imports: one way down, and no cycles.

Every ``import`` in ``gptkit/`` counts: at module level, inside functions and under
``TYPE_CHECKING`` alike, because each one is a dependency a reader (and mypy) must follow, and a
function-level import that goes the wrong way is a cycle waiting for the first caller.

The layers, top to bottom (a module may import its own unit, and any unit in a lower layer)::

    interfaces   gptkit.cli (with gptkit.__main__), gptkit.testing, gptkit.serve
    facade       gptkit (the public names, resolved lazily)
    runtime      gptkit.runtime
    loading      gptkit.loading, gptkit.lint (what validate and load run)
    parts        gptkit.prompts, gptkit.tools, gptkit.memory, gptkit.providers
    leaves       gptkit.errors, gptkit.messages
    config       gptkit.config (the format itself: imports nothing else of gptkit)

Units of one layer do not import each other, except the few edges in :data:`PEER_EDGES`.
``from gptkit import __version__`` is fine anywhere: the package is loaded before any of its
modules, and that constant brings nothing else in.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gptkit"

#: Each layer and its units (a unit is a package, or a module, and everything under it).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # gptkit.serve: the HTTP server of `gptkit serve`, an interface like the CLI that starts it
    ("interfaces", ("gptkit.cli|gptkit.__main__", "gptkit.testing", "gptkit.serve")),
    ("facade", ("gptkit",)),
    ("runtime", ("gptkit.runtime",)),
    ("loading", ("gptkit.loading|gptkit.lint",)),  # one unit: load runs lint
    ("parts", ("gptkit.prompts", "gptkit.tools", "gptkit.memory", "gptkit.providers")),
    ("leaves", ("gptkit.errors", "gptkit.messages")),
    ("config", ("gptkit.config",)),
]

#: Imports between units of one layer that the design accepts, each with its reason.
PEER_EDGES: dict[tuple[str, str], str] = {
    ("gptkit.cli.serve", "gptkit.serve"): (
        "`gptkit serve` checks the files as validate does, then starts the server package"
    ),
    ("gptkit.providers", "gptkit.tools.base"): (
        "the wire formats describe tools to the model with tools.base.ToolSpec, a plain record"
    ),
}

#: Imports the layers allow but the design does not: (importer prefix, imported prefix): why.
FORBIDDEN: dict[tuple[str, str], str] = {
    ("gptkit.runtime.dispatch", "gptkit.providers"): (
        "tool dispatch runs tools; it knows nothing of the model API"
    ),
}

#: TEMPORARY. Edges other engineers are removing on their branches at the same time; each is
#: (importer module, imported module). The lead empties this list after merging those branches,
#: and from then on the test holds the line. Do not add to it.
ALLOWED_FOR_NOW: dict[tuple[str, str], str] = {

}


@dataclass(frozen=True)
class Edge:
    """One import statement from a gptkit module of another gptkit module."""

    source: str
    target: str
    line: int
    where: str  # "module level" or "in a function"

    def describe(self) -> str:
        """``gptkit/x.py:12 (in a function): gptkit.x imports gptkit.y``."""
        path = _path_of(self.source)
        return f"{path}:{self.line} ({self.where}): {self.source} imports {self.target}"


def _modules() -> dict[str, Path]:
    found = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = file
    return found


MODULES = _modules()


def _path_of(module: str) -> str:
    return str(MODULES[module].relative_to(PACKAGE.parent))


def _imports(module: str, file: Path) -> list[Edge]:
    tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function.update(id(child) for child in ast.walk(node) if child is not node)
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    edges = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from gptkit.memory import tokens` is the submodule
                submodule = f"{base}.{alias.name}"
                targets.append(submodule if submodule in MODULES else base)
        else:
            continue
        where = "in a function" if id(node) in in_function else "module level"
        for target in dict.fromkeys(targets):
            if target == "gptkit" or target.startswith("gptkit."):
                edges.append(Edge(module, _known(target), node.lineno, where))
    return sorted(edges, key=lambda edge: edge.line)


def _known(target: str) -> str:
    """The module an import names: ``import gptkit.memory.store as s`` names that module."""
    while target not in MODULES and "." in target:
        target = target.rpartition(".")[0]
    return target


EDGES = [edge for module, file in MODULES.items() for edge in _imports(module, file)]


def _unit(module: str) -> tuple[int, str]:
    """(layer index, unit) of a module; the most specific unit wins (gptkit.cli over gptkit)."""
    best: tuple[int, str, int] | None = None
    for index, (_name, units) in enumerate(LAYERS):
        for unit in units:
            for prefix in unit.split("|"):
                if (module == prefix or module.startswith(prefix + ".")) and (
                    best is None or len(prefix) > best[2]
                ):
                    best = (index, unit, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS in {__file__}"
    return best[0], best[1]


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _wrong_way(edge: Edge) -> str | None:
    """Why ``edge`` breaks the layering, or None when it is fine."""
    source_layer, source_unit = _unit(edge.source)
    target_layer, target_unit = _unit(edge.target)
    for (importer, imported), reason in FORBIDDEN.items():
        if _under(edge.source, importer) and _under(edge.target, imported):
            return f"not allowed: {reason}"
    if source_unit == target_unit:
        return None
    source_name, target_name = LAYERS[source_layer][0], LAYERS[target_layer][0]
    if source_layer < target_layer:
        return None
    if source_layer == target_layer:
        for (importer, imported), _reason in PEER_EDGES.items():
            if _under(edge.source, importer) and _under(edge.target, imported):
                return None
        return (
            f"{source_unit} and {target_unit} are both in the {source_name} layer, "
            "which do not import each other"
        )
    return f"the {source_name} layer imports the {target_name} layer above it"


def _version_only(edge: Edge) -> bool:
    """``from gptkit import __version__``: a constant of the package, loaded before any module."""
    if edge.target != "gptkit":
        return False
    tree = ast.parse(MODULES[edge.source].read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.ImportFrom)
        and node.lineno == edge.line
        and node.module == "gptkit"
        and [alias.name for alias in node.names] == ["__version__"]
        for node in ast.walk(tree)
    )


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        _unit(module)


def _counted(edge: Edge) -> bool:
    return (edge.source, edge.target) not in ALLOWED_FOR_NOW and not _version_only(edge)


def test_imports_flow_one_way() -> None:
    broken = []
    for edge in filter(_counted, EDGES):
        reason = _wrong_way(edge)
        if reason:
            broken.append(f"{edge.describe()}: {reason}")
    assert not broken, "imports that go the wrong way:\n" + "\n".join(broken)


def test_there_are_no_import_cycles() -> None:
    graph: dict[str, list[Edge]] = {module: [] for module in MODULES}
    for edge in filter(_counted, EDGES):
        if edge.source != edge.target:
            graph[edge.source].append(edge)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n\n".join(
        "\n".join(edge.describe() for edge in cycle) for cycle in cycles
    )


def _cycles(graph: dict[str, list[Edge]]) -> list[list[Edge]]:
    """The shortest loop through each group of modules that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for edge in graph[module]:
            if edge.target not in index:
                connect(edge.target)
                low[module] = min(low[module], low[edge.target])
            elif edge.target in stack:
                low[module] = min(low[module], index[edge.target])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return [_shortest_loop(graph, group) for group in sorted(groups, key=min)]


def _shortest_loop(graph: dict[str, list[Edge]], group: set[str]) -> list[Edge]:
    start = min(group)
    paths: dict[str, list[Edge]] = {start: []}
    queue = [start]
    for module in queue:  # breadth first, inside the group
        for edge in graph[module]:
            if edge.target == start:
                return [*paths[module], edge]
            if edge.target in group and edge.target not in paths:
                paths[edge.target] = [*paths[module], edge]
                queue.append(edge.target)
    raise AssertionError(f"no loop through {start}")  # a group always has one


def test_the_temporary_allow_list_only_holds_edges_that_exist() -> None:
    """An entry whose import is gone is stale: delete it, so the rule holds again."""
    present = {(edge.source, edge.target) for edge in EDGES}
    stale = [f"{a} -> {b}" for a, b in ALLOWED_FOR_NOW if (a, b) not in present]
    assert not stale, "remove from ALLOWED_FOR_NOW (the import is gone): " + ", ".join(stale)


# The checker itself: each rule fails on the edge it names.


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("gptkit.config.models", "gptkit.runtime.session", "the config layer imports the runtime"),
        ("gptkit.tools.arguments", "gptkit.lint.strict", "the parts layer imports the loading"),
        ("gptkit.providers.cassette", "gptkit.loading", "the parts layer imports the loading"),
        ("gptkit.tools.python", "gptkit.memory.store", "both in the parts layer"),
        ("gptkit.runtime.dispatch", "gptkit.providers.errors", "not allowed: tool dispatch"),
        ("gptkit.cli.run", "gptkit.testing", "both in the interfaces layer"),
        ("gptkit.errors", "gptkit", "the leaves layer imports the facade"),
    ],
)
def test_the_checker_names_a_wrong_way_edge(source: str, target: str, expected: str) -> None:
    reason = _wrong_way(Edge(source, target, 1, "module level"))
    assert reason is not None and expected in reason, reason


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("gptkit.cli.run", "gptkit.runtime.session"),
        ("gptkit.runtime.session", "gptkit.providers.client"),
        ("gptkit.lint.tools", "gptkit.config.strict"),
        ("gptkit.tools.arguments", "gptkit.config.strict"),
        ("gptkit.providers.base", "gptkit.tools.base"),
        ("gptkit.memory.sql", "gptkit.memory.store"),
        ("gptkit.errors", "gptkit.config.problems"),
    ],
)
def test_the_checker_lets_a_downward_edge_pass(source: str, target: str) -> None:
    assert _wrong_way(Edge(source, target, 1, "module level")) is None


def test_the_checker_finds_a_cycle_through_a_function_level_import() -> None:
    a_b = Edge("gptkit.a", "gptkit.b", 3, "module level")
    b_c = Edge("gptkit.b", "gptkit.c", 4, "in a function")
    c_a = Edge("gptkit.c", "gptkit.a", 5, "module level")
    graph = {"gptkit.a": [a_b], "gptkit.b": [b_c], "gptkit.c": [c_a], "gptkit.d": []}
    assert _cycles(graph) == [[a_b, b_c, c_a]]
    assert _cycles({"gptkit.a": [a_b], "gptkit.b": [], "gptkit.c": [], "gptkit.d": []}) == []


def test_the_parser_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "models.py"
    source.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import names\n"
        "if TYPE_CHECKING:\n"
        "    from gptkit.errors import ConfigError\n"
        "def session():\n"
        "    from gptkit.runtime.session import Session\n"
        "    import gptkit.memory.store as store\n",
        encoding="utf-8",
    )
    edges = _imports("gptkit.config.models", source)
    assert [(e.target, e.line, e.where) for e in edges] == [
        ("gptkit.config.names", 3, "module level"),
        ("gptkit.errors", 5, "module level"),
        ("gptkit.runtime.session", 7, "in a function"),
        ("gptkit.memory.store", 8, "in a function"),
    ]
