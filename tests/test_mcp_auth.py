"""MCP over HTTP takes the ``auth:`` mapping of openapi and http tools (bearer_env still works)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_support import http_assistant
from test_mcp_http import TOKEN, _results, http_server  # noqa: F401 (the server fixture)

import gptkit
from gptkit.errors import ConfigError, ToolError


def _assistant(folder: Path, url: str, auth: str) -> Path:
    return http_assistant(folder, url, f"    allow_private_network: true\n    include: [add, authecho]\n{auth}")


def test_a_bearer_auth_mapping_reaches_the_server_and_not_the_model(
    tmp_path: Path, http_server: str  # noqa: F811
) -> None:
    from gptkit.testing import call

    path = _assistant(tmp_path, http_server, "    auth: {type: bearer, token_env: MCP_TOKEN}\n")
    requests, results = _results(
        path, [call("add", {"a": 1, "b": 2}, id="a"), call("authecho", {}, id="t")],
        {"MCP_TOKEN": TOKEN},
    )
    assert results == {"a": "3", "t": "***"}
    assert all(TOKEN not in str(r.body) for r in requests)


def test_an_unset_auth_variable_is_named(tmp_path: Path, http_server: str) -> None:  # noqa: F811
    path = _assistant(tmp_path, http_server,
                      "    auth: {type: basic, username_env: MCP_USER, password_env: MCP_PASS}\n")
    with gptkit.Session(gptkit.load(path), base_url="http://127.0.0.1:9/v1",
                        environ={"MCP_USER": "ann"}) as session:
        with pytest.raises(ToolError) as caught:
            session.connect()
    assert str(caught.value) == (
        "MCP server 'remote': the environment variable MCP_PASS (auth) is not set; set it to "
        "its value"
    )


@pytest.mark.parametrize(("auth", "says"), [
    ("    bearer_env: MCP_TOKEN\n    auth: {type: bearer, token_env: MCP_TOKEN}\n",
     "an mcp tool has both bearer_env and auth"),
    ("    auth: {type: oauth2, token_url: 'https://id.example/token', client_id_env: A, "
     "client_secret_env: B}\n", "oauth2"),
])
def test_auth_that_an_mcp_entry_cannot_take_is_refused_by_validate(
    tmp_path: Path, auth: str, says: str
) -> None:
    path = _assistant(tmp_path, "https://mcp.example.com/mcp", auth)
    with pytest.raises(ConfigError) as caught:
        gptkit.load(path)
    assert says in str(caught.value)
