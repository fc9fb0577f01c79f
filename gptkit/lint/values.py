"""Checks of single values: variables, redaction patterns, literal secrets, prompt size."""

from __future__ import annotations

import json
import re
from typing import Any

from gptkit.config.compose import Composed
from gptkit.config.known_models import context_window
from gptkit.config.names import URL_PATTERN
from gptkit.config.secrets import find_secret, secret_problems

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def check_variables(composed: Composed) -> None:
    """Defaults and enum values must have the declared type; a default must be in the enum."""
    variables = composed.data.get("variables")
    if not isinstance(variables, dict):
        return
    for name, spec in variables.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if not isinstance(kind, str) or kind not in _PY_TYPES:
            continue  # the schema check reports the type (a mapping or list is not a key)
        path = ("variables", name)
        if "default" in spec and not _is(spec["default"], kind):
            composed.problem(
                (*path, "default"), "variable-type", f"the default of {name} is not of type {kind}"
            )
        enum = spec.get("enum")
        if isinstance(enum, list):
            for index, value in enumerate(enum):
                if not _is(value, kind):
                    composed.problem(
                        (*path, "enum", index),
                        "variable-type",
                        f"this value of {name}'s enum is not of type {kind}",
                    )
            if "default" in spec and spec["default"] not in enum:
                composed.problem(
                    (*path, "default"),
                    "variable-enum",
                    f"the default of {name} is not one of its enum values",
                )
        if spec.get("required") is True and "default" in spec:
            composed.problem(
                (*path, "required"),
                "variable-required",
                f"{name} is required but has a default, so it is never missing",
                "remove required, or remove the default",
                severity="warning",
            )


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    return isinstance(value, _PY_TYPES[kind])


def check_redact(composed: Composed) -> None:
    """Custom redaction patterns must be valid regular expressions."""
    memory = composed.data.get("memory")
    rules = memory.get("redact") if isinstance(memory, dict) else None
    if not isinstance(rules, list):
        return
    for index, rule in enumerate(rules):
        if isinstance(rule, dict) and isinstance(rule.get("pattern"), str):
            try:
                re.compile(rule["pattern"])
            except re.error as exc:
                composed.problem(
                    ("memory", "redact", index, "pattern"),
                    "regex",
                    f"not a valid regular expression: {exc}",
                )


def check_base_url(composed: Composed) -> None:
    """``model.base_url`` must be a URL an HTTP client can connect to: a host, a valid port.

    The schema's pattern only asks for ``http://`` or ``https://`` and no spaces; a value that
    fails it is reported there, and one holding an unset ``${VAR}`` where that is reported.
    """
    model = composed.data.get("model")
    url = model.get("base_url") if isinstance(model, dict) else None
    path = ("model", "base_url")
    if not isinstance(url, str) or path in composed.unresolved or not re.search(URL_PATTERN, url):
        return
    from gptkit.config.urls import url_problem

    problem = url_problem(url)
    if problem is not None:
        message, hint = problem
        shown = "the URL (it holds a secret, not shown)" if find_secret(url) else json.dumps(url)
        composed.problem(path, "url", f"{shown} is not a valid URL: {message}", hint)



def check_secrets(composed: Composed) -> None:
    """Report literal credentials anywhere in the files as written (before substitution)."""
    for doc in composed.documents:
        composed.problems.extend(secret_problems(doc))


def check_size(composed: Composed, template: str | None) -> None:
    """Warn when the instructions exceed the Custom GPT limit or the model's context window."""
    from gptkit.lint.templates import CUSTOM_GPT_LIMIT

    if template is None:
        return
    where = ("instructions",) if "instructions" in composed.data else ("instructions_file",)
    if len(template) > CUSTOM_GPT_LIMIT:
        composed.problem(
            where,
            "prompt-size",
            f"the instructions are {len(template)} characters long, over the "
            f"{CUSTOM_GPT_LIMIT} that a Custom GPT accepts",
            "fine for gptkit; shorten them if you also publish this as a Custom GPT",
            severity="warning",
        )
    model = composed.data.get("model")
    if not isinstance(model, dict):
        return
    window = model.get("context_window")
    if not isinstance(window, int):
        name = model.get("name")
        window = context_window(name) if isinstance(name, str) else None
    tokens = len(template) // 4  # about four characters a token for English text
    if window and tokens > window:
        composed.problem(
            where,
            "prompt-size",
            f"the instructions are about {tokens} tokens, more than the model's "
            f"context window of {window}",
            "shorten them, or choose a model with a larger context window",
            severity="warning",
        )
