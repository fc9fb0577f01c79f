"""The arguments of a python tool: the schema the model sees, and the check of what it sends.

Two kinds, one behaviour for the runtime. :class:`DerivedArguments` reads a function's signature
and type hints into a pydantic model; :class:`SchemaArguments` takes the ``parameters`` JSON
Schema of the YAML file and checks with jsonschema. Both turn the model's raw JSON text into
keyword arguments or a :class:`ToolArgumentsError` whose message the model can act on; nothing
unchecked ever reaches the function.

The rewrite of a derived schema for OpenAI strict mode is :mod:`gptkit.config.strict`'s (validate
shares its rules). In strict mode every property is required and optional values are nullable,
so a model that wants the default sends ``null``: for a derived schema, a ``null`` for a
parameter (or nested field) that has a default means "use the default", in strict and non-strict
mode alike.
"""

from __future__ import annotations

import inspect
import json
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from gptkit.config.strict import NotStrict, strict_rewrite
from gptkit.errors import ToolError
from gptkit.tools.base import ToolArgumentsError, ToolContext

MAX_SHOWN_ERRORS = 5
MAX_SHOWN_VALUE = 40


@dataclass(frozen=True)
class Parameters:
    """How a function is called: which parameters the model fills and which gptkit injects."""

    names: tuple[str, ...]  # filled from the model's arguments, in signature order
    positional_only: tuple[str, ...] = ()  # model-filled or injected, passed by position
    context: tuple[str, ...] = ()  # annotated ToolContext: injected, never shown to the model
    var_keyword: bool = False
    var_positional: bool = False
    signature: inspect.Signature | None = field(default=None, compare=False)

    def call(
        self, arguments: dict[str, Any], context: ToolContext
    ) -> tuple[list[Any], dict[str, Any]]:
        """Split checked ``arguments`` into positional and keyword arguments, adding the context."""
        kwargs = {**arguments, **{name: context for name in self.context}}
        args = []
        for name in self.positional_only:  # in signature order, up to the first one left out
            if name not in kwargs:
                break
            args.append(kwargs.pop(name))
        return args, kwargs


def read_parameters(function: Callable[..., Any], tool: str) -> Parameters:
    """Read ``function``'s signature, with string annotations resolved."""
    try:
        signature = inspect.signature(function, eval_str=True)
    except (NameError, SyntaxError, TypeError) as exc:
        raise ToolError(
            f"tool '{tool}': cannot read the signature of its function ({exc}). Make every "
            "type hint importable at the top of the module, or give the tool a parameters schema."
        ) from exc
    except ValueError as exc:  # builtins and C functions without a signature
        raise ToolError(
            f"tool '{tool}': its function has no readable signature ({exc}); wrap it in a "
            "Python function with typed parameters."
        ) from exc
    names, positional, context = [], [], []
    var_keyword = var_positional = False
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(parameter.name)
        if _is_context(parameter.annotation):
            context.append(parameter.name)
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = True
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            var_positional = True
        else:
            names.append(parameter.name)
    return Parameters(
        tuple(names), tuple(positional), tuple(context), var_keyword, var_positional, signature
    )


def _is_context(annotation: Any) -> bool:
    """``ToolContext``, or ``ToolContext | None``: a parameter gptkit fills, not the model."""
    import typing

    if annotation is ToolContext:
        return True
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and ToolContext in (
        typing.get_args(annotation)
    )


class Arguments:
    """The schema sent to the model and the check of the model's raw argument text."""

    tool: str
    schema: dict[str, Any]  # what the model sees
    required: frozenset[str]  # what the model must really send (strict mode lists every field)

    def parse(self, raw: str) -> dict[str, Any]:
        """Return keyword arguments for the function, or raise :class:`ToolArgumentsError`."""
        try:
            return self._check(self._load(raw))
        except ToolArgumentsError:
            raise
        except RecursionError:
            raise self.error(["the arguments are nested too deeply"]) from None
        except Exception as exc:  # a validator of the project's own models failed on them
            text = f"{type(exc).__name__}: {exc}"[:200]
            raise self.error([f"checking them failed with {text}"]) from exc

    def _check(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _load(self, raw: str) -> dict[str, Any]:
        if not raw.strip() and not self.required:
            return {}
        try:
            data = json.loads(raw, parse_constant=_refuse_constant)
        except ValueError as exc:
            where = (
                f" at line {exc.lineno} column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise self.error([f"not valid JSON ({message}{where}); send one JSON object"]) from None
        if not isinstance(data, dict):
            raise self.error([f"expected a JSON object, got {_json_kind(data)}"])
        return data

    def error(self, problems: list[str]) -> ToolArgumentsError:
        """The error the model reads: every problem (the first few), in one line."""
        shown = problems[:MAX_SHOWN_ERRORS]
        if len(problems) > len(shown):
            shown.append(f"and {len(problems) - len(shown)} more")
        return ToolArgumentsError(f"invalid arguments for {self.tool}: {'; '.join(shown)}")


class DerivedArguments(Arguments):
    """Arguments read from a function's signature and type hints, checked by pydantic."""

    def __init__(
        self,
        function: Callable[..., Any],
        tool: str,
        *,
        strict: bool = True,
        descriptions: dict[str, str] | None = None,
    ) -> None:
        self.tool = tool
        self.parameters = read_parameters(function, tool)
        if self.parameters.var_positional or self.parameters.var_keyword:
            raise ToolError(
                f"tool '{tool}': its function takes *args or **kwargs, which the model cannot "
                "fill. Give it named, typed parameters, or describe the arguments with a "
                "parameters schema in the assistant file."
            )
        self.model = self._model(descriptions or {})
        with warnings.catch_warnings():  # a default that JSON cannot show is left out, quietly
            warnings.simplefilter("ignore")
            try:
                natural = _without_titles(self.model.model_json_schema(by_alias=True))
            except Exception as exc:  # pydantic's PydanticInvalidForJsonSchema, say
                raise self._unsupported(exc) from exc
        self.natural = natural
        self.required = frozenset(natural.get("required", ()))
        self.schema = strict_schema(natural, tool) if strict else natural

    def _model(self, descriptions: dict[str, str]) -> Any:
        from pydantic import ConfigDict, Field, create_model
        from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError

        signature = self.parameters.signature
        assert signature is not None
        fields: dict[str, Any] = {}
        for index, name in enumerate(self.parameters.names):
            parameter = signature.parameters[name]
            if parameter.annotation is inspect.Parameter.empty:
                raise ToolError(
                    f"tool '{self.tool}': parameter '{name}' has no type hint, so gptkit cannot "
                    f"tell the model what to send. Annotate it (for example '{name}: str'), or "
                    "give the tool a parameters schema."
                )
            info = Field(alias=name, description=descriptions.get(name))
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            # Internal names keep parameters such as 'schema' or 'model_x' clear of BaseModel's.
            fields[f"p{index}"] = (Annotated[parameter.annotation, info], default)
        try:
            return create_model(
                f"{self.tool}_arguments",
                __config__=ConfigDict(extra="forbid", protected_namespaces=()),
                **fields,
            )
        except (PydanticSchemaGenerationError, PydanticUserError, TypeError) as exc:
            raise self._unsupported(exc) from exc

    def _unsupported(self, exc: Exception) -> ToolError:
        reason = str(exc).split("\n", 1)[0]
        return ToolError(
            f"tool '{self.tool}': {self._culprit()}cannot be described as JSON ({reason}). Use "
            "str, int, float, bool, Literal, Enum, lists, dicts, pydantic models or TypedDicts, "
            "or give the tool a parameters schema."
        )

    def _culprit(self) -> str:
        """``parameter 'x' `` for the first parameter whose type pydantic cannot handle."""
        from pydantic import TypeAdapter

        signature = self.parameters.signature
        assert signature is not None
        for name in self.parameters.names:
            try:
                TypeAdapter(signature.parameters[name].annotation).json_schema()
            except Exception:
                return f"the type of parameter '{name}' "
        return "a parameter's type "

    def _check(self, data: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        data = drop_default_nulls(data, self.natural, self.natural)
        try:
            # JSON mode, strict: "5" is not an integer, but an ISO date string is a date.
            checked = self.model.model_validate_json(json.dumps(data), strict=True)
        except ValidationError as exc:
            raise self.error([_pydantic_problem(e) for e in exc.errors()]) from None
        return {name: getattr(checked, f"p{i}") for i, name in enumerate(self.parameters.names)}


class SchemaArguments(Arguments):
    """Arguments described by the ``parameters`` JSON Schema of the assistant file."""

    def __init__(self, schema: dict[str, Any], tool: str) -> None:
        from jsonschema import Draft202012Validator

        self.tool = tool
        self.schema = schema
        self.required = frozenset(schema.get("required", ()))
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as exc:  # jsonschema.SchemaError; `gptkit validate` names the place
            raise ToolError(
                f"tool '{tool}': its parameters are not a valid JSON Schema ({exc.args[0]}); "
                "run `gptkit validate` on the assistant file to see where."
            ) from exc
        self.validator = Draft202012Validator(schema)

    def _check(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            errors = sorted(self.validator.iter_errors(data), key=_path_key)
        except RecursionError:
            raise
        except Exception as exc:  # an unresolvable $ref: the schema's fault, reported to the model
            raise self.error([f"the tool's parameters schema cannot be checked ({exc})"]) from exc
        if errors:
            raise self.error([_jsonschema_problem(e) for e in errors])
        return data


def _path_key(error: Any) -> list[str]:
    return [str(part) for part in error.absolute_path]


def strict_schema(schema: dict[str, Any], tool: str) -> dict[str, Any]:
    """The derived ``schema`` rewritten for OpenAI strict mode, or a :class:`ToolError` saying why not.

    The rewrite itself (:func:`gptkit.config.strict.strict_rewrite`) is shared with ``validate``.
    """
    try:
        return strict_rewrite(schema)
    except NotStrict as exc:
        raise ToolError(f"tool '{tool}': {exc}") from None


def drop_default_nulls(value: Any, schema: Any, root: dict[str, Any]) -> Any:
    """Remove ``null`` values of optional properties, so that pydantic fills their defaults."""
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            required = set(schema.get("required", ()))
            return {
                k: drop_default_nulls(v, properties[k], root) if k in properties else v
                for k, v in value.items()
                if not (v is None and k in properties and k not in required)
            }
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [drop_default_nulls(v, schema["items"], root) for v in value]
    if isinstance(value, (dict, list)):
        fitting = [b for b in _branches(schema, root) if _fits(value, b)]
        if len(fitting) == 1:  # only one way to read the value: follow it
            return drop_default_nulls(value, fitting[0], root)
    return value


def _branches(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    """The alternatives of a union, nested unions flattened and references followed."""
    found: list[dict[str, Any]] = []
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, ()) if isinstance(schema.get(key), list) else ():
            branch = _resolve(branch, root)
            nested = depth < 8 and ("anyOf" in branch or "oneOf" in branch)
            found.extend(_branches(branch, root, depth + 1) if nested else [branch])
    return found


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` could be read by ``schema``: same JSON type, and matching tag constants."""
    if isinstance(value, list):
        return schema.get("type") == "array"
    if schema.get("type") != "object":
        return False
    properties = schema.get("properties")
    tags = {
        name: sub["const"]
        for name, sub in (properties.items() if isinstance(properties, dict) else ())
        if isinstance(sub, dict) and "const" in sub
    }
    return all(value.get(name) == tag for name, tag in tags.items())


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    for _ in range(32):  # a $ref chain, bounded
        if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
            return schema if isinstance(schema, dict) else {}
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            return {}
        schema = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
    return {}


def _without_titles(node: Any) -> Any:
    """Drop pydantic's generated titles (noise to the model); property names stay untouched."""
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {n: _without_titles(s) for n, s in value.items()}
        elif key in ("default", "enum", "const", "examples"):
            out[key] = value  # values, not schemas
        else:
            out[key] = _without_titles(value)
    return out


_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "decimal": "a number",
    "string": "a string",
    "bool": "a boolean",
    "list": "an array",
    "tuple": "an array",
    "set": "an array",
    "frozen_set": "an array",
    "dict": "an object",
    "model": "an object",
    "model_attributes": "an object",
    "dataclass": "an object",
    "typed_dict": "an object",
    "none_required": "null",
}


def _pydantic_problem(error: Any) -> str:
    where = _where(tuple(str(p) if isinstance(p, str) else p for p in error["loc"]))
    kind: str = error["type"]
    if kind == "missing":
        return f"{where}: field required"
    if kind == "extra_forbidden":
        return f"{where}: unexpected field"
    base = kind.removesuffix("_type").removesuffix("_parsing")
    if kind in ("int_from_float",):
        text = "expected an integer"
    elif kind.endswith(("_type", "_parsing")) and base in _EXPECTED:
        text = f"expected {_EXPECTED[base]}"
    else:
        message = str(error["msg"])
        text = message[:1].lower() + message[1:]
    return f"{where}: {text}, got {_show(error.get('input'))}"


def _jsonschema_problem(error: Any) -> str:
    path = tuple(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{_where((*path, missing))}: field required"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in allowed]
        return "; ".join(f"{_where((*path, k))}: unexpected field" for k in extra) or error.message
    if error.validator == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        names = " or ".join(_JSON_TYPE_NAMES.get(t, str(t)) for t in expected)
        return f"{_where(path)}: expected {names}, got {_show(error.instance)}"
    if error.validator == "enum":
        options = ", ".join(_show(v) for v in error.validator_value)
        return f"{_where(path)}: must be one of {options}, got {_show(error.instance)}"
    return f"{_where(path)}: {error.message[:200]}"


_JSON_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def _where(path: tuple[Any, ...]) -> str:
    """``trip.stops[0].city``, from a path of names and indexes."""
    text = ""
    for part in path:
        if isinstance(part, int) or part == "[]":
            text += f"[{'' if part == '[]' else part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "arguments"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 1] + "…"


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
