"""OpenAPI actions: an OpenAPI 3.0 or 3.1 file read into one tool per operation.

- :mod:`.document` reads the file (JSON or YAML, with lines) and checks it is OpenAPI 3;
- :mod:`.schemas` turns OpenAPI schemas into JSON Schema for the model, ``$ref`` cycles kept as
  ``$defs``;
- :mod:`.operations` turns each operation into an :class:`~.operations.Operation`: its tool name,
  description, parameters schema (strict where possible) and how its arguments become a request;
- :mod:`.tool` is the runtime tool that makes the call (through :mod:`gptkit.tools.http`).

Reading and converting import neither httpx nor openai: ``gptkit validate`` runs them.
"""

from gptkit.tools.openapi.document import Issue
from gptkit.tools.openapi.operations import Operation, Spec, read_spec

__all__ = ["Issue", "Operation", "Spec", "read_spec"]
