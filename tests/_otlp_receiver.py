"""A tiny OTLP/HTTP receiver on 127.0.0.1 that a test scripts: refuse, answer 503 or 429 with
Retry-After, hang, reject part of a batch, or come up only later.

    receiver = OtlpReceiver(listening=False)     # port reserved, connections refused
    receiver.script(503, Reply(429, retry_after="1"), HANG)  # answers for the next requests, then 200
    receiver.listen()                            # the backend comes up
    receiver.span_ids()                          # every span id received, in order
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    retry_after: str | None = None
    rejected_spans: int = 0


HANG = "hang"  # hold the request until the receiver closes (the client times out first)


@dataclass
class Received:
    at: float  # time.monotonic()
    headers: dict[str, str]
    request: ExportTraceServiceRequest | None  # None when the answer was not 200
    answered: int | str = 200
    spans: list[str] = field(default_factory=list)


class OtlpReceiver:
    def __init__(self, *, listening: bool = True) -> None:
        receiver = self
        self._replies: deque[Reply | str | int] = deque()
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                receiver._handle(self)

        # Bound but not listening: connecting is refused until listen(), and the port is ours.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self._server.daemon_threads = True
        self._server.server_bind()
        self.port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}/v1/traces"
        self._thread: threading.Thread | None = None
        if listening:
            self.listen()

    def script(self, *replies: Reply | str | int) -> None:
        with self._lock:
            self._replies.extend(replies)

    def listen(self) -> None:
        self._server.server_activate()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def close(self) -> None:
        self._release.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        with self._lock:
            reply = self._replies.popleft() if self._replies else Reply()
        if isinstance(reply, int):
            reply = Reply(reply)
        record = Received(time.monotonic(), {k.lower(): v for k, v in handler.headers.items()}, None, 200)
        if reply == HANG:
            record.answered = HANG
            with self._lock:
                self.received.append(record)
            self._release.wait()
            return
        assert isinstance(reply, Reply)
        record.answered = reply.status
        if reply.status == 200:
            encoding = handler.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            record.request = ExportTraceServiceRequest.FromString(body)
            record.spans = [
                span.span_id.hex()
                for resource_spans in record.request.resource_spans
                for scope_spans in resource_spans.scope_spans
                for span in scope_spans.spans
            ]
        with self._lock:
            self.received.append(record)
        response = ExportTraceServiceResponse()
        if reply.rejected_spans:
            response.partial_success.rejected_spans = reply.rejected_spans
            response.partial_success.error_message = "span too large"
        payload = response.SerializeToString() if reply.status == 200 else b"not now"
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/x-protobuf")
        handler.send_header("Content-Length", str(len(payload)))
        if reply.retry_after is not None:
            handler.send_header("Retry-After", reply.retry_after)
        handler.end_headers()
        handler.wfile.write(payload)

    def span_ids(self) -> list[str]:
        with self._lock:
            return [span for record in self.received for span in record.spans]

    def attempts(self) -> list[Received]:
        with self._lock:
            return list(self.received)
