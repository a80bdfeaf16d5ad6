"""Batches that fit the receiver: a real grpcio server with its default 4 MiB receive limit, an HTTP
receiver answering 413 over the Collector's 20 MiB (or a proxy's 1 MiB), large and non-Latin payloads.
Every test counts the spans the receiver got: all of them, each once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv as sc
from agentops_otel.export import ReliableExportProcessor
from agentops_otel.export._spool import DiskSpool
from tests._grpc_receiver import ScriptedTraceService, grpc_receiver
from tests._otlp_receiver import COLLECTOR_HTTP_LIMIT, OtlpReceiver
from tests.test_export_faults import emit, make_processor, wait_until


@pytest.fixture
def service() -> Iterator[tuple[ScriptedTraceService, str]]:
    with grpc_receiver() as started:
        yield started


MIB = 1024 * 1024
GRPC_LIMIT = 4 * MIB  # grpcio's default max_receive_message_length, the Collector's gRPC default


def tool_spans(processor: ReliableExportProcessor, count: int, argument: str, name: str = "tool") -> list[str]:
    """Sessions of up to 100 tool calls, each with `argument` as its arguments; returns the span ids."""
    return emit(processor, count, name, attributes={sc.GEN_AI_TOOL_CALL_ARGUMENTS: argument}, per_session=100)


def assert_each_once(received: list[str], sent: list[str]) -> None:
    duplicated = [span for span, n in Counter(received).items() if n > 1]
    assert not duplicated, f"{len(duplicated)} spans arrived twice"
    assert sorted(received) == sorted(sent)


@pytest.fixture
def http_receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver(max_body_bytes=COLLECTOR_HTTP_LIMIT)
    yield server
    server.close()


def test_grpc_batches_over_4_mib_are_sent_in_parts_that_fit(service: tuple[ScriptedTraceService, str]) -> None:
    servicer, endpoint = service
    processor = make_processor(endpoint, protocol="grpc")  # default batching: 512 spans, 3 MiB
    sent = tool_spans(processor, 1_000, "x" * 12_000)  # 512 of these spans encode to 6.2 MB
    assert processor.force_flush(30_000)
    processor.shutdown()
    assert_each_once(servicer.span_ids, sent)
    assert max(request.ByteSize() for request in servicer.accepted) <= 3 * MIB
    assert processor.stats.dropped_total == 0


def test_grpc_resource_exhausted_splits_the_batch(service: tuple[ScriptedTraceService, str]) -> None:
    servicer, endpoint = service
    # Configured above what the receiver takes: the server's RESOURCE_EXHAUSTED tells us.
    processor = make_processor(endpoint, protocol="grpc", max_batch_bytes=64 * MIB)
    sent = tool_spans(processor, 700, "y" * 12_000)
    assert processor.force_flush(30_000)
    processor.shutdown()
    assert_each_once(servicer.span_ids, sent)
    assert processor.stats.last_error.startswith("gRPC RESOURCE_EXHAUSTED")
    assert max(request.ByteSize() for request in servicer.accepted) <= GRPC_LIMIT


def test_a_span_larger_than_the_grpc_limit_is_cut_with_a_marker(service: tuple[ScriptedTraceService, str]) -> None:
    servicer, endpoint = service
    processor = make_processor(endpoint, protocol="grpc")
    sent = tool_spans(processor, 3, "z" * (6 * MIB))  # a session and two tool calls of 6 MB each
    assert processor.force_flush(30_000)
    processor.shutdown()
    assert_each_once(servicer.span_ids, sent)
    spans = [
        span
        for request in servicer.accepted
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    tools = [span for span in spans if span.name == "tool"]
    assert len(tools) == 2
    for span in tools:
        attributes = {kv.key: kv.value for kv in span.attributes}
        assert attributes[sc.AGENTOPS_EXPORT_TRUNCATED].bool_value is True
        text = attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS].string_value
        assert text.startswith("zzzz") and text.endswith(f"…[{6 * MIB} bytes, truncated to fit the OTLP receiver]")
    assert processor.stats.truncated == 2


def test_http_large_cjk_payloads_under_the_collector_limit_all_arrive(http_receiver: OtlpReceiver) -> None:
    processor = make_processor(http_receiver.endpoint)  # default batching: 512 spans, 16 MiB
    sent = tool_spans(processor, 700, "数据" * 8_000)  # 48 kB each: 512 of them are 24.6 MB
    assert processor.force_flush(30_000)
    processor.shutdown()
    assert_each_once(http_receiver.span_ids(), sent)
    assert {r.answered for r in http_receiver.attempts()} == {200}


def test_http_413_from_a_smaller_proxy_limit_splits_and_learns() -> None:
    proxy = OtlpReceiver(max_body_bytes=1 * MIB)  # nginx's default client_max_body_size
    try:
        processor = make_processor(proxy.endpoint)
        first = tool_spans(processor, 300, "数据" * 4_000)  # 24 kB each, 7 MB in all
        assert processor.force_flush(30_000)
        refused_before = [r.answered for r in proxy.attempts()].count(413)
        later = tool_spans(processor, 300, "数据" * 4_000)
        assert processor.force_flush(30_000)
        processor.shutdown()
    finally:
        proxy.close()
    assert_each_once(proxy.span_ids(), first + later)
    assert refused_before >= 1
    assert [r.answered for r in proxy.attempts()].count(413) == refused_before  # batches fit once learned
    assert processor.stats.dropped_total == 0


def test_http_413_for_one_span_cuts_it_to_fit() -> None:
    proxy = OtlpReceiver(max_body_bytes=1 * MIB)
    try:
        processor = make_processor(proxy.endpoint)
        sent = tool_spans(processor, 2, "数" * MIB)  # a 3 MB tool call
        assert processor.force_flush(30_000)
        processor.shutdown()
    finally:
        proxy.close()
    assert_each_once(proxy.span_ids(), sent)
    assert processor.stats.truncated == 1
    (tool,) = [
        s
        for r in proxy.attempts()
        if r.request
        for rs in r.request.resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
        if s.name == "tool"
    ]
    assert {kv.key for kv in tool.attributes} >= {sc.AGENTOPS_EXPORT_TRUNCATED}


def _encoded(count: int, argument: str, name: str = "tool") -> tuple[bytes, list[str]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    ids: list[str] = []
    tracer = provider.get_tracer("earlier-run")
    for _ in range(count):
        with tracer.start_as_current_span(name, attributes={sc.GEN_AI_TOOL_CALL_ARGUMENTS: argument}) as span:
            ids.append(format(span.get_span_context().span_id, "016x"))
    spans: tuple[ReadableSpan, ...] = exporter.get_finished_spans()
    return encode_spans(spans).SerializeToString(), ids


def test_spooled_batches_that_cannot_go_are_moved_aside_and_never_block_the_rest(tmp_path: Path) -> None:
    receiver = OtlpReceiver(max_body_bytes=1 * MIB)
    receiver.failing_names = {"poison"}
    spool = DiskSpool(tmp_path, 1 << 30)
    big, big_ids = _encoded(200, "b" * 20_000)  # 4 MB, over this receiver's limit: split, then delivered
    poison, _ = _encoded(3, "p", name="poison")  # always 500: retried, then moved aside
    small, small_ids = _encoded(10, "s")
    assert spool.put(big, 200) and spool.put(poison, 3) and spool.put(small, 10)
    (tmp_path / "00000000000000000001-1-00000000.7.otlp").write_bytes(b"not a request")  # damaged, oldest
    try:
        processor = make_processor(receiver.endpoint, spool_dir=tmp_path)
        sent = tool_spans(processor, 50, "now")
        wait_until(lambda: len(receiver.span_ids()) == 260, "every deliverable span")
        processor.shutdown()
    finally:
        receiver.close()
    assert_each_once(receiver.span_ids(), big_ids + small_ids + sent)
    quarantined = sorted(p.name for p in (tmp_path / "quarantine").glob("*.otlp"))
    assert len(quarantined) == 2 and quarantined[0].startswith("00000000000000000001-1-")
    assert processor.stats.quarantined == 3 + 7
    assert processor.stats.dropped == {"undeliverable": 3, "unreadable": 7}
    assert DiskSpool(tmp_path, 1 << 30).pending_spans() == 0


def test_a_batch_that_keeps_failing_in_memory_is_given_up_when_the_ones_behind_it_go_through() -> None:
    receiver = OtlpReceiver()
    receiver.failing_names = {"poison"}  # the backend answers 500 to any batch holding such a span
    try:
        processor = make_processor(receiver.endpoint)  # no spool: waiting batches stay in memory
        emit(processor, 2, "poison")  # a session of its own: its root and one poison step
        assert processor.force_flush(5_000) is False
        sent = emit(processor, 60)
        wait_until(lambda: len(receiver.span_ids()) == 60, "the batches behind the failing one")
        processor.shutdown()
    finally:
        receiver.close()
    assert_each_once(receiver.span_ids(), sent)
    assert processor.stats.dropped == {"undeliverable": 2}
