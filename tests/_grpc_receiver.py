"""A real gRPC OTLP receiver on 127.0.0.1 (grpcio's server, its default 4 MiB receive limit, as the
Collector's gRPC receiver has) that answers the scripted status codes, then OK.

    with grpc_receiver() as (servicer, endpoint):   # servicer.script, .attempts, .span_ids, .accepted
        ...
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager

import grpc
from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class ScriptedTraceService(trace_service_pb2_grpc.TraceServiceServicer):
    """Answers the next requests with the scripted status codes (then OK) and records what it accepted."""

    def __init__(self) -> None:
        self.script: deque[tuple[grpc.StatusCode, float | None]] = deque()
        self.attempts: list[tuple[float, grpc.StatusCode]] = []
        self.span_ids: list[str] = []
        self.accepted: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self._lock = threading.Lock()

    def Export(self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext):
        with self._lock:
            code, retry_after = self.script.popleft() if self.script else (grpc.StatusCode.OK, None)
            self.attempts.append((time.monotonic(), code))
            if code is grpc.StatusCode.OK:
                self.accepted.append(request)
                self.span_ids += [
                    span.span_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans
                ]
                return trace_service_pb2.ExportTraceServiceResponse()
        if retry_after is not None:  # OTLP throttling: RetryInfo in the status details
            info = error_details_pb2.RetryInfo(retry_delay=Duration(seconds=int(retry_after)))
            status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="slow down")
            status.details.add().Pack(info)
            context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        context.abort(code, "scripted failure")


@contextmanager
def grpc_receiver() -> Iterator[tuple[ScriptedTraceService, str]]:
    servicer = ScriptedTraceService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"http://127.0.0.1:{port}"
    server.stop(grace=None)
