"""The OpenAPI document of the server's routes (``GET /openapi.json``)."""

from __future__ import annotations

from typing import Any

from gptkit import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "bad request body", 401: "missing or wrong API key", 404: "unknown assistant",
             409: "the conversation has a turn in progress", 413: "request body too large",
             500: "the turn failed", 502: "the model API failed"}
    return {str(c): _json(_ERROR, words[c]) for c in codes}


def _turn(summary: str, body: str, result: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{body}"}}}},
            "responses": {
                "200": {"description": f"a {result} (JSON), or its SSE events with stream: true",
                        "content": {"application/json": {"schema": {"type": "object"}},
                                    "text/event-stream": {"schema": {"type": "string"}}}},
                **_errors(400, 401, 404, 409, 413, 500, 502),
            },
        }
    }


def document() -> dict[str, Any]:
    """The document, OpenAPI 3.1."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "gptkit serve", "version": __version__,
                 "description": "gptkit assistants as an OpenAI-compatible API: the model id is "
                 "the assistant's name; its tools run in the server."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["message", "type", "code"], "properties": {
                        "message": {"type": "string"}, "type": {"type": "string"},
                        "param": {"type": ["string", "null"]}, "code": {"type": "string"}}}}},
                "ChatCompletionRequest": {
                    "type": "object", "required": ["model", "messages"], "properties": {
                        "model": {"type": "string", "description": "an assistant's name"},
                        "messages": {"type": "array", "items": {"type": "object", "properties": {
                            "role": {"enum": ["system", "developer", "user", "assistant"]},
                            "content": {}}}},
                        "stream": {"type": "boolean"},
                        "stream_options": {"type": "object", "properties": {
                            "include_usage": {"type": "boolean"}}}}},
                "ResponseRequest": {
                    "type": "object", "required": ["model", "input"], "properties": {
                        "model": {"type": "string", "description": "an assistant's name"},
                        "input": {"oneOf": [{"type": "string"}, {"type": "array"}]},
                        "previous_response_id": {"type": "string"},
                        "conversation": {"oneOf": [{"type": "string"}, {"type": "object"}]},
                        "store": {"type": "boolean"},
                        "stream": {"type": "boolean"}}},
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/models": {"get": {"summary": "the served assistants, one model each",
                                   "responses": {"200": _json({"type": "object"}, "the list"),
                                                 **_errors(401)}}},
            "/v1/chat/completions": _turn(
                "one turn (Chat Completions API); X-Conversation-Id makes it stored",
                "ChatCompletionRequest", "chat.completion"),
            "/v1/responses": _turn(
                "one turn (Responses API); previous_response_id or conversation make it stored",
                "ResponseRequest", "response"),
            "/healthz": {"get": {"summary": "whether the server is up", "security": [],
                                 "responses": {"200": _json({"type": "object"}, "ok")}}},
        },
    }
