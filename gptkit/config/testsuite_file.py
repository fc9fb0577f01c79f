"""Reading a test file (``*.test.yaml``): its YAML, its schema, unique case names, cassette paths.

One reader for both users of a test file: ``gptkit validate`` reports the problems, and
``gptkit test`` refuses a file that has any. No pydantic here (validate stays light).

Each case replays its own cassette, at a path fixed by the test file and the case's name::

    <folder of the test file>/cassettes/<test file name without .test.yaml>/<case slug>.cassette.yaml

The slug is the name in lower case, each run of characters other than letters and digits made
one ``-`` (``"Porto, in May!"`` -> ``porto-in-may``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.problems import Problem
from gptkit.config.yamlfile import Document, load_document

TEST_SUFFIXES = (".test.yaml", ".test.yml")


def case_slug(name: str) -> str:
    """The file name part of a case's cassette: lower case ASCII letters, digits and ``-``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:80].rstrip("-") or "case"


def suite_stem(path: Path) -> str:
    """``trip.test.yaml`` -> ``trip``."""
    name = path.name
    for suffix in TEST_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)] or "tests"
    return path.stem


def cassette_path(test_file: Path, case_name: str) -> Path:
    """Where the cassette of the case named ``case_name`` of ``test_file`` is."""
    return test_file.parent / "cassettes" / suite_stem(test_file) / f"{case_slug(case_name)}.cassette.yaml"


def check_test_file(path: Path) -> tuple[list[Problem], Document]:
    """Read a test file and check it against ``schemas/test.schema.json`` and for clashing case
    names: (problems, the document; its ``data`` is a dict when there are no errors)."""
    from gptkit.config.schema_errors import check
    from gptkit.config.secrets import secret_problems

    doc = load_document(path)
    composed = Composed(path, path.parent, doc.data, doc.nodes, list(doc.problems), [doc])
    if doc.ok:
        if isinstance(doc.data, dict):
            if check(composed, "test"):
                _unique_names(composed, doc.data)
            composed.problems.extend(secret_problems(doc))
        else:
            composed.problem((), "type", "a test file must be a mapping, starting with 'version: 1'")
    return composed.problems, doc


def _unique_names(composed: Composed, data: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for index, case in enumerate(data.get("cases") or ()):
        name = case.get("name") if isinstance(case, dict) else None
        if not isinstance(name, str):
            continue
        slug = case_slug(name)
        if slug in seen:
            same = seen[slug] == name
            composed.problem(
                ("cases", index, "name"),
                "duplicate-case",
                f"case {name!r} " + ("is named twice" if same else
                                     f"has the same cassette name ({slug}) as case {seen[slug]!r}"),
                "give each case a name of its own: its cassette is named after it",
            )
        else:
            seen[slug] = name
