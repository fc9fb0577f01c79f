"""OpenAPI schemas to JSON Schema (draft 2020-12) for the model, ``$ref``s resolved.

Every ``$ref`` inside a schema becomes ``{"$ref": "#/$defs/<name>"}`` with the target converted
once into ``$defs``: a cycle (a tree node whose children are tree nodes) is then just a
reference to itself, as JSON Schema and OpenAI's strict mode allow. OpenAPI 3.0's own words are
rewritten (``nullable``, boolean ``exclusiveMinimum``), and what only documents the API
(``example``, ``xml``, ``discriminator``, ``x-...``) is dropped. ``readOnly`` properties are left
out: a request does not send them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gptkit.config.yamlfile import YPath
from gptkit.tools.openapi.document import Issue

_KEPT = frozenset({
    "type", "format", "enum", "const", "description", "title", "default", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "required",
    "minProperties", "maxProperties", "examples", "contentMediaType", "contentEncoding",
})
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
MAX_REF_HOPS = 32


def pointer(data: Any, ref: str) -> tuple[Any, YPath] | None:
    """The value a local reference ``#/a/b~1c`` points at, and its path; None when it is not there."""
    if not ref.startswith("#"):
        return None
    value: Any = data
    path: YPath = ()
    fragment = ref[1:]
    if fragment and not fragment.startswith("/"):
        return None
    for raw in fragment.split("/")[1:] if fragment else []:
        from urllib.parse import unquote

        part: str | int = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and str(part).isdigit() and int(part) < len(value):
            part = int(part)
            value = value[part]
        else:
            return None
        path = (*path, part)
    return value, path


def follow(data: Any, node: Any, path: YPath, issues: list[Issue]) -> tuple[Any, YPath]:
    """``node`` with its ``$ref`` chain followed (parameters, request bodies); ``{}`` if broken."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen or len(seen) > MAX_REF_HOPS:
            issues.append(Issue((*path, "$ref"), "openapi-ref", f"the reference {ref} leads back to itself",
                                "point it at a definition"))
            return {}, path
        seen.add(ref)
        target = _target(data, ref, (*path, "$ref"), issues)
        if target is None:
            return {}, path
        node, path = target
    return node, path


def _target(data: Any, ref: str, where: YPath, issues: list[Issue]) -> tuple[Any, YPath] | None:
    if not ref.startswith("#"):
        issues.append(Issue(where, "openapi-ref", f"the reference {ref} points outside this file",
                            "gptkit reads one file: copy the definition into components and refer "
                            "to it as #/components/..."))
        return None
    found = pointer(data, ref)
    if found is None:
        issues.append(Issue(where, "openapi-ref", f"the reference {ref} points at nothing",
                            "correct the name, or add the definition under components"))
        return None
    return found


_COUNTS = frozenset({"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"})
_NUMBERS = frozenset({"minimum", "maximum", "multipleOf"})
_TEXTS = frozenset({"description", "title", "format", "contentMediaType", "contentEncoding"})


def _fits(key: str, value: Any) -> bool:
    """Whether ``value`` is a valid value of the JSON Schema keyword ``key`` (checked cheaply)."""
    if key in _COUNTS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if key in _NUMBERS:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and (key != "multipleOf" or value > 0)
    if key in ("exclusiveMinimum", "exclusiveMaximum"):
        return isinstance(value, (int, float))  # booleans are OpenAPI 3.0's, rewritten later
    if key in _TEXTS:
        return isinstance(value, str)
    if key == "pattern":
        if not isinstance(value, str):
            return False
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError):
            return False
        return True
    if key == "required":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key in ("enum", "examples"):
        return isinstance(value, list)
    if key == "uniqueItems":
        return isinstance(value, bool)
    if key == "type":
        return isinstance(value, (str, list))
    return True


@dataclass
class Converter:
    """Converts the schemas of one operation; ``defs`` collects every referenced schema."""

    data: Any
    version: str
    issues: list[Issue]
    defs: dict[str, Any] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)  # ref -> $defs name

    def convert(self, node: Any, path: YPath, depth: int = 0) -> Any:
        """The JSON Schema for the OpenAPI schema ``node`` found at ``path``."""
        out: dict[str, Any]
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            self.issues.append(Issue(path, "openapi-schema", "a schema must be a mapping",
                                     severity="warning"))
            return {}
        if depth > 48:
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            found = self._ref(ref, (*path, "$ref"), depth)
            extra = {k: node[k] for k in ("description",) if isinstance(node.get(k), str)}
            return {**found, **extra} if extra and found else found
        out = {}
        for key, value in node.items():
            key = str(key)
            if key in _KEPT:
                if _fits(key, value):
                    out[key] = value
                else:
                    self.issues.append(Issue((*path, key), "openapi-schema",
                                             f"{key}: {value!r:.60} is not valid JSON Schema; it was left out",
                                             "correct the schema in the file", severity="warning"))
            elif key == "properties" and isinstance(value, dict):
                props = {}
                for name, sub in value.items():
                    if isinstance(sub, dict) and sub.get("readOnly") is True:
                        continue
                    props[str(name)] = self.convert(sub, (*path, key, name), depth + 1)
                out[key] = props
            elif key in ("items", "additionalProperties", "not", "contains", "propertyNames"):
                out[key] = self.convert(value, (*path, key), depth + 1) if isinstance(value, (dict, bool)) else value
            elif key in _SCHEMA_LISTS and isinstance(value, list):
                out[key] = [self.convert(s, (*path, key, i), depth + 1) for i, s in enumerate(value)]
        self._openapi_30(node, out)
        if isinstance(out.get("required"), list) and isinstance(out.get("properties"), dict):
            out["required"] = [r for r in out["required"] if r in out["properties"]]
        if out.get("allOf") and isinstance(out["allOf"], list):
            merged = self._merge_all_of(out)
            if merged is not None:
                out = merged
        kind = out.get("type")
        if isinstance(kind, str) and kind not in _JSON_TYPES or (
            isinstance(kind, list) and not all(k in _JSON_TYPES for k in kind)
        ):
            self.issues.append(Issue((*path, "type"), "openapi-schema",
                                     f"{kind!r} is not a JSON Schema type; it was left out",
                                     severity="warning"))
            del out["type"]
        return out

    def _openapi_30(self, node: dict[str, Any], out: dict[str, Any]) -> None:
        if node.get("nullable") is True:
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
            elif isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            flag = out.get(bound)
            if isinstance(flag, bool):
                del out[bound]
                if flag and plain in out:
                    out[bound] = out.pop(plain)

    def _ref(self, ref: str, where: YPath, depth: int) -> dict[str, Any]:
        if ref in self._names:
            return {"$ref": f"#/$defs/{self._names[ref]}"}
        target = _target(self.data, ref, where, self.issues)
        if target is None:
            return {}
        name = self._def_name(ref)
        self._names[ref] = name
        self.defs[name] = {}  # a placeholder while converting: a cycle ends here
        node, path = target
        self.defs[name] = self.convert(node, path, depth + 1)
        return {"$ref": f"#/$defs/{name}"}

    def _def_name(self, ref: str) -> str:
        base = ref.rsplit("/", 1)[-1] or "schema"
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", base)[:60] or "schema"
        name, number = base, 2
        while name in self.defs:
            name, number = f"{base}_{number}", number + 1
        return name

    def resolved(self, schema: Any) -> Any:
        """``schema``, or the ``$defs`` entry it refers to."""
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < MAX_REF_HOPS:
            schema = self.defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
            seen += 1
        return schema

    def _merge_all_of(self, out: dict[str, Any]) -> dict[str, Any] | None:
        """``allOf`` of objects merged into one object (strict mode has no allOf), else None."""
        branches = [self.resolved(b) for b in out["allOf"]]
        if not branches or not all(
            isinstance(b, dict) and b and (b.get("type") == "object" or "properties" in b)
            and set(b) <= {"type", "properties", "required", "description", "title", "additionalProperties"}
            for b in branches
        ):
            return None
        merged: dict[str, Any] = {k: v for k, v in out.items() if k != "allOf"}
        if merged.get("type", "object") != "object":
            return None
        merged["type"] = "object"
        properties: dict[str, Any] = dict(merged.get("properties", {}))
        required: list[str] = list(merged.get("required", []))
        for branch in branches:
            properties.update(branch.get("properties", {}))
            required.extend(r for r in branch.get("required", []) if r not in required)
            if "description" in branch and "description" not in merged:
                merged["description"] = branch["description"]
        merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged
