"""Rendering the system prompt: the template context of format.md, in the sandbox, within budgets.

The budgets keep a hostile or careless template from hanging or flooding a run: rendering stops
with a :class:`RenderError` after :data:`MAX_RENDER_SECONDS` or :data:`MAX_RENDER_CHARS`, on any
thread, and the sandbox refuses single operations that would build a huge value (``"a" * 10**9``,
``''|center(10**9)``, ``'%9999999999s' % x``) before running them (:mod:`gptkit.prompts.budget`).
Values (variables, memory, the user's text) are data: they are inserted, never rendered again.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gptkit.errors import RenderError
from gptkit.prompts.budget import MAX_RENDER_CHARS, MAX_RENDER_SECONDS, check_time, running

if TYPE_CHECKING:
    from gptkit.config.models import Assistant

__all__ = ["MAX_RENDER_CHARS", "MAX_RENDER_SECONDS", "Context", "MemoryView", "Template"]


@dataclass(frozen=True)
class MemoryView:
    """What templates see as ``memory``."""

    facts: tuple[str, ...] = ()
    summary: str = ""


@dataclass
class Context:
    """The inputs of one rendering; :meth:`as_dict` is the template context."""

    assistant: Assistant
    variables: Mapping[str, Any]
    tools: Iterable[tuple[str, str]] = ()  # (name, description) of the tools offered
    memory: MemoryView = field(default_factory=MemoryView)
    user: str = "local"
    now: _dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        config = self.assistant
        now = self.now or _dt.datetime.now().astimezone()
        persona = config.persona
        return {
            "assistant": {"name": config.name, "description": config.description},
            "persona": {
                "name": persona.name,
                "role": persona.role,
                "tone": persona.tone,
                "traits": list(persona.traits),
                "language": persona.language,
                "style": persona.style,
            },
            "vars": dict(self.variables),
            "now": {
                "iso": now.isoformat(timespec="seconds"),
                "date": now.date().isoformat(),
                "time": now.strftime("%H:%M"),
                "weekday": now.strftime("%A"),
                "timezone": now.tzname() or "",
            },
            "tools": [{"name": n, "description": d} for n, d in self.tools],
            "memory": {"facts": list(self.memory.facts), "summary": self.memory.summary},
            "user": {"id": self.user},
        }


class Template:
    """An assistant's instructions, compiled once and rendered per turn.

    A rendering is kept and given again while the context values the template reads are
    unchanged: a prompt that reads only the persona and variables renders once per session, one
    that reads ``now`` or ``memory`` again when they change. A template with an include, import
    or ``extends`` counts as reading the whole context; one that calls ``lipsum`` (random text)
    is never kept.
    """

    def __init__(self, source: str, folder: Path, name: str = "instructions") -> None:
        from jinja2 import TemplateSyntaxError, meta, nodes

        self.folder, self.name = folder, name
        env = _environment(folder)
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            raise RenderError(f"{name}:{exc.lineno}: template syntax error: {exc.message}") from None
        self._template = env.from_string(tree)
        composite = any(tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)))
        reads = meta.find_undeclared_variables(tree)
        self._reads: frozenset[str] | None = None if composite else frozenset(reads)
        self._keep = not any(n.name == "lipsum" for n in tree.find_all(nodes.Name))
        self._kept: tuple[Any, str] | None = None

    def uses(self, name: str) -> bool:
        """Whether rendering may read the context value ``name`` (``memory``, ``now``, ...)."""
        return self._reads is None or name in self._reads

    @classmethod
    def for_assistant(cls, config: Assistant, folder: Path) -> Template:
        """The template of ``config``: inline ``instructions``, or ``instructions_file``."""
        plain = config.instructions_format == "plain"
        if config.instructions is not None:
            return PlainText(config.instructions) if plain else cls(config.instructions, folder)
        from gptkit.prompts.sandbox import template_path

        name = config.instructions_file or ""
        path = template_path(folder, name)
        if path is None or not path.is_file():
            raise RenderError(f"instructions_file '{name}' is not a file inside {folder}")
        text = path.read_text(encoding="utf-8")
        return PlainText(text, name) if plain else cls(text, folder, name)

    def render(self, context: Mapping[str, Any]) -> str:
        """Render within the time and size budgets; raise RenderError on any failure."""
        key = None
        if self._keep:
            read = context if self._reads is None else {n: context.get(n) for n in self._reads}
            try:
                key = _snapshot(read)
            except TypeError:
                key = None
        if key is not None and self._kept is not None and self._kept[0] == key:
            return self._kept[1]
        text = self._render(context)
        if key is not None:
            self._kept = (key, text)
        return text

    def _render(self, context: Mapping[str, Any]) -> str:
        from jinja2 import TemplateError

        parts: list[str] = []
        size = 0
        try:
            with running(MAX_RENDER_SECONDS):
                for chunk in self._template.generate(context):
                    size += len(chunk)
                    if size > MAX_RENDER_CHARS:
                        raise RenderError(
                            f"the rendered prompt is over {MAX_RENDER_CHARS:,} "
                            "characters; check loops and repeated includes"
                        )
                    check_time()
                    parts.append(chunk)
        except RenderError as exc:
            raise RenderError(f"{self.name}: {exc}") from None
        except TemplateError as exc:
            raise RenderError(f"{self.name}: {_describe(exc)}") from None
        except (ArithmeticError, ValueError, TypeError, LookupError, AttributeError,
                RecursionError, MemoryError) as exc:
            raise RenderError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        return "".join(parts)


def _snapshot(value: Any) -> Any:
    """A copy of ``value`` made of tuples, to compare with a later context's.

    Raises TypeError for a value it cannot copy faithfully (then the rendering is not kept).
    """
    if isinstance(value, (str, int, float, bool, type(None))):
        return type(value), value  # 1, 1.0 and True are equal, but print differently
    if isinstance(value, Mapping):
        return ("map", tuple((k, _snapshot(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(_snapshot(v) for v in value))
    raise TypeError(type(value).__name__)


class PlainText(Template):
    """Instructions marked ``instructions_format: plain``: sent exactly as written."""

    def __init__(self, text: str, name: str = "instructions") -> None:
        self.text, self.name = text, name
        self._reads = frozenset()  # reads nothing of the context: memory is never fetched for it

    def render(self, context: Mapping[str, Any]) -> str:
        """Return the text unchanged: braces in it are not template syntax."""
        return self.text



def _describe(exc: Exception) -> str:
    from jinja2 import UndefinedError

    if isinstance(exc, UndefinedError) and "is undefined" in str(exc.message):
        return f"{exc.message}; declare it under 'variables' or give it with --var"
    return str(getattr(exc, "message", None) or exc)


_environments: dict[Path, Any] = {}


def _environment(folder: Path) -> Any:
    """The budgeted sandbox of each folder (its compiled includes are cached with it)."""
    env = _environments.get(folder)
    if env is None:
        from gptkit.prompts.sandbox import make_environment

        env = make_environment(folder, budgeted=True)
        _environments[folder] = env
    return env
