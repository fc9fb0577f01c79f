"""Credentials of network tools: read from the environment at the first call, never from the file.

The assistant file names environment variables (``key_env: WEATHER_API_KEY``); the values are
read when a call needs them, so ``validate`` and ``render`` need no secrets. Every value read,
and every OAuth token fetched, is kept in :attr:`Credentials.secrets`, which the HTTP caller
redacts from whatever goes back to the model, and the session from output, errors and the store.

OAuth 2 client credentials: the token is fetched from ``token_url`` (through the same network
policy as the API calls), cached until shortly before it expires, and fetched again after; a
failing token endpoint becomes a :class:`~gptkit.tools.base.ToolFailure` naming the tool and the
status, never showing the client secret.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Mapping
from typing import Any

from gptkit.config.models import ApiKeyAuth, Auth, BasicAuth, BearerAuth, OAuth2Auth
from gptkit.config.secrets import redact
from gptkit.tools.base import ToolFailure

#: A token is fetched again this many seconds before the expiry its endpoint gave.
EXPIRY_MARGIN_S = 30
#: How long a token without ``expires_in`` is kept.
DEFAULT_TOKEN_S = 300


def env_names(auth: Auth | str | None) -> list[str]:
    """The environment variables ``auth`` reads, in the file's order."""
    if isinstance(auth, ApiKeyAuth):
        return [auth.key_env]
    if isinstance(auth, BearerAuth):
        return [auth.token_env]
    if isinstance(auth, BasicAuth):
        return [auth.username_env, auth.password_env]
    if isinstance(auth, OAuth2Auth):
        return [auth.client_id_env, auth.client_secret_env]
    return []


class Credentials:
    """What one tool adds to its requests; ``secrets`` grows as values are read."""

    def __init__(self, auth: Auth | None, tool: str, environ: Mapping[str, str]) -> None:
        self.auth = auth
        self.tool = tool
        self.environ = environ
        self.secrets: set[str] = set()
        self._token: tuple[str, float] | None = None  # (token, monotonic time it expires)
        self._lock = asyncio.Lock()
        self.token_client: Any = None  # an httpx.AsyncClient for the token URL, set by the caller

    def _env(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise ToolFailure(
                f"{self.tool} cannot authenticate: the environment variable {name} is not set. "
                f"Tell the person to set {name} before running gptkit; do not retry."
            )
        self.secrets.add(value)
        return value

    async def apply(self, headers: dict[str, str], query: list[tuple[str, str]]) -> None:
        """Add the credentials to a request's ``headers`` or ``query``."""
        auth = self.auth
        if isinstance(auth, ApiKeyAuth):
            value = self._env(auth.key_env)
            if auth.in_ == "query":
                query.append((auth.name, value))
            else:
                headers[auth.name] = value
        elif isinstance(auth, BearerAuth):
            headers["Authorization"] = f"Bearer {self._env(auth.token_env)}"
        elif isinstance(auth, BasicAuth):
            pair = f"{self._env(auth.username_env)}:{self._env(auth.password_env)}"
            encoded = base64.b64encode(pair.encode()).decode()
            self.secrets.add(encoded)
            headers["Authorization"] = f"Basic {encoded}"
        elif isinstance(auth, OAuth2Auth):
            headers["Authorization"] = f"Bearer {await self.token()}"

    def forget_token(self) -> None:
        """Drop the cached token (the API refused it): the next call fetches a new one."""
        self._token = None

    async def token(self) -> str:
        """The OAuth 2 access token: cached while it is valid, else fetched."""
        async with self._lock:
            now = time.monotonic()
            if self._token is not None and now < self._token[1]:
                return self._token[0]
            token, lifetime = await self._fetch()
            self._token = (token, now + max(lifetime - EXPIRY_MARGIN_S, 1))
            return token

    async def _fetch(self) -> tuple[str, float]:
        auth = self.auth
        assert isinstance(auth, OAuth2Auth) and self.token_client is not None
        client_id = self._env(auth.client_id_env)
        secret = self._env(auth.client_secret_env)
        form = {"grant_type": "client_credentials"}
        if auth.scopes:
            form["scope"] = " ".join(auth.scopes)
        pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self.secrets.add(pair)
        try:
            response = await self.token_client.post(
                auth.token_url,
                data=form,
                headers={"Authorization": f"Basic {pair}", "Accept": "application/json"},
            )
            body = response.content[:65536]
        except Exception as exc:
            raise ToolFailure(
                f"{self.tool} cannot authenticate: the token endpoint {auth.token_url} failed "
                f"({redact(_short(exc), self.secrets)}); do not retry now."
            ) from None
        if response.status_code != 200:
            text = redact(body.decode("utf-8", "replace")[:200], self.secrets)
            raise ToolFailure(
                f"{self.tool} cannot authenticate: the token endpoint {auth.token_url} answered "
                f"HTTP {response.status_code}: {text}"
            )
        try:
            import json

            data = json.loads(body)
            token = data["access_token"]
            if not isinstance(token, str) or not token:
                raise ValueError("access_token is not a string")
        except (ValueError, KeyError, TypeError):
            raise ToolFailure(
                f"{self.tool} cannot authenticate: the token endpoint {auth.token_url} did not "
                "answer with a JSON object holding access_token"
            ) from None
        self.secrets.add(token)
        lifetime = data.get("expires_in", DEFAULT_TOKEN_S)
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)
        if not isinstance(lifetime, (int, float)) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_S
        return token, float(lifetime)


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]
