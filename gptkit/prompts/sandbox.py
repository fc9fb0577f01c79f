"""The Jinja environment every assistant template runs in.

``ImmutableSandboxedEnvironment`` blocks internals and mutation, ``StrictUndefined`` turns a
missing name into an error instead of an empty string, and the loader serves only files inside
the assistant's own folder (names with ``..``, absolute paths and symlinks out are refused).

A rendering environment (``budgeted=True``) also keeps every template within the render budget
of :mod:`gptkit.prompts.budget`: its calls, attribute lookups, filters, operators, ``~`` joins,
captured blocks, printed values and loops are checked before they run (see
:mod:`gptkit.prompts.guards`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from gptkit.config.yamlfile import MAX_FILE_BYTES, is_within


def make_environment(root: Path | None = None, *, budgeted: bool = False) -> Any:
    """Return a sandboxed environment whose includes are confined to ``root``.

    ``budgeted``: an environment to render in, whose every operation keeps to the budget.
    """
    from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _FolderLoader(BaseLoader):
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            if root is None:
                raise TemplateNotFound(template)
            path = template_path(root, template)
            refused = _refusal(template, path)
            if refused or path is None:  # _refusal refuses a path outside (None) too
                raise TemplateNotFound(template, refused)  # the message says what and why
            mtime = path.stat().st_mtime
            text = path.read_text(encoding="utf-8")
            return text, str(path), lambda: path.stat().st_mtime == mtime

    kind = _budgeted_class() if budgeted else ImmutableSandboxedEnvironment
    return kind(
        loader=_FolderLoader(),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@functools.lru_cache(maxsize=1)
def analysis_environment() -> Any:
    """A shared environment for parsing templates without rendering them."""
    return make_environment(None)


def _refusal(name: str, path: Path | None) -> str | None:
    """Why the include ``name`` (found at ``path``, None when outside) is refused, if it is."""
    if path is None:
        return (
            f"the include '{name}' was refused: it leads outside the assistant's folder "
            "(includes name files inside it, without '..')"
        )
    if not path.is_file():
        return f"the included template '{name}' does not exist in the assistant's folder"
    if path.stat().st_size > MAX_FILE_BYTES:
        return f"the included template '{name}' was refused: it is over 10 MiB"
    return None


def template_path(root: Path, name: str) -> Path | None:
    """Return the file an include name refers to, or None when it would leave ``root``.

    The rule of :func:`gptkit.config.paths.inside`: ``./a.md``, ``a//b.md`` and ``x/../a.md``
    are normal spellings of a file inside; absolute names, ``~`` and whatever resolves outside
    (``..``, a symbolic link) are refused.
    """
    if not name or os.path.isabs(name) or name.startswith("~"):
        return None
    path = root / name.replace("\\", "/")  # pathlib drops "." and empty segments
    return path if is_within(path, root) else None


@functools.lru_cache(maxsize=1)
def _budgeted_class() -> type:
    """The sandbox with the budget's hooks (built once, on first use, to import Jinja lazily)."""
    from jinja2 import nodes
    from jinja2.sandbox import (
        ImmutableSandboxedEnvironment,
        SandboxedEscapeFormatter,
        SandboxedFormatter,
    )
    from jinja2.visitor import NodeTransformer

    from gptkit.errors import RenderError
    from gptkit.prompts import budget, guards

    class Formatter(budget.BoundedFormatter, SandboxedFormatter):
        pass

    class EscapeFormatter(budget.BoundedFormatter, SandboxedEscapeFormatter):
        pass

    class Routed(NodeTransformer):
        """Loops iterate through the deadline check; ``~`` joins through the size check."""

        def visit_For(self, node: Any) -> Any:
            node = self.generic_visit(node)
            node.iter = nodes.Filter(node.iter, "_gptkit_iter", [], [], None, None,
                                     lineno=node.lineno)
            return node

        def visit_Concat(self, node: Any) -> Any:
            node = self.generic_visit(node)
            parts = nodes.List(node.nodes, lineno=node.lineno)
            return nodes.Filter(parts, "_gptkit_concat", [], [], None, None, lineno=node.lineno)

    class BudgetedEnvironment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})
        concat = staticmethod(guards.concat)  # captured blocks, macros, filter blocks

        def __init__(self, **options: Any) -> None:
            super().__init__(finalize=guards.finalize, **options)
            self.filters = guards.guard_filters(self.filters)
            self.filters["_gptkit_iter"] = budget.checked_iter
            self.filters["_gptkit_concat"] = guards.concat
            # Jinja types its default globals as object; "lipsum" is its generate_lorem_ipsum
            lipsum = cast(Callable[..., Any], self.globals["lipsum"])
            self.globals["lipsum"] = guards.guard_lipsum(lipsum)

        def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
            return Routed().visit(super()._parse(source, name, filename))

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return guards.binop(operator, left, right)

        def getattr(self, obj: Any, attribute: str) -> Any:
            budget.tick()
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            budget.tick()
            return super().getitem(obj, argument)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            budget.check_time()
            args = budget.check_method(__obj, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

        def wrap_str_format(self, value: Any) -> Any:
            """``str.format`` and ``format_map``, with each field and the result size-checked."""
            if super().wrap_str_format(value) is None:
                return None
            owner = value.__self__
            formatter = (
                EscapeFormatter(self, escape=owner.escape) if hasattr(owner, "__html__")
                else Formatter(self)
            )
            is_map = value.__name__ == "format_map"

            def checked(*args: Any, **kwargs: Any) -> str:
                if is_map:
                    if kwargs or len(args) != 1:
                        raise TypeError("format_map() takes exactly one argument, a mapping")
                    mapping = args[0]
                    args, kwargs = (), mapping
                try:
                    # owner is the str (or Markup) whose format method this is
                    return cast(str, type(owner)(formatter.vformat(owner, args, kwargs)))
                except IndexError:
                    raise RenderError(
                        f"{value.__name__}(): a numbered field such as {{0}} has no value"
                        + (" (format_map fills named fields only)" if is_map else "")
                    ) from None
                except KeyError as exc:
                    raise RenderError(f"{value.__name__}(): no value for the field {exc}") from None

            return functools.update_wrapper(checked, value)

    return BudgetedEnvironment
