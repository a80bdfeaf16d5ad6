"""OTLP over gRPC against a real gRPC server on 127.0.0.1 that answers UNAVAILABLE, throttles with
RESOURCE_EXHAUSTED + RetryInfo, or refuses for good: the same guarantees as over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from tests._grpc_receiver import ScriptedTraceService, grpc_receiver
from tests.test_export_faults import emit, make_processor, wait_until


@pytest.fixture
def service() -> Iterator[tuple[ScriptedTraceService, str]]:
    with grpc_receiver() as started:
        yield started


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
