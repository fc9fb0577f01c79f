"""`gptkit serve` is safe by default: loopback only unless a key is set, the key checked (401),
CORS only for the origins listed, the Host header checked against DNS rebinding, bodies limited
(413). A real serve process; the openai client where a client would use one.
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from serve_helpers import Serve, http, run_serve, write_project

from gptkit.testing import FakeOpenAI, text

API_KEY = "serve-key-5f1d2c3b4a596877"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "assistants", ("adder",))


def test_with_an_api_key_requests_without_it_get_401(project: Path, tmp_path: Path) -> None:
    env = {"SERVE_KEY": API_KEY}
    with FakeOpenAI([text("hello")]) as model, \
            Serve([project], model.url, "--api-key-env", "SERVE_KEY", env=env, home=tmp_path) as serve:
        with pytest.raises(openai.AuthenticationError) as wrong:
            serve.client(api_key="not-the-key").models.list()
        with pytest.raises(openai.AuthenticationError):
            serve.client(api_key="not-the-key").chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x"}])
        page_api = http("GET", serve.url + "/ui/api/conversations")
        good = serve.client(api_key=API_KEY).chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "x"}])
        page_api_with_key = http("GET", serve.url + "/ui/api/conversations",
                                 headers={"authorization": f"Bearer {API_KEY}"})
        open_routes = [http("GET", serve.url + p).status_code for p in ("/healthz", "/", "/openapi.json")]
    assert wrong.value.status_code == 401
    assert wrong.value.body["type"] == "authentication_error"
    assert wrong.value.body["code"] == "invalid_api_key"
    assert API_KEY not in str(wrong.value.body)
    assert page_api.status_code == 401 and page_api.json()["error"]["type"] == "authentication_error"
    assert good.choices[0].message.content == "hello"
    assert page_api_with_key.status_code == 200
    assert open_routes == [200, 200, 200]
    assert len(model.requests) == 1
    assert not any(API_KEY in line for line in serve.lines)


def test_it_refuses_to_listen_beyond_loopback_without_a_key(project: Path) -> None:
    refused = run_serve([project], "--host", "0.0.0.0", "--port", "0")
    unset = run_serve([project], "--api-key-env", "NOT_SET_ANYWHERE_123")
    assert refused.returncode == 2
    assert "--api-key-env" in refused.stderr and "--insecure-no-auth" in refused.stderr
    assert unset.returncode == 2 and "NOT_SET_ANYWHERE_123" in unset.stderr


def test_cors_only_for_the_listed_origins(project: Path, tmp_path: Path) -> None:
    allowed, other = "http://app.example:3000", "http://evil.example"
    with FakeOpenAI([text("hi")] * 3) as model, \
            Serve([project], model.url, "--cors-origin", allowed, home=tmp_path) as serve:
        def preflight(origin: str) -> object:
            return http("OPTIONS", serve.url + "/v1/chat/completions", headers={
                "origin": origin, "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type"})

        good, bad = preflight(allowed), preflight(other)
        body = {"model": "adder", "messages": [{"role": "user", "content": "x"}]}
        simple_good = http("POST", serve.url + "/v1/chat/completions", json_body=body,
                           headers={"origin": allowed})
        simple_bad = http("POST", serve.url + "/v1/chat/completions", json_body=body,
                          headers={"origin": other})
    with FakeOpenAI() as model, Serve([project], model.url, home=tmp_path) as serve:
        default = http("OPTIONS", serve.url + "/v1/models", headers={
            "origin": allowed, "access-control-request-method": "GET"})
    assert good.status_code == 200 and good.headers["access-control-allow-origin"] == allowed
    assert "authorization" in good.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in bad.headers
    assert simple_good.headers["access-control-allow-origin"] == allowed
    assert "x-gptkit-cost-usd" in simple_good.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in simple_bad.headers
    assert "access-control-allow-origin" not in default.headers


def test_the_host_header_is_checked_against_dns_rebinding(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI() as model:
        with Serve([project], model.url, home=tmp_path) as serve:
            port = serve.port
            answers = {host: http("GET", serve.url + "/v1/models", headers={"host": host}).status_code
                       for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}",
                                    "localhost", f"attacker.example:{port}", "attacker.example",
                                    "localhost.attacker.example")}
            refused = http("GET", serve.url + "/", headers={"host": "attacker.example"})
        with Serve([project], model.url, "--allowed-host", "chat.internal", home=tmp_path) as serve:
            named = http("GET", serve.url + "/v1/models", headers={"host": "chat.internal:80"})
    assert answers == {f"localhost:{port}": 200, f"127.0.0.1:{port}": 200, f"[::1]:{port}": 200,
                       "localhost": 200, f"attacker.example:{port}": 400,
                       "attacker.example": 400, "localhost.attacker.example": 400}
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "host_not_allowed"
    assert "<html" not in refused.text
    assert named.status_code == 200


def post_chunked(port: int, path: str, pieces: list[bytes]) -> int:
    """POST a body without a content-length (chunked); the answer's status."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=iter(pieces), encode_chunked=True,
                           headers={"content-type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def test_a_body_over_the_limit_gets_413(project: Path, tmp_path: Path) -> None:
    with FakeOpenAI([text("small enough")]) as model, \
            Serve([project], model.url, "--max-body-bytes", "2000", home=tmp_path) as serve:
        with pytest.raises(openai.APIStatusError) as big:
            serve.client().chat.completions.create(
                model="adder", messages=[{"role": "user", "content": "x" * 5000}])
        chunked = post_chunked(serve.port, "/v1/chat/completions",
                               [b'{"model": "adder", "messages": [', b" " * 1500, b" " * 1500, b"]}"])
        small = serve.client().chat.completions.create(
            model="adder", messages=[{"role": "user", "content": "x" * 100}])
    assert big.value.status_code == 413
    assert big.value.body["code"] == "body_too_large"
    assert chunked == 413
    assert small.choices[0].message.content == "small enough"
    assert len(model.requests) == 1
