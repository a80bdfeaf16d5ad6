"""A tiny OTLP/HTTP receiver on 127.0.0.1 that a test scripts: refuse, answer 503 or 429 with
Retry-After, hang, reject part of a batch, or come up only later.

    receiver = OtlpReceiver(listening=False)     # port reserved, connections refused
    OtlpReceiver(max_body_bytes=COLLECTOR_HTTP_LIMIT)  # 413 for larger bodies, as the Collector answers
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
# The OpenTelemetry Collector's default `max_request_body_size` for its OTLP/HTTP receiver (confighttp).
COLLECTOR_HTTP_LIMIT = 20 * 1024 * 1024


@dataclass
class Received:
    at: float  # time.monotonic()
    headers: dict[str, str]
    request: ExportTraceServiceRequest | None  # None when the answer was not 200
    answered: int | str = 200
    spans: list[str] = field(default_factory=list)


class OtlpReceiver:
    def __init__(self, *, listening: bool = True, max_body_bytes: int | None = None) -> None:
        receiver = self
        self.max_body_bytes = max_body_bytes
        self.failing_names: set[str] = set()  # a batch holding a span of one of these names gets 500, always
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

    def _refuse_too_large(self, handler: BaseHTTPRequestHandler, length: int) -> None:
        """As Go's http.MaxBytesReader in the Collector: read up to the limit, answer 413, close."""
        handler.rfile.read(self.max_body_bytes or 0)
        with self._lock:
            self.received.append(Received(time.monotonic(), {}, None, 413))
        payload = f"request body of {length} bytes is over the limit of {self.max_body_bytes}".encode()
        handler.send_response(413)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(payload)
        handler.close_connection = True

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", 0))
        if self.max_body_bytes is not None and length > self.max_body_bytes:
            self._refuse_too_large(handler, length)
            return
        body = handler.rfile.read(length)
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
            request = ExportTraceServiceRequest.FromString(body)
            spans = [span for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
            if self.failing_names & {span.name for span in spans}:
                reply = Reply(500)
                record.answered = 500
            else:
                record.request = request
                record.spans = [span.span_id.hex() for span in spans]
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
