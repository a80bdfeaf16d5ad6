"""A loopback OTLP/HTTP sink: answers every POST with success and counts what arrived.

The start-up benchmarks export their first span here, so "exported" means a request reached a server.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: _SinkServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with self.server.lock:
            self.server.posts.append(self.path)
        json_body = "json" in (self.headers.get("Content-Type") or "")
        body = b"{}" if json_body else b""
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if json_body else "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.posts: list[str] = []


class Sink:
    """`with Sink() as sink:` -> sink.url, sink.trace_posts()"""

    def __enter__(self) -> Sink:
        self._server = _SinkServer()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def trace_posts(self) -> int:
        with self._server.lock:
            return sum(1 for path in self._server.posts if path.endswith("/traces"))

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
