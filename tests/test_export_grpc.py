"""OTLP over gRPC against a real gRPC server on 127.0.0.1 that answers UNAVAILABLE, throttles with
RESOURCE_EXHAUSTED + RetryInfo, or refuses for good: the same guarantees as over HTTP."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.test_export_faults import emit, make_processor, wait_until


class ScriptedTraceService(trace_service_pb2_grpc.TraceServiceServicer):
    """Answers the next requests with the scripted status codes (then OK) and records what it accepted."""

    def __init__(self) -> None:
        self.script: deque[tuple[grpc.StatusCode, float | None]] = deque()
        self.attempts: list[tuple[float, grpc.StatusCode]] = []
        self.span_ids: list[str] = []
        self._lock = threading.Lock()

    def Export(self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext):
        with self._lock:
            code, retry_after = self.script.popleft() if self.script else (grpc.StatusCode.OK, None)
            self.attempts.append((time.monotonic(), code))
            if code is grpc.StatusCode.OK:
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


@pytest.fixture
def service() -> Iterator[tuple[ScriptedTraceService, str]]:
    servicer = ScriptedTraceService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"http://127.0.0.1:{port}"
    server.stop(grace=None)


def test_unavailable_is_retried_until_accepted(service: tuple[ScriptedTraceService, str]) -> None:
    servicer, endpoint = service
    servicer.script.extend([(grpc.StatusCode.UNAVAILABLE, None)] * 3)
    processor = make_processor(endpoint, protocol="grpc")
    sent = emit(processor, 100)
    wait_until(lambda: processor.stats.delivered == 100, "delivery after UNAVAILABLE")
    processor.shutdown()
    assert sorted(servicer.span_ids) == sorted(sent)
    assert [code for _, code in servicer.attempts][:4] == [grpc.StatusCode.UNAVAILABLE] * 3 + [grpc.StatusCode.OK]


def test_retry_info_is_respected(service: tuple[ScriptedTraceService, str]) -> None:
    servicer, endpoint = service
    servicer.script.append((grpc.StatusCode.RESOURCE_EXHAUSTED, 1.0))
    processor = make_processor(endpoint, protocol="grpc")
    sent = emit(processor, 10)
    wait_until(lambda: processor.stats.delivered == 10, "delivery after the throttle")
    processor.shutdown()
    (throttled_at, _), (accepted_at, _) = servicer.attempts[:2]
    assert accepted_at - throttled_at >= 1.0  # our own backoff here is 20-100 ms
    assert sorted(servicer.span_ids) == sorted(sent)


def test_a_permanent_error_is_counted_not_retried(service: tuple[ScriptedTraceService, str]) -> None:
    servicer, endpoint = service
    servicer.script.append((grpc.StatusCode.INVALID_ARGUMENT, None))
    processor = make_processor(endpoint, protocol="grpc")
    emit(processor, 10)
    processor.force_flush(5_000)
    processor.shutdown()
    assert len(servicer.attempts) == 1
    assert processor.stats.dropped == {"INVALID_ARGUMENT": 10}
