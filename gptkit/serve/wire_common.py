"""What both wire formats share: reading a message's text, usage in the client's words, ids."""

from __future__ import annotations

import os
import time
from typing import Any

from gptkit.serve.errors import ApiError


def new_id(prefix: str) -> str:
    return f"{prefix}{os.urandom(12).hex()}"


def now() -> int:
    return int(time.time())


def text_of(content: Any, where: str, kinds: tuple[str, ...]) -> str:
    """The text of a message's ``content``: a string, or a list of text parts."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        pieces = []
        for index, part in enumerate(content):
            if isinstance(part, str):
                pieces.append(part)
                continue
            if not isinstance(part, dict) or part.get("type") not in kinds or not isinstance(
                part.get("text"), str
            ):
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ApiError(
                    400,
                    f"{where}.content[{index}] is a {kind!s:.40} part; this server takes text "
                    f"only ({' or '.join(kinds)} parts)",
                    "unsupported_content",
                    param=f"{where}.content",
                )
            pieces.append(part["text"])
        return "".join(pieces)
    raise ApiError(400, f"{where}.content must be a string or a list of text parts",
                   "invalid_content", param=f"{where}.content")


def body_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 saying what is wrong."""
    import json

    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the request body is not JSON: {exc}", "invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", "invalid_body")
    return body


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400, f"'{name}' must be true or false", "invalid_type", param=name)
    return value


def served_model(body: dict[str, Any]) -> str:
    """The request's ``model`` (the served assistant's name); a 400 when it is missing, or when
    the request brings tools of its own (the server runs the assistant's)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required: the name of a served assistant", "missing_model",
                       param="model")
    if body.get("tools"):
        raise ApiError(400, "this server runs the assistant's own tools; a request cannot bring "
                       "tools of its own (leave 'tools' out)", "tools_not_supported", param="tools")
    return model
