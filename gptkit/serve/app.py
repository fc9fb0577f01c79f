"""The Starlette application: the routes, and the middleware around them.

Routes: ``GET /v1/models`` (and ``/v1/models/{id}``), ``POST /v1/chat/completions``,
``POST /v1/responses``, ``GET /healthz``, ``GET /openapi.json``, the web chat page (``GET /`` and
``/static/...``) and its JSON routes (``/ui/api/...``, :mod:`gptkit.serve.ui_api`).

Middleware, outermost first: the request log (:mod:`gptkit.serve.logs`), the Host check, CORS
for the listed origins only, then the API key and the body size limit
(:mod:`gptkit.serve.security`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gptkit.serve import chat_wire, responses_wire, ui_api
from gptkit.serve.conversations import Assistants, Holder, Turn
from gptkit.serve.errors import ApiError, from_turn
from gptkit.serve.logs import RequestLog, log_info
from gptkit.serve.security import Guard
from gptkit.serve.streaming import TurnStream, note_answer
from gptkit.serve.wire_common import body_object

if TYPE_CHECKING:
    from gptkit.runtime.events import Answer
    from gptkit.serve.options import ServeOptions

STATIC = Path(__file__).parent / "static"
COST_HEADER = "x-gptkit-cost-usd"


def cost_header(cost: float | None) -> dict[str, str]:
    return {COST_HEADER: "unknown" if cost is None else f"{cost:.8f}"}


async def answer_stream(
    turn: Turn, holder: Holder, info: dict[str, Any], served: Any, start: bytes,
    delta: Callable[[str], bytes], finish: Callable[[Answer], bytes],
    failed: Callable[[ApiError], bytes],
) -> AsyncIterator[bytes]:
    """One streamed turn in either API's wire form: ``start``, the text as it arrives (a JSON
    answer in one piece, once checked), then ``finish``; or ``failed`` with the turn's error."""
    from gptkit.runtime.events import Answer, TextDelta

    json_out = served.config.output.format == "json"
    yield start
    try:
        async for event in turn.events():
            if isinstance(event, TextDelta) and not json_out:
                yield delta(event.text)
            elif isinstance(event, Answer):
                holder.release()
                note_answer(info, event)
                if json_out:
                    yield delta(event.text)
                yield finish(event)
    except Exception as exc:
        error = from_turn(exc, served.secrets)
        info["error"] = error.code
        yield failed(error)


def build_app(options: ServeOptions, assistants: Assistants) -> Starlette:
    """The application serving ``assistants`` with ``options``' safety settings."""

    def start_turn(request: Request, served: Any, text: str, history: Any,
                   conversation: str | None) -> tuple[Turn, Holder]:
        info = log_info(request)
        info["assistant"] = served.name
        if conversation is None:
            turn = served.stateless(text, history)
        else:
            turn = served.in_conversation(text, conversation)
            info["conversation"] = conversation
        return turn, assistants.hold(conversation, served)

    async def run_whole(turn: Turn, holder: Holder, info: dict[str, Any]) -> Answer:
        try:
            answer: Answer = await turn.session.asend(turn.text, history=turn.history)
        except Exception as exc:
            raise from_turn(exc, turn.served.secrets) from None
        finally:
            holder.release()
        note_answer(info, answer)
        return answer

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [_model(s) for s in assistants.by_name.values()]})

    async def model(request: Request) -> Response:
        served = assistants.get(request.path_params["name"])
        return JSONResponse(_model(served))

    async def chat_completions(request: Request) -> Response:
        info = log_info(request)
        wanted = chat_wire.read(body_object(await request.body()))
        served = assistants.get(wanted.model)
        conversation = request.headers.get("x-conversation-id") or None
        turn, holder = start_turn(request, served, wanted.text, wanted.history, conversation)
        headers = {"x-conversation-id": conversation} if conversation else {}
        if not wanted.stream:
            answer = await run_whole(turn, holder, info)
            body = chat_wire.completion(served.name, answer.text, answer.usage, answer.cost_usd)
            return JSONResponse(body, headers={**headers, **cost_header(answer.cost_usd)})
        writer = chat_wire.ChunkWriter(served.name)
        chunks = answer_stream(
            turn, holder, info, served, writer.start(), writer.delta,
            lambda answer: writer.finish(answer.usage, answer.cost_usd, wanted.include_usage),
            writer.error,
        )
        return TurnStream(chunks, holder, headers)

    async def responses(request: Request) -> Response:
        info = log_info(request)
        wanted = responses_wire.read(body_object(await request.body()))
        served = assistants.get(wanted.model)
        turn, holder = start_turn(request, served, wanted.text, wanted.history, wanted.conversation)
        writer = responses_wire.ResponseWriter(served.name, wanted)
        if not wanted.stream:
            answer = await run_whole(turn, holder, info)
            return JSONResponse(writer.completed(answer.text, answer.usage, answer.cost_usd),
                                headers=cost_header(answer.cost_usd))
        events = answer_stream(
            turn, holder, info, served, writer.start(), writer.delta,
            lambda answer: writer.finish(answer.text, answer.usage, answer.cost_usd),
            writer.failed,
        )
        return TurnStream(events, holder)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "assistants": len(assistants.by_name)})

    async def openapi(request: Request) -> Response:
        from gptkit.serve.openapi import document

        return JSONResponse(document())

    async def index(request: Request) -> Response:
        page = STATIC / "index.html"
        if not page.is_file():
            raise ApiError(404, "the web chat page is not installed with this gptkit", "no_page")
        return FileResponse(page, media_type="text/html; charset=utf-8",
                            headers={"cache-control": "no-cache"})

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return Response(exc.json_bytes(), exc.status, headers=exc.headers())

    async def not_found(request: Request, exc: Exception) -> Response:
        from starlette.exceptions import HTTPException

        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 405:
            error = ApiError(405, f"{request.method} is not allowed on {request.url.path}",
                             "method_not_allowed")
        else:
            error = ApiError(status, f"nothing at {request.url.path[:200]}", "not_found")
        return await api_error(request, error)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for served in assistants.by_name.values():
            with contextlib.suppress(Exception):
                await served.session.aclose()
        assistants.close()

    routes = [
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{name:path}", model, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/", index, methods=["GET"]),
        *ui_api.routes(assistants, start_turn),
        Mount("/static", app=StaticFiles(directory=STATIC, check_dir=False), name="static"),
    ]
    middleware = [
        Middleware(RequestLog, log_format=options.log_format),
        Middleware(Guard, options=options, part="host"),
        Middleware(CORSMiddleware, allow_origins=list(options.cors_origins),
                   allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                   allow_headers=["authorization", "content-type", "x-conversation-id"],
                   expose_headers=["x-conversation-id", COST_HEADER], max_age=600),
        Middleware(Guard, options=options, part="request"),
    ]
    handlers: dict[Any, Callable[..., Any]] = {
        ApiError: api_error, 404: not_found, 405: not_found,
    }
    return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers,
                     lifespan=lifespan)


def _model(served: Any) -> dict[str, Any]:
    return {"id": served.name, "object": "model", "created": 0, "owned_by": "gptkit",
            "name": served.display_name, "description": served.config.description or ""}
