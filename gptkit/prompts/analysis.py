"""Static checks of a template: syntax, unknown filters, and names the context does not provide.

Nothing is rendered: the template is parsed and its tree walked, so ``validate`` can run on
untrusted files.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from gptkit.prompts.context import CONTEXT
from gptkit.prompts.sandbox import analysis_environment


@dataclass(frozen=True)
class TemplateIssue:
    """One problem in a template, at a 1-based line of the template's own text."""

    line: int
    code: str
    message: str
    hint: str | None = None


@dataclass
class Analysis:
    """The result of analysing one template."""

    issues: list[TemplateIssue] = field(default_factory=list)
    includes: list[tuple[str, int]] = field(default_factory=list)  # (name, line)


def analyze(source: str, declared_vars: frozenset[str] | set[str]) -> Analysis:
    """Parse ``source`` and report what would fail when it is rendered."""
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.parser import Parser

    env = analysis_environment()
    result = Analysis()
    try:
        # What ``env.parse`` does, without its last walk (handing every node the environment,
        # which only compiling needs) and its traceback rewriting for errors we only read.
        tree = nodes.Template(Parser(env, source).subparse(), lineno=1)
    except TemplateSyntaxError as exc:
        result.issues.append(
            TemplateIssue(
                exc.lineno or 1, "template-syntax", f"template syntax error: {exc.message}"
            )
        )
        return result
    filters, names, attributes, includes = _grouped(_descendants(tree))
    _report_unknown_filters(env, filters, result)
    undeclared = _context_names(names)
    allowed = set(CONTEXT) | set(env.globals)
    for name in sorted(undeclared - allowed):
        line = _first_line(names, name)
        hint = _close(name, sorted(CONTEXT))
        result.issues.append(
            TemplateIssue(
                line,
                "template-undefined",
                f"the template uses '{name}', which the context does not provide",
                hint or "templates see: " + ", ".join(CONTEXT),
            )
        )
    for node in attributes:
        _check_attribute(node, undeclared, declared_vars, result)
    for node in includes:
        if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
            result.includes.append((node.template.value, node.lineno))
    result.issues.sort(key=lambda i: i.line)
    return result


def _descendants(tree: Any) -> list[Any]:
    """Every node under ``tree``, in the order of Jinja's ``find_all`` (depth first, pre-order).

    One walk, shared by every check, instead of one ``find_all`` per check: its generators
    cost more than the checks themselves.
    """
    from jinja2.nodes import Node

    out: list[Any] = []
    _visit(tree, out, Node)
    return out


def _visit(node: Any, out: list[Any], node_type: type) -> None:
    """Append the nodes under ``node`` to ``out``, as ``Node.iter_child_nodes`` finds them."""
    for name in node.fields:
        item = getattr(node, name, None)
        if isinstance(item, list):
            for child in item:
                if isinstance(child, node_type):
                    out.append(child)
                    _visit(child, out, node_type)
        elif isinstance(item, node_type):
            out.append(item)
            _visit(item, out, node_type)


def _grouped(found: list[Any]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """The nodes each check reads, each list in tree order, sorted out in one pass.

    Filters and tests; names and what binds names (macros, imports); attribute and item
    lookups; includes, imports and extends.
    """
    from jinja2 import nodes

    filters: list[Any] = []
    names: list[Any] = []
    attributes: list[Any] = []
    includes: list[Any] = []
    for node in found:
        if isinstance(node, (nodes.Filter, nodes.Test)):
            filters.append(node)
        elif isinstance(node, (nodes.Getattr, nodes.Getitem)):
            attributes.append(node)
        elif isinstance(node, (nodes.Name, nodes.Macro)):
            names.append(node)
        elif isinstance(node, (nodes.Import, nodes.FromImport)):
            names.append(node)
            includes.append(node)
        elif isinstance(node, (nodes.Include, nodes.Extends)):
            includes.append(node)
    return filters, names, attributes, includes


def _check_attribute(
    node: Any, undeclared: set[str], declared_vars: frozenset[str] | set[str], result: Analysis
) -> None:
    from jinja2 import nodes

    target = node.node
    if not isinstance(target, nodes.Name) or target.name not in undeclared:
        return
    if isinstance(node, nodes.Getattr):
        attr: Any = node.attr
    elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        attr = node.arg.value
    else:
        return
    if target.name == "vars":
        if attr not in declared_vars:
            hint = _close(attr, sorted(declared_vars)) or f"declare it under 'variables:' as {attr}"
            result.issues.append(
                TemplateIssue(
                    node.lineno,
                    "template-undefined",
                    f"the template uses vars.{attr}, which is not declared",
                    hint,
                )
            )
        return
    known = CONTEXT.get(target.name)
    if known is not None and attr not in known:
        result.issues.append(
            TemplateIssue(
                node.lineno,
                "template-undefined",
                f"{target.name} has no '{attr}'",
                _close(attr, sorted(known)) or f"{target.name} has: {', '.join(sorted(known))}",
            )
        )


def _report_unknown_filters(env: Any, filters: list[Any], result: Analysis) -> None:
    """Report filters and tests that Jinja does not have (rendering would fail on them)."""
    from jinja2 import nodes

    reported: set[tuple[str, str]] = set()
    for node in filters:
        kind, known = (
            ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        )
        if node.name not in known and (kind, node.name) not in reported:
            reported.add((kind, node.name))
            result.issues.append(
                TemplateIssue(
                    node.lineno,
                    "template-filter",
                    f"no {kind} named '{node.name}'",
                    _close(node.name, sorted(known)),
                )
            )


# Names Jinja provides inside loops, macros and blocks.
_IMPLICIT = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super"})


def _context_names(names: list[Any]) -> set[str]:
    """Names the template reads and never sets: the ones it looks up in the context.

    A plain walk, cheaper than Jinja's code-generator tracking (``meta``); a name set anywhere
    counts as set everywhere, so the rare read outside the scope that sets it is left to the
    sandbox at render time.
    """
    from jinja2 import nodes

    stored: set[str] = set(_IMPLICIT)
    loaded: set[str] = set()
    for node in names:
        if isinstance(node, nodes.Name):
            (loaded if node.ctx == "load" else stored).add(node.name)
        elif isinstance(node, nodes.Macro):
            stored.add(node.name)
        elif isinstance(node, nodes.Import):
            stored.add(node.target)
        elif isinstance(node, nodes.FromImport):
            stored.update(n if isinstance(n, str) else n[1] for n in node.names)
    return loaded - stored


def _first_line(names: list[Any], name: str) -> int:
    from jinja2 import nodes

    lines = [
        n.lineno for n in names if isinstance(n, nodes.Name) and n.name == name and n.ctx == "load"
    ]
    return min(lines) if lines else 1


def _close(name: str, options: list[str]) -> str | None:
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None
