"""Strict modes of the fake server: refuse what a real OpenAI-compatible server refuses.

``FakeOpenAI(script, strict="ollama")`` checks every Chat Completions request body the way that
server does before the script answers, and answers a refused request with that server's status
and words. The rules are the ones seen in the real servers (their request validation and the
issues filed against them), kept to what a client like gptkit can get wrong:

=============  ==============================================================================
``openai``     an assistant message without ``tool_calls`` needs string content (400); every
               tool message answers a call of the assistant message before it, and every call
               is answered (400); ``stream_options`` only with ``stream: true`` (400)
``ollama``     any message with ``"content": null`` (400 ``invalid message content type:
               <nil>``; Ollama's Go decoder wants a string or a list of parts)
``vllm``       ``stream_options`` without ``stream: true`` (400, vLLM's request validator); a
               tool message without ``tool_call_id`` (400)
``llama.cpp``  an assistant message with ``"content": null`` (500: the model's chat template
               fails to render it, as with ``llama-cpp-python[server]``); no Responses API (404)
``litellm``    a user message whose content is neither a string nor a list of parts (400, the
               proxy's own check), then the ``openai`` rules (the proxy forwards upstream)
=============  ==============================================================================

Only the standard library is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gptkit.testing.request import RecordedRequest
from gptkit.testing.script import Status, status

__all__ = ["SHAPES", "check"]


def _messages(request: RecordedRequest) -> list[tuple[int, dict[str, Any]]]:
    body = request.body if isinstance(request.body, dict) else {}
    raw = body.get("messages")
    return [(i, m) for i, m in enumerate(raw if isinstance(raw, list) else []) if isinstance(m, dict)]


def _stream_options_need_stream(request: RecordedRequest) -> bool:
    body = request.body if isinstance(request.body, dict) else {}
    return bool(body.get("stream_options")) and body.get("stream") is not True


def _openai(request: RecordedRequest) -> Status | None:
    if _stream_options_need_stream(request):
        return status(400, "The 'stream_options' parameter is only allowed when 'stream' is "
                           "enabled.", error_code="invalid_value")
    messages = _messages(request)
    waiting: list[str] = []  # call ids of the last assistant message not answered yet
    for _, message in messages + [(len(messages), {"role": "end"})]:
        role = message.get("role")
        if role == "tool":
            if message.get("tool_call_id") not in waiting:
                return status(400, "Invalid parameter: messages with role 'tool' must be a "
                                   "response to a preceeding message with 'tool_calls'.",
                              error_code=None)
            waiting.remove(message["tool_call_id"])
            continue
        if waiting:
            return status(400, "An assistant message with 'tool_calls' must be followed by tool "
                               "messages responding to each 'tool_call_id'. The following "
                               f"tool_call_ids did not have response messages: "
                               f"{', '.join(waiting)}", error_code=None)
        calls = message.get("tool_calls") if role == "assistant" else None
        if role == "end":
            break
        if calls:
            waiting = [str(c.get("id")) for c in calls if isinstance(c, dict)]
        elif not isinstance(message.get("content"), (str, list)):
            got = "null" if message.get("content") is None else type(message["content"]).__name__
            return status(400, f"Invalid value for 'content': expected a string, got {got}.",
                          error_code="invalid_type")
    return None


def _ollama(request: RecordedRequest) -> Status | None:
    for _, message in _messages(request):
        if "content" in message and message["content"] is None:
            return status(400, "invalid message content type: <nil>", error_code=None)
    return None


def _vllm(request: RecordedRequest) -> Status | None:
    if _stream_options_need_stream(request):
        return status(400, "Stream options can only be defined when `stream=True`.",
                      error_type="BadRequestError", error_code=None)
    for index, message in _messages(request):
        if message.get("role") == "tool" and not isinstance(message.get("tool_call_id"), str):
            return status(400, f"1 validation error: messages.{index}.tool_call_id: Field "
                               "required", error_type="BadRequestError", error_code=None)
    return None


def _llamacpp(request: RecordedRequest) -> Status | None:
    if request.api == "responses":
        return status(404, "Not Found", error_code=None)
    for index, message in _messages(request):
        if message.get("role") == "assistant" and "content" in message \
                and message["content"] is None:
            return status(500, "can only concatenate str (not \"NoneType\") to str (while "
                               f"rendering the chat template at messages[{index}])",
                          error_type="internal_server_error", error_code=None)
    return None


def _litellm(request: RecordedRequest) -> Status | None:
    for index, message in _messages(request):
        if message.get("role") == "user" and not isinstance(message.get("content"), (str, list)):
            return status(400, f"Invalid user message={message} at index {index}. Please ensure "
                               "all user messages are valid OpenAI chat completion messages.",
                          error_code=None)
    return _openai(request)


SHAPES: dict[str, Callable[[RecordedRequest], Status | None]] = {
    "openai": _openai,
    "ollama": _ollama,
    "vllm": _vllm,
    "llama.cpp": _llamacpp,
    "litellm": _litellm,
}
"""The server shapes by name, as ``FakeOpenAI(strict=...)`` accepts them."""


def check(shape: str, request: RecordedRequest) -> Status | None:
    """The refusal that server ``shape`` answers ``request`` with, or ``None`` to go on."""
    rule = SHAPES[shape]
    if request.api == "responses" and shape != "llama.cpp":
        return None  # the Chat Completions rules only
    return rule(request)
