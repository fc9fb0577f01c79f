"""Rendering the system prompt: the template context of format.md, in the sandbox, within budgets.

The budgets keep a hostile or careless template from hanging or flooding a run: rendering stops
with a :class:`RenderError` after :data:`MAX_RENDER_SECONDS` or :data:`MAX_RENDER_CHARS`, and the
sandbox refuses single operations that would build a huge value (``"a" * 10**9``, ``9 ** 9 ** 9``).
Values (variables, memory, the user's text) are data: they are inserted, never rendered again.
"""

from __future__ import annotations

import datetime as _dt
import signal
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gptkit.errors import RenderError

if TYPE_CHECKING:
    from gptkit.config.models import Assistant

MAX_RENDER_SECONDS = 2.0
MAX_RENDER_CHARS = 1_000_000


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
    """An assistant's instructions, compiled once and rendered per turn."""

    def __init__(self, source: str, folder: Path, name: str = "instructions") -> None:
        from jinja2 import TemplateSyntaxError

        self.folder, self.name = folder, name
        try:
            self._template = _environment(folder).from_string(source)
        except TemplateSyntaxError as exc:
            raise RenderError(f"{name}:{exc.lineno}: template syntax error: {exc.message}") from None

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
        from jinja2 import TemplateError

        parts: list[str] = []
        size = 0
        deadline = time.monotonic() + MAX_RENDER_SECONDS
        try:
            with _alarm(MAX_RENDER_SECONDS):
                for chunk in self._template.generate(context):
                    size += len(chunk)
                    if size > MAX_RENDER_CHARS:
                        raise RenderError(
                            f"{self.name}: the rendered prompt is over {MAX_RENDER_CHARS:,} "
                            "characters; check loops and repeated includes"
                        )
                    if time.monotonic() > deadline:
                        raise _Timeout
                    parts.append(chunk)
        except _Timeout:
            raise RenderError(
                f"{self.name}: rendering took over {MAX_RENDER_SECONDS:g} s; check loops in the template"
            ) from None
        except RenderError:
            raise
        except TemplateError as exc:
            raise RenderError(f"{self.name}: {_describe(exc)}") from None
        except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:
            raise RenderError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        return "".join(parts)


class PlainText(Template):
    """Instructions marked ``instructions_format: plain``: sent exactly as written."""

    def __init__(self, text: str, name: str = "instructions") -> None:
        self.text, self.name = text, name

    def render(self, context: Mapping[str, Any]) -> str:
        """Return the text unchanged: braces in it are not template syntax."""
        return self.text


class _Timeout(Exception):
    pass


def _describe(exc: Exception) -> str:
    from jinja2 import UndefinedError

    if isinstance(exc, UndefinedError) and "is undefined" in str(exc.message):
        return f"{exc.message}; declare it under 'variables' or give it with --var"
    return str(getattr(exc, "message", None) or exc)


@contextmanager
def _alarm(seconds: float) -> Any:
    """Interrupt a render that runs too long, where a timer signal can be used (main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_environments: dict[Path, Any] = {}


def _environment(folder: Path) -> Any:
    """A sandboxed environment per folder whose binary operators are size-checked."""
    env = _environments.get(folder)
    if env is None:
        from gptkit.prompts.sandbox import make_environment

        env = make_environment(folder)
        env.intercepted_binops = frozenset({"*", "**", "+"})
        env.call_binop = _bounded_binop.__get__(env)
        _environments[folder] = env
    return env


def _bounded_binop(env: Any, context: Any, operator: str, left: Any, right: Any) -> Any:
    """Refuse an operation whose result would be larger than the render budget."""
    if operator == "**":
        if isinstance(right, (int, float)) and abs(right) > 1000:
            raise RenderError("a power with an exponent over 1000 in the template")
        return left**right
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                if len(seq) * n > MAX_RENDER_CHARS:
                    raise RenderError("a repeated value over the size budget in the template")
        return left * right
    result = left + right
    if isinstance(result, (str, list, tuple)) and len(result) > MAX_RENDER_CHARS:
        raise RenderError("a joined value over the size budget in the template")
    return result
