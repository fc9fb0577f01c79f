"""`type: http` tools against a real HTTP API on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_server import API_KEY, ApiServer
from test_openapi_runtime import ENV, assistant, call

from gptkit.tools.registry import build_tools


@pytest.fixture
def api() -> Any:
    with ApiServer() as server:
        yield server


def http_entry(url: str, method: str = "GET", extra: str = "", private: bool = True) -> str:
    text = (f"  - type: http\n    name: pet\n    url: {url}\n    method: {method}\n"
            "    parameters:\n      type: object\n      properties:\n"
            "        id: {type: string}\n        note: {type: [string, 'null']}\n"
            "      required: [id, note]\n      additionalProperties: false\n")
    if private:
        text += "    allow_private_network: true\n"
    return text + "".join(f"    {line}\n" for line in extra.splitlines() if line)


def test_get_fills_the_url_and_sends_the_rest_as_query(api: ApiServer, tmp_path: Path) -> None:
    config = assistant(tmp_path, http_entry(api.base + "/pets/{id}"))
    result, error = call(config, tmp_path, "pet", {"id": "../x", "note": "hi"})
    assert not error and json.loads(result) == {"id": "..%2Fx"}
    assert api.requests[-1][1] == "/pets/..%2Fx?note=hi"
    (tool,) = build_tools(config, tmp_path, environ=ENV)
    assert not tool.confirm and tool.spec.strict


def test_post_sends_a_json_body_once_and_asks_first(api: ApiServer, tmp_path: Path) -> None:
    config = assistant(tmp_path, http_entry(api.base + "/flaky", "POST"))
    (tool,) = build_tools(config, tmp_path, environ=ENV)
    assert tool.confirm
    result, error = call(config, tmp_path, "pet", {"id": "1", "note": None})
    assert error and "HTTP 503" in result
    assert api.count("POST", "/flaky") == 1 and json.loads(api.requests[-1][3]) == {"id": "1"}


def test_auth_and_static_headers(api: ApiServer, tmp_path: Path) -> None:
    extra = "headers: {X-Note: static}\nauth: {type: api_key, key_env: PETS_KEY, name: X-Api-Key}"
    config = assistant(tmp_path, http_entry(api.base + "/echo", extra=extra))
    result, error = call(config, tmp_path, "pet", {"id": "1", "note": None})
    assert not error
    headers = json.loads(result)["headers"]
    assert headers["X-Note"] == "static" and headers["X-Api-Key"] == "***"
    assert API_KEY not in result and api.requests[-1][2]["X-Api-Key"] == API_KEY


def test_loopback_is_refused_without_permission(api: ApiServer, tmp_path: Path) -> None:
    config = assistant(tmp_path, http_entry(api.base + "/pets/{id}", private=False))
    result, error = call(config, tmp_path, "pet", {"id": "1", "note": None})
    assert error and "loopback" in result and api.requests == []
