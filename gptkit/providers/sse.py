"""Server-sent events from a streamed reply, read to the end of the body.

The openai package's own stream stops at ``data: [DONE]`` and leaves the generators under it to
the garbage collector, whose clean-up tasks then die with the event loop ("Task was destroyed
but it is pending!"). This reader takes the bytes itself and reads the body to its end, so every
generator under it finishes and the connection can be reused; when it stops early (an error, a
deadline) it closes the response.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from gptkit.providers.base import StreamError


async def events(response: Any) -> AsyncIterator[Any]:
    """The JSON ``data`` of each event of ``response`` (an httpx response), in order.

    Comments (``: keep-alive``) and events without data are skipped; ``[DONE]`` ends the
    events (the rest of the body is read and dropped). An event whose data is not JSON, or an
    ``{"error": ...}`` event, raises StreamError.
    """
    pending = b""
    data: list[bytes] = []
    done = False
    chunks = response.aiter_bytes()
    try:
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except Exception as exc:  # the connection failed mid-way: the client's own errors
                raise _client_error(exc, response) from exc
            if done:
                continue  # drain to the end, so the body and its generators finish
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.rstrip(b"\r")
                if line:
                    if line.startswith(b"data:"):
                        data.append(line[5:].removeprefix(b" "))
                    continue  # event:, id:, retry: and comments carry nothing gptkit needs
                if not data:
                    continue
                text, data = b"\n".join(data), []
                if text.strip() == b"[DONE]":
                    done = True
                    break
                yield _decode(text)
        if not done and data:
            yield _decode(b"\n".join(data))  # a last event without its blank line
    finally:
        await response.aclose()


def _client_error(exc: Exception, response: Any) -> Exception:
    import openai

    if "Timeout" in type(exc).__name__:
        return openai.APITimeoutError(request=response.request)
    return openai.APIConnectionError(request=response.request)


def _decode(text: bytes) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        shown = text[:80].decode("utf-8", "replace")
        raise StreamError(f"the stream sent an event that is not JSON ({shown!r})") from None
    if isinstance(value, dict) and value.get("error") and "type" not in value:
        error = value["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise StreamError(f"the server reported an error mid-stream: {message or error}")
    return value
