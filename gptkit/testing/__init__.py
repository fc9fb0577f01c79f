"""Test assistants without a network: a fake OpenAI-compatible server and a scripted model.

:class:`FakeOpenAI` serves the Chat Completions and Responses APIs (streamed and not) on
``127.0.0.1`` in a background thread, in the wire formats the official ``openai`` package parses.
It answers each model request with the next reply of a script and records every request::

    import gptkit
    from gptkit.testing import FakeOpenAI, call, text, tool_calls

    def test_the_planner_checks_the_weather_first():
        script = [
            tool_calls(call("get_weather", {"city": "Porto"}, id="call_1")),  # 1st request
            text("Pack an umbrella."),                                       # 2nd request
        ]
        with FakeOpenAI(script) as server:
            session = gptkit.Session(gptkit.load("assistant.yaml"), base_url=server.url)
            ...  # talk to the assistant: one turn, two model requests
        first, second = server.requests
        assert "get_weather" in first.tool_names()             # the tool was offered
        assert second.tool_results()[0].call_id == "call_1"    # and its result sent back

Replies (build them with these functions; any of them takes ``usage=(input, output)``):

- ``text("...")``, ``json_answer(obj)``: an assistant message; ``text("...", finish="length")``
  one cut at the output-token limit. ``refusal("...")``: the model refuses.
- ``tool_calls(call(name, {"arg": 1}), call(name, '{"raw', id="call_9"))``: (parallel) calls;
  arguments may be a raw string, to send invalid JSON.
- ``status(429, headers={"retry-after": "0"})``, ``status(401, echo_auth=True)``: HTTP errors
  with an OpenAI-style body.
- ``delay(seconds, then=reply)``: answer late (client timeouts).
- ``cut(then=reply, after=N)``: drop the connection after N SSE events (or half the body).
- ``stall(then=reply, after=N, seconds=S)``: stream N events, pause S seconds, then the rest.
- ``raw(body, code=200, content_type=...)``: a body sent exactly as given (malformed replies).
- ``trickle(every=1.0)``: never finish (SSE keep-alives, or spaces); ``trickle(reply,
  keepalive=False)`` sends the answer a byte every ``every`` seconds.

``FakeOpenAI(model)`` takes a list of replies, a :class:`ScriptedModel`, a function
``request -> reply``, or a mode: ``"echo"`` (the default; answers ``echo: <last user text>``) or
``"tool-round"`` (calls the first offered tool with arguments made from its schema, then answers
``done``). When a list runs out the server answers 500 ``fake server: script exhausted after N
requests``. Each :class:`RecordedRequest` has ``method``, ``path``, ``headers`` (lower-case
names), ``body`` (parsed JSON) and API-neutral readers: ``last_user_text()``, ``tool_results()``,
``tool_names()``, ``tools()``, ``items()``, ``api``, ``model``, ``stream``.

``FakeOpenAI(script, strict="ollama")`` (or ``"openai"``, ``"vllm"``, ``"llama.cpp"``,
``"litellm"``) refuses what that real server refuses, with its status and words: a client that
passes there sends what the real one accepts (see :mod:`gptkit.testing.shapes`).

To run it as a separate process (benchmarks do, so its CPU time is not the client's)::

    python -m gptkit.testing serve [--port N] [--mode echo|tool-round] [--no-usage-in-stream]
                                   [--no-responses-api] [--api-key KEY] [--strict SHAPE]

which prints ``gptkit fake server on http://127.0.0.1:PORT/v1`` and serves until killed.
Only the standard library is used; importing this package never imports ``openai``.
"""

from __future__ import annotations

from gptkit.testing.script import (
    MODES,
    Answer,
    Call,
    Cut,
    Delay,
    Raw,
    RecordedRequest,
    Reply,
    ScriptedModel,
    Stall,
    Status,
    ToolResult,
    Trickle,
    call,
    cut,
    delay,
    echo,
    json_answer,
    raw,
    refusal,
    stall,
    status,
    text,
    tool_calls,
    tool_round,
    trickle,
)
from gptkit.testing.server import FakeOpenAI

__all__ = [
    "MODES",
    "Answer",
    "Call",
    "Cut",
    "Delay",
    "FakeOpenAI",
    "Raw",
    "RecordedRequest",
    "Reply",
    "ScriptedModel",
    "Stall",
    "Status",
    "ToolResult",
    "Trickle",
    "call",
    "cut",
    "delay",
    "echo",
    "json_answer",
    "raw",
    "refusal",
    "stall",
    "status",
    "text",
    "tool_calls",
    "tool_round",
    "trickle",
]
