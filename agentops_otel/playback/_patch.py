"""Routes the HTTP requests of every httpx client in the process through the active Player.

The OpenAI and Anthropic clients send through an httpx (or httpx2) Client; each client asks its
`_transport_for_url` which transport to use. While playback is active that method hands back a thin
transport that lets the Player answer LLM requests and passes everything else (and lenient misses) to
the client's real transport. Clients created before playback started are covered too.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigurationError
from ._player import Player

# httpx2 is what current OpenAI and Anthropic clients send through; legacy httpx only when already in use
# (importing it would change how those clients pick their HTTP layer).
_HTTP_MODULES = ("httpx2", "httpx")
_install_lock = threading.Lock()
_active: list[Player] = []  # at most one: two recordings cannot both answer the same process's calls


def _transport_classes(httpx: Any) -> tuple[type, type]:
    player_of = _active

    class PlaybackTransport(httpx.BaseTransport):  # type: ignore[misc, name-defined]
        def __init__(self, live: Any) -> None:
            self._live = live

        def handle_request(self, request: Any) -> Any:
            response = player_of[0].respond(request, httpx, asynchronous=False) if player_of else None
            return response if response is not None else self._live.handle_request(request)

    class AsyncPlaybackTransport(httpx.AsyncBaseTransport):  # type: ignore[misc, name-defined]
        def __init__(self, live: Any) -> None:
            self._live = live

        async def handle_async_request(self, request: Any) -> Any:
            response = player_of[0].respond(request, httpx, asynchronous=True) if player_of else None
            return response if response is not None else await self._live.handle_async_request(request)

    return PlaybackTransport, AsyncPlaybackTransport


def _patches() -> list[tuple[type, Any, Any]]:
    """(client class, original method, playback method) for each installed httpx flavour."""
    patches = []
    for name in _HTTP_MODULES:
        if name != _HTTP_MODULES[0] and name not in sys.modules:
            continue
        try:
            httpx = importlib.import_module(name)
        except ImportError:
            continue
        sync_transport, async_transport = _transport_classes(httpx)
        for client_class, wrapper in ((httpx.Client, sync_transport), (httpx.AsyncClient, async_transport)):
            original = client_class.__dict__["_transport_for_url"]

            def routed(self: Any, url: Any, _original: Any = original, _wrapper: Any = wrapper) -> Any:
                return _wrapper(_original(self, url))

            patches.append((client_class, original, routed))
    return patches


@contextmanager
def installed(player: Player) -> Iterator[Player]:
    with _install_lock:
        if _active:
            raise ConfigurationError("playback is already active in this process; end it before starting another")
        patches = _patches()
        for client_class, _original, routed in patches:
            setattr(client_class, "_transport_for_url", routed)  # noqa: B010  # a private httpx method
        _active.append(player)
    try:
        yield player
    finally:
        with _install_lock:
            for client_class, original, _routed in patches:
                setattr(client_class, "_transport_for_url", original)  # noqa: B010
            _active.clear()
