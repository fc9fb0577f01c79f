"""One assistant file, start to finish: compose, check against the schema, lint, type.

``check_file`` is what ``gptkit validate`` runs (no pydantic, no project code); ``load`` is the
Python API and the start of ``render`` and ``run``: it also substitutes strictly (an unset
``${VAR}`` is an error) and returns the typed, frozen config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gptkit.config.cassette_file import check_cassette
from gptkit.config.compose import Composed, compose
from gptkit.config.problems import Problem
from gptkit.config.yamlfile import load_document
from gptkit.errors import ConfigError

if TYPE_CHECKING:
    from gptkit.config.models import Assistant

FileKind = Literal["assistant", "partial", "test", "cassette", "openapi"]


def file_kind(path: Path) -> FileKind:
    """Which schema a file is checked against, chosen by its name."""
    name = path.name
    if name.endswith((".test.yaml", ".test.yml")):
        return "test"
    if name.endswith((".cassette.yaml", ".cassette.yml")):
        return "cassette"
    if name.startswith("_"):
        return "partial"
    return "assistant"


def is_openapi_document(path: Path) -> bool:
    """Whether ``path`` starts (after comments) with an ``openapi:`` or ``swagger:`` key."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    for line in head.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "---", "%")):
            continue
        return stripped.startswith(("openapi:", "swagger:", '"openapi":', '"swagger":'))
    return False


@dataclass
class Report:
    """The outcome of checking one file."""

    path: Path
    kind: FileKind
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        """How many problems are warnings."""
        return sum(p.severity == "warning" for p in self.problems)


def check_file(
    path: Path, root: Path | None = None, environ: Mapping[str, str] | None = None
) -> Report:
    """Check one file as ``gptkit validate`` does, collecting every problem."""
    kind = file_kind(path)
    if kind == "assistant" and is_openapi_document(path):
        return Report(path, "openapi")  # checked through the tools that use it
    if kind == "cassette":
        return Report(path, kind, _sorted(check_cassette(path)[0]))
    if kind == "test":
        from gptkit.lint.testsuite import check_test_suite

        return Report(path, kind, _sorted(check_test_suite(path, root)))
    if kind != "assistant":
        return Report(path, kind, _check_part(path) if kind == "partial" else [])
    composed = _composed(path, root, "validate", environ)
    return Report(path, kind, _sorted(composed.problems))


def _check_part(path: Path) -> list[Problem]:
    """A partial is checked as a part: readable YAML, a mapping, no literal secrets."""
    from gptkit.config.secrets import secret_problems

    doc = load_document(path)
    problems = list(doc.problems)
    if doc.ok and doc.data is not None and not isinstance(doc.data, dict):
        problems.append(Problem(path, 1, 1, "", "type", "a partial must be a mapping of keys"))
    problems.extend(secret_problems(doc))
    return _sorted(problems)


def _composed(
    path: Path,
    root: Path | None,
    mode: Literal["validate", "run"],
    environ: Mapping[str, str] | None,
) -> Composed:
    from gptkit.config.schema_errors import check
    from gptkit.lint import lint

    composed = compose(path, root, mode=mode, environ=environ)
    if not any(d.ok for d in composed.documents[:1]):
        return composed
    if isinstance(composed.data, dict):
        check(composed)
        lint(composed, knowledge_files=mode == "validate")
    else:
        composed.problem(
            (), "type", "an assistant file must be a mapping of keys, starting with 'version: 1'"
        )
    return composed


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = {(p.path, p.line, p.column, p.code, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (str(p.path), p.line, p.column, p.code))


def load(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Assistant:
    """Load an assistant file: the typed, merged, substituted config.

    Raises:
        ConfigError: the file has errors; ``problems`` holds every one of them.
    """
    from pydantic import ValidationError

    from gptkit.config.models import Assistant

    file = Path(path)
    composed = _composed(file, Path(root) if root is not None else None, "run", environ)
    problems = _sorted(composed.problems)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    try:
        config = Assistant.model_validate(composed.data)
        return config.located(file.resolve(), composed.root.resolve(), frozenset(composed.secrets))
    except ValidationError as exc:  # the schema and the models agree; this is a safety net
        for error in exc.errors():
            where = tuple(error["loc"])
            composed.problem(where, "type", error["msg"])
        raise ConfigError(_sorted(composed.problems)) from None
