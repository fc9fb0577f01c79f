"""A streamed answer that gives its conversation's turn back however it ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from gptkit.runtime.events import Answer
    from gptkit.serve.conversations import Holder


class TurnStream(StreamingResponse):
    """An SSE answer that gives the conversation's turn back however the stream ends."""

    def __init__(self, content: AsyncIterator[bytes], holder: Holder,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(content, media_type="text/event-stream",
                         headers={"cache-control": "no-cache", "x-accel-buffering": "no",
                                  **(headers or {})})
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.holder.release()


def note_answer(info: dict[str, Any], answer: Answer) -> None:
    """What the request log shows of a turn's answer."""
    if answer.usage is not None:
        info["input_tokens"] = answer.usage.input_tokens
        info["output_tokens"] = answer.usage.output_tokens
    info["cost_usd"] = answer.cost_usd
