"""The model client's cheaper idle-connection check (gptkit.providers.pool).

The pool must still notice a keep-alive connection the model server closed: the next turn goes
out on a new connection, with no retry to hide a failure (max_retries: 0).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import gptkit
from gptkit.providers.pool import _Backend, cheaper_idle_checks, readable
from gptkit.testing import FakeOpenAI

ASSISTANT = """version: 1
name: pooled
model:
  name: gpt-4o-mini
  max_retries: 0
instructions: Be brief.
memory:
  policy: none
"""


def test_readable_is_false_while_idle_and_true_on_data_close_or_a_closed_socket() -> None:
    ours, theirs = socket.socketpair()
    try:
        assert readable(ours) is False
        theirs.sendall(b"x")
        assert readable(ours) is True
        ours.recv(1)
        assert readable(ours) is False
        theirs.close()
        assert readable(ours) is True  # the peer's close: the next read returns b""
    finally:
        ours.close()
        theirs.close()
    assert readable(ours) is True  # a closed socket: the pool drops the connection


def test_the_openai_clients_pool_is_wrapped_once_and_other_clients_are_left_alone() -> None:
    from gptkit.providers.client import Endpoint, OpenAITransport

    endpoint = Endpoint(api_key="k", base_url="http://127.0.0.1:9/v1", organization=None,
                        timeout_s=5.0, max_retries=0, key_env="OPENAI_API_KEY")
    transport = OpenAITransport(endpoint)
    httpx_client = transport.client._client
    assert isinstance(httpx_client._transport._pool._network_backend, _Backend)
    assert cheaper_idle_checks(httpx_client) is False  # already wrapped: not twice
    assert cheaper_idle_checks(object()) is False  # not an httpx client: nothing done
    asyncio.run(transport.aclose())


def test_a_connection_the_model_server_closed_is_not_reused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ASSISTANT)
    with FakeOpenAI("echo") as server:
        session = gptkit.Session(gptkit.load(tmp_path / "a.yaml"), base_url=server.url,
                                 environ={"OPENAI_API_KEY": "k"})

        async def turns() -> list[str]:
            answers = [(await session.asend("one")).text]
            for connection in list(server._connections):  # the server drops its idle connection
                connection.shutdown(socket.SHUT_RDWR)
            await asyncio.sleep(0.05)
            answers.append((await session.asend("two")).text)
            await session.aclose()
            return answers

        assert asyncio.run(turns()) == ["echo: one", "echo: two"]
        assert len(server.model_requests) == 2
