"""JSON over HTTP GET for the backend sources, with the stdlib only, bounded in time and size.

One answer gets one deadline (`AGENTOPS_OTEL_SOURCE_TIMEOUT`), however it trickles in: a watchdog
cuts the connection when it passes. The answer may be at most `AGENTOPS_OTEL_SOURCE_MAX_BYTES` as
sent, and a gzip answer expands to at most `AGENTOPS_OTEL_SOURCE_MAX_DECOMPRESSED_BYTES`. Every failure
becomes one SourceError naming the URL and the reason (and the variable that raises a limit); a 404
is answered with None so a source can tell "no such trace" from "backend broken". Proxies, redirects
and HTTPS work as urllib does them.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..errors import SourceError
from ._limits import Inflater, Limits
from ._otlp_json import parse_json

_CHUNK = 64 * 1024
_DETAIL = 300  # characters of an error answer shown


class _Deadline:
    """Shuts down every socket of one request when its time is up, whatever it is waiting for."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _cut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _cut(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _watched(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    class Watched(base):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPSConnection, self.deadline), req, context=self._context)  # type: ignore[attr-defined]


def build_url(base: str, path: str, query: dict[str, Any] | None = None) -> str:
    url = base.rstrip("/") + path
    params = {k: v for k, v in (query or {}).items() if v is not None}
    return url + ("?" + urllib.parse.urlencode(params) if params else "")


def _body(response: Any, url: str, limits: Limits, deadline: _Deadline) -> bytearray:
    """The answer's body, expanded when gzip, within the size limits."""
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    inflater = Inflater(url, limits) if encoding in ("gzip", "x-gzip", "deflate") else None
    body, sent = bytearray(), 0
    while chunk := response.read(_CHUNK):
        sent += len(chunk)
        if sent > limits.max_bytes:
            raise limits.too_big(url)
        body += inflater.feed(chunk) if inflater is not None else chunk
        if inflater is None and len(body) > limits.max_bytes:
            raise limits.too_big(url)
    if deadline.expired:  # the watchdog cut it: what arrived is not the whole answer
        raise limits.too_slow(url)
    if inflater is not None:
        body += inflater.end()
    return body  # not copied into bytes: a large answer is held once


def get_body(url: str, limits: Limits | None = None) -> bytearray | None:
    """The body of GET `url` (expanded when gzip); None on 404."""
    limits = limits or Limits.from_env()
    request = urllib.request.Request(url, headers={"Accept": "application/json", "Accept-Encoding": "gzip"})
    with _Deadline(limits.timeout_s) as deadline:
        opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
        try:
            with opener.open(request, timeout=limits.timeout_s) as response:
                return _body(response, url, limits, deadline)
        except SourceError:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            detail = " ".join(exc.read(_DETAIL).decode("utf-8", "replace").split())
            raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
        except (OSError, ValueError, http.client.HTTPException) as exc:  # resets, truncation, bad URLs
            if deadline.expired or isinstance(exc, TimeoutError | socket.timeout):
                raise limits.too_slow(url) from None
            if isinstance(exc, urllib.error.URLError):
                raise SourceError(f"{url}: cannot connect ({exc.reason}); is the backend running?") from None
            raise SourceError(f"{url}: {type(exc).__name__}: {exc}") from None


def get_json(url: str, limits: Limits | None = None) -> Any | None:
    """The parsed JSON body of GET `url`; None on 404."""
    body = get_body(url, limits)
    return None if body is None else parse_json(body, url)
