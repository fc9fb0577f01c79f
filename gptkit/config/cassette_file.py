"""Reading a cassette file (``*.cassette.yaml``): its YAML, its schema, and no literal secrets.

One check for both users of a cassette: ``gptkit validate`` reports the problems, and
``--replay`` (:mod:`gptkit.providers.cassette`) refuses a cassette that has any.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.problems import Problem
from gptkit.config.yamlfile import load_document


def check_cassette(path: Path) -> tuple[list[Problem], dict[str, Any]]:
    """Read a cassette and check it against ``schemas/cassette.schema.json``: (problems, data)."""
    from gptkit.config.schema_errors import check
    from gptkit.config.secrets import secret_problems

    doc = load_document(path)
    composed = Composed(path, path.parent, doc.data, doc.nodes, list(doc.problems), [doc])
    if doc.ok:
        if isinstance(doc.data, dict):
            check(composed, "cassette")
            composed.problems.extend(secret_problems(doc))
        else:
            composed.problem((), "type", "a cassette must be a mapping, starting with 'version: 1'")
    return composed.problems, doc.data if isinstance(doc.data, dict) else {}
