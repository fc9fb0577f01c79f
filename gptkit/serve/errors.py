"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}`` and a status.

Every failure the server answers goes through :class:`ApiError`, so a client sees one shape
whatever went wrong, and its words never hold a secret (the caller redacts them first).
"""

from __future__ import annotations

import json
from typing import Any

#: The error ``type`` of each status the server answers with.
TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    500: "server_error",
    502: "api_error",
    503: "server_error",
}


class ApiError(Exception):
    """A failure to answer with ``status`` and OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        *,
        param: str | None = None,
        retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.retry = retry  # x-should-retry for the openai client; None leaves it to the status

    @property
    def type(self) -> str:
        return TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")

    def body(self) -> dict[str, Any]:
        return {
            "error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        }

    def json_bytes(self) -> bytes:
        return json.dumps(self.body()).encode()

    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.retry is not None:
            headers["x-should-retry"] = "true" if self.retry else "false"
        return headers


def from_turn(exc: BaseException, secrets: tuple[str, ...] = ()) -> ApiError:
    """The API error for a turn that failed with ``exc`` (a :class:`gptkit.GptkitError`).

    A failed turn keeps nothing, but its tools may have run: the client is told not to retry it
    on its own (``x-should-retry: false``).
    """
    from gptkit.config.secrets import redact
    from gptkit.errors import GptkitError, ProviderError, StoreError, TurnError, UsageError

    text = redact(str(exc), secrets) if secrets else str(exc)
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, UsageError):
        return ApiError(400, text, "invalid_request")
    if isinstance(exc, ProviderError):
        return ApiError(502, f"the model API failed: {text}", "model_api_error", retry=False)
    if isinstance(exc, TurnError):
        return ApiError(500, text, "turn_failed", retry=False)
    if isinstance(exc, StoreError):
        return ApiError(503, text, "store_error", retry=False)
    if isinstance(exc, GptkitError):
        return ApiError(500, text, "gptkit_error", retry=False)
    return ApiError(
        500,
        f"internal error in gptkit serve ({type(exc).__name__}); this is a bug, please report it",
        "internal_error",
        retry=False,
    )
