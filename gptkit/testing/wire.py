"""The fake server's wire renderers: a scripted answer as the bytes OpenAI would send.

Chat Completions (``chat.completion`` bodies and ``chat.completion.chunk`` SSE events) and the
Responses API (``response`` objects and their SSE events), in the shapes the official ``openai``
package parses, plus the OpenAI-style error body. Only the standard library is used.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from gptkit.testing.script import Answer

__all__ = ["chat_chunks", "chat_completion", "error_body", "response_events", "response_object"]

DEFAULT_MODEL = "fake-model"
FINGERPRINT = "fp_gptkit.testing"  # gptkit.providers.cassette recognises recordings by it
"""Every answer body (and every streamed chunk or ``response`` object) carries this as
``system_fingerprint``, so a recording can tell it came from the fake server."""
_ids = itertools.count(1)
_dumps = json.dumps


def _split(value: str, pieces: int) -> list[str]:
    """``value`` in up to ``pieces`` consecutive parts (none for an empty string)."""
    if not value:
        return []
    size = -(-len(value) // pieces)
    return [value[i:i + size] for i in range(0, len(value), size)]


def answer_usage(answer: Answer, raw_body: bytes) -> tuple[int, int]:
    """The answer's ``(input, output)`` tokens: its own, else about one per four characters."""
    if answer.usage is not None:
        return answer.usage
    out = len(answer.text or "") + sum(len(c.name) + len(c.arguments) for c in answer.calls)
    return max(1, len(raw_body) // 4), max(1, out // 4)


# --------------------------------------------------------------------------------------------
# Chat Completions wire format
# --------------------------------------------------------------------------------------------

def _chat_usage(usage: tuple[int, int]) -> dict[str, Any]:
    return {
        "prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0,
                                      "rejected_prediction_tokens": 0},
    }


def chat_completion(answer: Answer, model: str, usage: tuple[int, int]) -> bytes:
    """The non-streamed ``chat.completion`` body for ``answer``."""
    message: dict[str, Any] = {"role": "assistant", "content": answer.text,
                               "refusal": answer.refusal,
                               "annotations": []}
    if answer.calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in answer.calls]
    return _dumps({
        "id": f"chatcmpl-fake{next(_ids)}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": _finish(answer)}],
        "usage": _chat_usage(usage), "service_tier": "default", "system_fingerprint": FINGERPRINT,
    }).encode()


def chat_chunks(answer: Answer, model: str, usage: tuple[int, int] | None) -> list[bytes]:
    """The SSE events (``data: ...``) of a streamed ``chat.completion.chunk`` answer.

    A role delta, the text in a few deltas, each tool call as a first delta with id and name and
    then its arguments in several deltas, a finish chunk, a usage chunk (``choices: []``) when
    ``usage`` is given, and ``data: [DONE]``.
    """
    head = (f'data: {{"id":"chatcmpl-fake{next(_ids)}","object":"chat.completion.chunk",'
            f'"created":{int(time.time())},"model":{_dumps(model)},"service_tier":"default",'
            f'"system_fingerprint":"{FINGERPRINT}","choices":[')

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return (f'{head}{{"index":0,"delta":{_dumps(delta)},"logprobs":null,'
                f'"finish_reason":{_dumps(finish)}}}]}}\n\n').encode()

    content = "" if answer.text is not None or not answer.calls else None
    events = [chunk({"role": "assistant", "content": content, "refusal": None})]
    events += [chunk({"content": piece}) for piece in _split(answer.text or "", 4)]
    events += [chunk({"refusal": piece}) for piece in _split(answer.refusal or "", 2)]
    for index, c in enumerate(answer.calls):
        events.append(chunk({"tool_calls": [{"index": index, "id": c.id, "type": "function",
                                             "function": {"name": c.name, "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                   for piece in _split(c.arguments, 3)]
    events.append(chunk({}, _finish(answer)))
    if usage is not None:
        events.append(f'{head}],"usage":{_dumps(_chat_usage(usage))}}}\n\n'.encode())
    events.append(b"data: [DONE]\n\n")
    return events


# --------------------------------------------------------------------------------------------
# Responses API wire format
# --------------------------------------------------------------------------------------------

def _responses_usage(usage: tuple[int, int]) -> dict[str, Any]:
    return {"input_tokens": usage[0],
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": usage[1], "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": sum(usage)}


def _finish(answer: Answer) -> str:
    return answer.finish or ("tool_calls" if answer.calls else "stop")


def _state(answer: Answer) -> tuple[str, dict[str, str] | None]:
    """The Responses API status and incomplete_details of ``answer``."""
    if answer.finish in ("length", "content_filter"):
        reason = "max_output_tokens" if answer.finish == "length" else "content_filter"
        return "incomplete", {"reason": reason}
    return "completed", None


def _output_items(answer: Answer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if answer.text is not None or not (answer.calls or answer.refusal is not None):
        items.append({"id": f"msg_fake{next(_ids)}", "type": "message", "status": "completed",
                      "role": "assistant",
                      "content": [{"type": "output_text", "text": answer.text or "",
                                   "annotations": [], "logprobs": []}]})
    if answer.refusal is not None:
        items.append({"id": f"msg_fake{next(_ids)}", "type": "message", "status": "completed",
                      "role": "assistant",
                      "content": [{"type": "refusal", "refusal": answer.refusal}]})
    for c in answer.calls:
        items.append({"id": f"fc_fake{next(_ids)}", "type": "function_call", "status": "completed",
                      "arguments": c.arguments, "call_id": c.id, "name": c.name})
    return items


def _response(body: dict[str, Any], model: str, rid: str, created: int, state: str,
              output: list[dict[str, Any]], usage: tuple[int, int] | None,
              incomplete: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": rid, "object": "response", "created_at": created, "status": state,
        "background": False, "error": None, "incomplete_details": incomplete,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "model": model, "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None}, "service_tier": "default",
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0), "truncation": "disabled",
        "usage": None if usage is None else _responses_usage(usage),
        "user": None, "metadata": body.get("metadata") or {},
        "system_fingerprint": FINGERPRINT,  # not a Responses field; clients keep it as an extra
        **({"completed_at": created} if state == "completed" else {}),
    }


def response_object(answer: Answer, body: dict[str, Any], model: str,
                    usage: tuple[int, int]) -> bytes:
    """The non-streamed ``response`` body for ``answer``."""
    created = int(time.time())
    state, incomplete = _state(answer)
    return _dumps(_response(body, model, f"resp_fake{next(_ids)}", created, state,
                            _output_items(answer), usage, incomplete)).encode()


def response_events(answer: Answer, body: dict[str, Any], model: str,
                    usage: tuple[int, int] | None) -> list[bytes]:
    """The SSE events (``event:`` and ``data:`` lines) of a streamed Responses API answer."""
    rid, created = f"resp_fake{next(_ids)}", int(time.time())
    items = _output_items(answer)
    events: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        data = _dumps({"type": kind, "sequence_number": len(events), **fields})
        events.append(f"event: {kind}\ndata: {data}\n\n".encode())

    started = _response(body, model, rid, created, "in_progress", [], None)
    emit("response.created", response=started)
    emit("response.in_progress", response=started)
    for index, item in enumerate(items):
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            full = item["content"][0]
            emit("response.output_item.added", output_index=index,
                 item={**item, "status": "in_progress", "content": []})
            emit("response.content_part.added", **where, content_index=0,
                 part={**full, "text": ""})
            for piece in _split(full["text"], 4):
                emit("response.output_text.delta", **where, content_index=0, delta=piece,
                     logprobs=[])
            emit("response.output_text.done", **where, content_index=0, text=full["text"],
                 logprobs=[])
            emit("response.content_part.done", **where, content_index=0, part=full)
        else:
            emit("response.output_item.added", output_index=index,
                 item={**item, "status": "in_progress", "arguments": ""})
            for piece in _split(item["arguments"], 3):
                emit("response.function_call_arguments.delta", **where, delta=piece)
            emit("response.function_call_arguments.done", **where, name=item["name"],
                 arguments=item["arguments"])
        emit("response.output_item.done", output_index=index, item=item)
    state, incomplete = _state(answer)
    emit(f"response.{state}",
         response=_response(body, model, rid, created, state, items, usage, incomplete))
    return events


def error_body(message: str, error_type: str, code: str | None) -> bytes:
    """An OpenAI-style error body."""
    return _dumps({"error": {"message": message, "type": error_type, "param": None,
                             "code": code}}).encode()
