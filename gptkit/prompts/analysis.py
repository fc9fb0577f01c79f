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
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = analysis_environment()
    result = Analysis()
    try:
        tree = env.parse(source)
        tree.set_environment(_with_unknown_filters(env, tree, result))
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError as exc:
        result.issues.append(
            TemplateIssue(
                exc.lineno or 1, "template-syntax", f"template syntax error: {exc.message}"
            )
        )
        return result
    allowed = set(CONTEXT) | set(env.globals)
    for name in sorted(undeclared - allowed):
        line = _first_line(tree, name)
        hint = _close(name, sorted(CONTEXT))
        result.issues.append(
            TemplateIssue(
                line,
                "template-undefined",
                f"the template uses '{name}', which the context does not provide",
                hint or "templates see: " + ", ".join(CONTEXT),
            )
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        _check_attribute(node, undeclared, declared_vars, result)
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
            result.includes.append((node.template.value, node.lineno))
    result.issues.sort(key=lambda i: i.line)
    return result


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


def _with_unknown_filters(env: Any, tree: Any, result: Analysis) -> Any:
    """Report filters and tests Jinja does not have; return an environment that tolerates them."""
    from jinja2 import nodes

    missing: dict[str, dict[str, Any]] = {"filters": {}, "tests": {}}
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind = "filters" if isinstance(node, nodes.Filter) else "tests"
        known = env.filters if kind == "filters" else env.tests
        if node.name not in known and node.name not in missing[kind]:
            missing[kind][node.name] = lambda *a, **k: None
            result.issues.append(
                TemplateIssue(
                    node.lineno,
                    "template-filter",
                    f"no {kind[:-1]} named '{node.name}'",
                    _close(node.name, sorted(known)),
                )
            )
    if not (missing["filters"] or missing["tests"]):
        return env
    overlay = env.overlay()
    overlay.filters = {**env.filters, **missing["filters"]}
    overlay.tests = {**env.tests, **missing["tests"]}
    return overlay


def _first_line(tree: Any, name: str) -> int:
    from jinja2 import nodes

    lines = [n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines) if lines else 1


def _close(name: str, options: list[str]) -> str | None:
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None
