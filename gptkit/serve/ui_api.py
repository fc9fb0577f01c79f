"""The web chat page's JSON routes (``/ui/api/...``), as /work/notes/serve-contract.md fixes them.

A page conversation is a stored conversation like an API one with ``X-Conversation-Id`` (session
id = conversation id, in the assistant's memory store), so both list and reopen the same ones.
The turn answers as SSE events: ``delta``, ``tool_call``, ``tool_result``, then exactly one of
``done`` and ``error``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gptkit.serve.conversations import check_conversation_id
from gptkit.serve.errors import ApiError, from_turn
from gptkit.serve.logs import log_info
from gptkit.serve.streaming import TurnStream, note_answer
from gptkit.serve.wire_common import body_object

if TYPE_CHECKING:
    from gptkit.messages import Message, Usage
    from gptkit.serve.conversations import Assistants, Served

RESULT_CHARS = 300
TITLE_CHARS = 80


def routes(assistants: Assistants, start_turn: Callable[..., Any]) -> list[Route]:
    """The routes, over ``assistants``; ``start_turn`` is the app's (log, lock, session)."""

    async def list_assistants(request: Request) -> Response:
        data = [
            {"id": s.name, "name": s.display_name, "description": s.config.description or "",
             "starters": list(s.config.conversation_starters)}
            for s in assistants.by_name.values()
        ]
        return JSONResponse({"data": data})

    async def list_conversations(request: Request) -> Response:
        found: dict[str, dict[str, Any]] = {}
        for served in stored(assistants):
            for info in served.store.list_sessions(served.name):
                if info.id in found or (info.user is not None and info.user != served.user):
                    continue
                messages = served.store.messages(info.id)
                found[info.id] = summary(served, info, messages)
        data = sorted(found.values(), key=lambda c: c["updated_at"], reverse=True)
        return JSONResponse({"data": data})

    def locate(conversation: str) -> tuple[Served, Any]:
        check_conversation_id(conversation)
        for served in stored(assistants):
            info = served.store.get_session(conversation)
            if info is not None and info.assistant == served.name and (
                info.user is None or info.user == served.user
            ):
                return served, info
        raise ApiError(404, f"there is no conversation {conversation!r}", "conversation_not_found")

    async def get_conversation(request: Request) -> Response:
        served, info = locate(request.path_params["id"])
        messages = served.store.messages(info.id)
        return JSONResponse({**summary(served, info, messages), "messages": view(messages)})

    async def delete_conversation(request: Request) -> Response:
        conversation = request.path_params["id"]
        served, info = locate(conversation)
        if assistants.locks.busy(conversation):
            raise ApiError(409, f"conversation {conversation!r} has a turn in progress; delete it "
                           "once the answer is in", "conversation_busy")
        served.store.delete_session(info.id)
        return Response(status_code=204)

    async def turn(request: Request) -> Response:

        conversation = check_conversation_id(request.path_params["id"])
        body = body_object(await request.body())
        served = assistants.get(body.get("assistant"), "assistant")
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            raise ApiError(400, "'message' must be the text to send", "invalid_message",
                           param="message")
        info = log_info(request)
        session_turn, holder = start_turn(request, served, message, None, conversation)
        json_out = served.config.output.format == "json"
        redactor = display_redactor(served)

        async def events() -> AsyncIterator[bytes]:
            from gptkit.runtime.events import Answer, TextDelta, ToolFinished, ToolStarted

            try:
                async for event in session_turn.events():
                    if isinstance(event, TextDelta):
                        if not json_out:
                            yield sse("delta", {"text": event.text})
                    elif isinstance(event, ToolStarted):
                        yield sse("tool_call", {"id": event.call.id, "name": event.call.name,
                                                "arguments": redactor.json_text(event.call.arguments)})
                    elif isinstance(event, ToolFinished):
                        yield sse("tool_result", {"id": event.call.id, "name": event.call.name,
                                                  "result": redactor(event.result)[:RESULT_CHARS],
                                                  "error": event.error})
                    elif isinstance(event, Answer):
                        holder.release()
                        note_answer(info, event)
                        if json_out:
                            yield sse("delta", {"text": event.text})
                        total = conversation_totals(served, conversation)
                        yield sse("done", {"usage": usage_of(event.usage),
                                           "cost_usd": event.cost_usd, "conversation": total})
            except Exception as exc:
                error = from_turn(exc, served.secrets)
                info["error"] = error.code
                yield sse("error", {"message": error.message, "code": error.code})

        return TurnStream(events(), holder)

    return [
        Route("/ui/api/assistants", list_assistants, methods=["GET"]),
        Route("/ui/api/conversations", list_conversations, methods=["GET"]),
        Route("/ui/api/conversations/{id}", get_conversation, methods=["GET"]),
        Route("/ui/api/conversations/{id}", delete_conversation, methods=["DELETE"]),
        Route("/ui/api/conversations/{id}/turn", turn, methods=["POST"]),
    ]


def stored(assistants: Assistants) -> list[Served]:
    return [s for s in assistants.by_name.values() if s.stores]


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def display_redactor(served: Served) -> Any:
    """What hides secrets in tool arguments and results shown: API keys always, and the
    assistant's memory.redact rules."""
    from gptkit.memory.redact import Redactor

    rules = ["api_key", *(r for r in served.config.memory.redact if r != "api_key")]
    return Redactor(rules, literals=served.secrets)


def usage_of(usage: Usage | None) -> dict[str, int]:
    return {"input_tokens": usage.input_tokens if usage else 0,
            "output_tokens": usage.output_tokens if usage else 0}


def totals(served: Served, messages: list[Message]) -> tuple[dict[str, int], float | None]:
    """The tokens a conversation used so far, and their cost (None when the price is unknown)."""
    from gptkit.messages import Usage
    from gptkit.providers.prices import cost

    used = Usage()
    for message in messages:
        if message.usage is not None:
            used = used + message.usage
    return usage_of(used), cost(served.session.model, used)


def conversation_totals(served: Served, conversation: str) -> dict[str, Any]:
    if not served.stores:
        return {"usage": usage_of(None), "cost_usd": 0.0}
    usage, spent = totals(served, served.store.messages(conversation))
    return {"usage": usage, "cost_usd": spent}


def summary(served: Served, info: Any, messages: list[Message]) -> dict[str, Any]:
    first = next((m.content for m in messages if m.role == "user"), "")
    title = " ".join(first.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    usage, spent = totals(served, messages)
    return {"id": info.id, "assistant": served.name, "title": title,
            "updated_at": info.updated_at.timestamp(), "usage": usage, "cost_usd": spent}


def view(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation as the page shows it: user and assistant texts, each answer with the
    tool calls made on its way."""
    out: list[dict[str, Any]] = []
    tools: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message.role == "user":
            out.append({"role": "user", "content": message.content})
            tools = []
        elif message.role == "tool":
            entry = calls.pop(message.tool_call_id or "", None)
            if entry is not None:
                entry["result"] = message.content[:RESULT_CHARS]
                entry["error"] = message.content.startswith("error:")
        elif message.tool_calls:
            for call in message.tool_calls:
                entry = {"name": call.name, "arguments": call.arguments, "result": "",
                         "error": False}
                tools.append(entry)
                calls[call.id] = entry
        else:
            out.append({"role": "assistant", "content": message.content, "tools": tools})
            tools = []
    return out
