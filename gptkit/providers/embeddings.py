"""Embeddings through the model's provider (``POST /embeddings``), for ``knowledge.embeddings``.

The same endpoint, key and base URL as the model's calls. A failure is a ProviderError whose
message names the server and the embedding model and holds no secret.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from gptkit.errors import ProviderError
from gptkit.providers.client import Transport

PATH = "/embeddings"
BATCH = 64  # inputs per request


async def embed(
    transport: Transport, model: str, texts: list[str], *, base_url: str, secrets: Iterable[str] = ()
) -> list[list[float]]:
    """One vector per text, in order, from ``model``."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), BATCH):
        batch = texts[start : start + BATCH]
        try:
            reply = await transport.send(
                PATH, {"model": model, "input": batch, "encoding_format": "float"}, False
            )
        except Exception as exc:  # the openai package's errors, the network's
            raise ProviderError(_redacted(
                f"the embeddings request to {base_url} (model {model}) failed: "
                f"{type(exc).__name__}: {exc}", secrets
            )) from None
        vectors.extend(_vectors(reply, len(batch), model, base_url))
    return vectors


def _vectors(reply: Any, count: int, model: str, base_url: str) -> list[list[float]]:
    data = reply.get("data") if isinstance(reply, dict) else None
    if not isinstance(data, list) or len(data) != count:
        raise ProviderError(
            f"the embeddings reply from {base_url} (model {model}) is not a list of {count} "
            "vectors"
        )
    ordered = sorted(data, key=lambda item: item.get("index", 0) if isinstance(item, dict) else 0)
    vectors = []
    for item in ordered:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if (
            not isinstance(vector, list)
            or not vector
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vector)
        ):
            raise ProviderError(
                f"the embeddings reply from {base_url} (model {model}) holds a value that is "
                "not a vector of numbers"
            )
        vectors.append([float(v) for v in vector])
    if len({len(v) for v in vectors}) > 1:
        raise ProviderError(f"the embeddings from {base_url} (model {model}) differ in length")
    return vectors


def _redacted(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
