"""How a session reaches the model: the network, or a cassette (record / replay).

A session takes one of these as ``transport=`` and knows nothing of cassettes: it asks for the
wire transport on its first model call (so rendering needs neither a key nor a cassette) and
calls :meth:`Network.finish` after a turn that completed. Anything that runs sessions (``run``,
``chat``, a server, a test runner) picks the mode here::

    session = gptkit.Session(config, transport=Replay("weather.cassette.yaml"))
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gptkit.providers.client import Endpoint, Transport


class Network:
    """Talk to the model API over HTTP (the default)."""

    cassette: str | None = None  # "record" or "replay" when model calls go through a cassette

    def connect(self, endpoint: Endpoint, secrets: Iterable[str]) -> Transport:
        """The wire transport; called once, on the first model call."""
        from gptkit.providers.client import OpenAITransport

        return OpenAITransport(endpoint)

    def finish(self, *, assistant: str, api: str, base_url: str, **header: Any) -> None:
        """After a completed turn: nothing to do. ``header`` is what a cassette's header tells
        (``source``, ``variables``, ``declared``: the replay command)."""


class Record(Network):
    """Talk to the API and keep every exchange; :meth:`finish` writes the cassette."""

    cassette: str | None = "record"  # knowledge embeddings are off while a cassette is made or replayed

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._recorder: Any = None

    def connect(self, endpoint: Endpoint, secrets: Iterable[str]) -> Transport:
        from gptkit.providers.cassette import Recorder

        self._recorder = Recorder(super().connect(endpoint, secrets), tuple(secrets))
        return self._recorder  # type: ignore[no-any-return]

    def finish(self, *, assistant: str, api: str, base_url: str, **header: Any) -> None:
        """Write the cassette (only after a turn completed: a failed run writes none)."""
        if self._recorder is not None:
            self._recorder.save(
                self.path, assistant=assistant, api=api, base_url=base_url, **header
            )


class Replay(Network):
    """Answer model calls from a cassette, in order: no network, no key."""

    cassette: str | None = "replay"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def connect(self, endpoint: Endpoint, secrets: Iterable[str]) -> Transport:
        from gptkit.providers.cassette import Replayer

        return Replayer(self.path)
