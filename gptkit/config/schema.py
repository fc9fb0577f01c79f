"""The published JSON Schemas: generated from the models, read from the committed files.

``generate()`` builds a schema from :mod:`gptkit.config.models`; the files under ``schemas/``
are exactly its output (a test keeps them in sync). Checking a document against them is
:mod:`gptkit.config.schema_errors` (jsonschema, and its errors as problems a person can act
on), with :mod:`gptkit.config.predicates` (the fast yes/no proof) in front.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from gptkit.config.names import SCHEMA_KINDS

KINDS = SCHEMA_KINDS
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate(kind: str = "assistant") -> dict[str, Any]:
    """Build the JSON Schema of ``kind`` from the models."""
    from pydantic import BaseModel
    from pydantic.json_schema import GenerateJsonSchema

    class _Generator(GenerateJsonSchema):
        # An optional field is "may be left out", not "may be null": the schema says so.
        def nullable_schema(self, schema: Any) -> Any:
            return self.generate_inner(schema["schema"])

    root: type[BaseModel]
    if kind == "assistant":
        from gptkit.config.models import Assistant as root
    elif kind == "cassette":
        from gptkit.config.cassette import Cassette as root
    elif kind == "test":
        from gptkit.config.testsuite import SuiteSpec as root
    else:
        raise ValueError(f"unknown schema kind {kind!r}")
    body = root.model_json_schema(schema_generator=_Generator, by_alias=True)
    _tidy(body, in_properties=False)
    return {"$schema": DIALECT, "$id": f"urn:gptkit:schema:{kind}:1", **body}


def _tidy(node: Any, in_properties: bool) -> None:
    """Drop what carries no meaning for a reader: ``default: null`` and generated titles."""
    if isinstance(node, dict):
        if node.get("default", 0) is None:
            del node["default"]
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1 and "properties" not in node:
            # A map with constrained key names (variables): say it as propertyNames, so that
            # other keys are refused (as the models do) and reported as bad names.
            ((pattern, value),) = patterns.items()
            del node["patternProperties"]
            node["propertyNames"] = {"pattern": pattern}
            node["additionalProperties"] = value
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    if isinstance(prop, dict):
                        prop.pop("title", None)
                    _tidy(prop, in_properties=True)
            else:
                _tidy(value, in_properties=False)
    elif isinstance(node, list):
        for item in node:
            _tidy(item, in_properties)


def render(kind: str = "assistant") -> str:
    """Return the schema of ``kind`` as the text of its published file."""
    return json.dumps(generate(kind), indent=2, ensure_ascii=False) + "\n"


def schema_file(kind: str = "assistant") -> Path:
    """Where the committed schema of ``kind`` is: inside the wheel, or at the repository top."""
    name = f"{kind}.schema.json"
    packaged = Path(__file__).resolve().parent.parent / "schemas" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas" / name


@functools.cache
def schema_document(kind: str = "assistant") -> dict[str, Any]:
    """The committed schema of ``kind``, read once."""
    loaded: dict[str, Any] = json.loads(schema_file(kind).read_text(encoding="utf-8"))
    return loaded
