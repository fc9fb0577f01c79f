"""The OpenAPI file itself: read with the line of every value, and judged to be OpenAPI 3.

JSON is read by the same YAML reader as assistant files (JSON is YAML 1.2), so a problem found
anywhere in the file points at its line, and the reader's caps (size, depth, aliases) apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gptkit.config.yamlfile import Document, YPath, load_document, parse_document


@dataclass(frozen=True)
class Issue:
    """One problem of an OpenAPI file, at ``path`` inside it."""

    path: YPath
    code: str
    message: str
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"


@dataclass
class SpecFile:
    """The loaded file, its OpenAPI version (``3.0`` or ``3.1``) and what stops its use."""

    path: Path
    document: Document
    version: str = ""
    issues: list[Issue] = field(default_factory=list)

    @property
    def data(self) -> Any:
        return self.document.data

    def line(self, path: YPath) -> tuple[int, int]:
        """The line and column of ``path``, or of its nearest ancestor that has one."""
        nodes = self.document.nodes
        while path not in nodes and path:
            path = path[:-1]
        node = nodes.get(path)
        return (node.line, node.column) if node else (0, 0)

    @property
    def usable(self) -> bool:
        return bool(self.version) and self.document.ok


_VERSION = re.compile(r"^3\.([01])(\.\d+)?(-.*)?$")


def load_spec_file(path: Path, text: str | None = None) -> SpecFile:
    """Read ``path`` (or ``text``, as if it were that file) and check its top: ``openapi: 3.0.x``
    or ``3.1.x``, with ``paths``."""
    if text is None:
        document = load_document(path)
    else:
        document = parse_document(Document(path=path, text=text))
    spec = SpecFile(path, document)
    if not spec.document.ok:
        return spec
    data = spec.data
    if not isinstance(data, dict):
        spec.issues.append(Issue((), "openapi-spec", "the file is not an OpenAPI document (not a mapping)",
                                 "an OpenAPI file starts with 'openapi: 3.1.0'"))
        return spec
    if "swagger" in data:
        spec.issues.append(Issue(
            ("swagger",), "openapi-spec",
            f"this is a Swagger {data.get('swagger')} file; gptkit reads OpenAPI 3.0 and 3.1",
            "convert it to OpenAPI 3 (for example with swagger2openapi or editor.swagger.io)",
        ))
        return spec
    version = data.get("openapi")
    if version is None:
        spec.issues.append(Issue((), "openapi-spec", "the file is not an OpenAPI document (no 'openapi' key)",
                                 "an OpenAPI file starts with 'openapi: 3.1.0'"))
        return spec
    match = _VERSION.match(str(version))
    if match is None:
        spec.issues.append(Issue(
            ("openapi",), "openapi-spec",
            f"OpenAPI version {version!s} is not supported; gptkit reads 3.0 and 3.1",
            "write openapi: 3.1.0 (or 3.0.3) if the file follows one of those",
        ))
        return spec
    spec.version = f"3.{match.group(1)}"
    if not isinstance(data.get("paths", {}), dict):
        spec.issues.append(Issue(("paths",), "openapi-spec", "'paths' must be a mapping of paths to operations"))
        spec.version = ""
    return spec


def server_url(spec: SpecFile) -> tuple[str | None, YPath]:
    """The first server's URL with its variables' defaults filled in, and where it is."""
    data = spec.data if isinstance(spec.data, dict) else {}
    servers = data.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return None, ("servers",) if "servers" in data else ()
    first = servers[0]
    url = first.get("url")
    if not isinstance(url, str):
        return None, ("servers", 0)
    variables = first.get("variables")
    if isinstance(variables, dict):
        for name, variable in variables.items():
            if isinstance(variable, dict) and "default" in variable:
                url = url.replace("{" + str(name) + "}", str(variable["default"]))
    return url, ("servers", 0, "url")


def usable_url(url: str | None) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host."""
    from urllib.parse import urlsplit

    if not url:
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
