"""OTLP export against a backend that refuses, fails, throttles, hangs or comes up late: nothing is lost,
nothing raises into the agent, the agent is never blocked, and what cannot be delivered is counted."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from agentops_otel import semconv as sc
from agentops_otel.export import OtlpSettings, QueueSettings, ReliableExportProcessor
from agentops_otel.export._settings import PROTOCOL_GRPC
from agentops_otel.export._transport import build_transport
from tests._otlp_receiver import HANG, OtlpReceiver, Reply

WAIT_S = 30.0  # generous upper bound for the worker to catch up; never reached when the code is right


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    yield server
    server.close()


@pytest.fixture
def down_receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver(listening=False)
    yield server
    server.close()


def make_processor(
    endpoint: str,
    *,
    timeout_s: float = 5.0,
    compression: str = "none",
    protocol: str = "http/protobuf",
    meter_provider: MeterProvider | None = None,
    **queue: object,
) -> ReliableExportProcessor:
    settings = QueueSettings(**{"schedule_delay_s": 0.05, **queue})  # type: ignore[arg-type]
    transport = build_transport(
        OtlpSettings(protocol=protocol, endpoint=endpoint, timeout_s=timeout_s, compression=compression)
    )
    return ReliableExportProcessor(
        transport, settings, meter_provider=meter_provider, initial_backoff_s=0.02, max_backoff_s=0.1
    )


def emit(
    processor: ReliableExportProcessor,
    count: int,
    name: str = "step",
    *,
    attributes: dict[str, str] | None = None,
    per_session: int = 50,
) -> list[str]:
    """Run a small agent: sessions of up to `per_session` spans (each step with `attributes`); returns
    the span ids it produced."""
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("agent")
    ids: list[str] = []
    while len(ids) < count:
        with tracer.start_as_current_span("session", attributes={sc.SESSION_ID: f"s{len(ids)}"}) as root:
            ids.append(format(root.get_span_context().span_id, "016x"))
            for _ in range(min(per_session - 1, count - len(ids))):
                with tracer.start_as_current_span(name, attributes=attributes) as span:
                    ids.append(format(span.get_span_context().span_id, "016x"))
    return ids


def test_backend_down_during_the_run_gets_everything_once_it_comes_up(down_receiver: OtlpReceiver) -> None:
    processor = make_processor(down_receiver.endpoint)
    sent = emit(processor, 300)
    assert processor.force_flush(2_000) is False  # refused: still waiting, and flush says so
    assert processor.stats.delivered == 0
    down_receiver.listen()
    wait_until(lambda: processor.stats.delivered == 300, "delivery after the backend came up")
    processor.shutdown()
    assert sorted(down_receiver.span_ids()) == sorted(sent)
    assert processor.stats.dropped_total == 0


def test_503s_are_retried_until_accepted(receiver: OtlpReceiver) -> None:
    receiver.script(503, 503, 502, 504)
    processor = make_processor(receiver.endpoint)
    sent = emit(processor, 120)
    wait_until(lambda: processor.stats.delivered == 120, "delivery after the 5xx answers")
    processor.shutdown()
    assert sorted(receiver.span_ids()) == sorted(sent)
    assert [r.answered for r in receiver.attempts()][:4] == [503, 503, 502, 504]


def test_429_retry_after_is_respected(receiver: OtlpReceiver) -> None:
    receiver.script(Reply(429, retry_after="1"))
    processor = make_processor(receiver.endpoint)
    sent = emit(processor, 10)
    processor.force_flush(100)  # a flush does not override the server's request to wait
    wait_until(lambda: processor.stats.delivered == 10, "delivery after the throttle")
    processor.shutdown()
    throttled, accepted = receiver.attempts()[0], receiver.attempts()[1]
    assert throttled.answered == 429
    assert accepted.at - throttled.at >= 1.0  # our own backoff here is 20-100 ms
    assert sorted(receiver.span_ids()) == sorted(sent)


def test_a_hanging_backend_never_blocks_the_agent(receiver: OtlpReceiver) -> None:
    receiver.script(HANG)
    processor = make_processor(receiver.endpoint, timeout_s=0.3)
    first = emit(processor, 10)
    processor.force_flush(0)  # send the first batch now; the receiver holds it
    wait_until(lambda: len(receiver.attempts()) >= 1, "the first request to arrive")
    # The worker is stuck in that request; the agent keeps running at full speed meanwhile.
    second = emit(processor, 500)
    wait_until(lambda: processor.stats.delivered >= 510, "delivery after the timeout")
    processor.shutdown()
    assert set(receiver.span_ids()) == set(first + second)  # at least once: nothing lost


def test_permanent_rejection_is_counted_not_retried(receiver: OtlpReceiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.script(400)
    reader = InMemoryMetricReader()
    processor = make_processor(receiver.endpoint, meter_provider=MeterProvider(metric_readers=[reader]))
    emit(processor, 10)
    processor.force_flush(5_000)
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        processor.shutdown()
    assert len(receiver.attempts()) == 1
    assert processor.stats.dropped == {"400": 10}
    assert "10 spans were not delivered (10 400)" in caplog.text
    points = {
        metric.name: list(metric.data.data_points)
        for rm in reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }
    (dropped,) = points[sc.METRIC_AGENTOPS_EXPORT_SPANS_DROPPED]
    assert dropped.value == 10
    assert dropped.attributes[sc.ERROR_TYPE] == "400"
    assert dropped.attributes[sc.SERVER_PORT] == receiver.port


def test_partial_success_rejections_are_counted(receiver: OtlpReceiver) -> None:
    receiver.script(Reply(200, rejected_spans=2))
    processor = make_processor(receiver.endpoint)
    emit(processor, 10)
    assert processor.force_flush(5_000)
    processor.shutdown()
    assert processor.stats.delivered == 8
    assert processor.stats.dropped == {"rejected": 2}


def test_memory_stays_bounded_and_every_lost_span_is_counted(
    down_receiver: OtlpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    processor = make_processor(down_receiver.endpoint, max_queue_bytes=20_000, max_batch_size=20)
    emit(processor, 1_000)
    assert processor.memory_bytes <= 20_000 + 2_000  # the estimate is exact once encoded: one batch of slack
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        processor.shutdown()
    stats = processor.stats
    assert stats.delivered == 0
    assert stats.dropped_total == 1_000
    assert stats.dropped["queue_full"] >= 700
    assert set(stats.dropped) == {"queue_full", "not_delivered_at_exit"}
    assert "1000 spans were not delivered" in caplog.text
    assert "AGENTOPS_OTEL_SPOOL=false" in caplog.text


def test_concurrent_agents_lose_nothing_with_a_flaky_backend(receiver: OtlpReceiver) -> None:
    receiver.script(*[503, 200] * 10)
    processor = make_processor(receiver.endpoint, max_queue_size=20_000, max_batch_size=64)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("agent")
    sent: list[list[str]] = [[] for _ in range(8)]

    def agent(index: int) -> None:
        for _ in range(250):
            with tracer.start_as_current_span("tool") as span:
                sent[index].append(format(span.get_span_context().span_id, "016x"))

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(lambda: processor.stats.delivered == 2_000, "delivery of every agent's spans")
    processor.shutdown()
    assert sorted(receiver.span_ids()) == sorted(s for ids in sent for s in ids)


def test_gzip_compressed_batches_arrive_intact(receiver: OtlpReceiver) -> None:
    processor = make_processor(receiver.endpoint, compression="gzip")
    sent = emit(processor, 60)
    assert processor.force_flush(5_000)
    processor.shutdown()
    assert {r.headers.get("content-encoding") for r in receiver.attempts()} == {"gzip"}
    assert sorted(receiver.span_ids()) == sorted(sent)


def test_unreachable_grpc_backend_is_counted_at_exit(down_receiver: OtlpReceiver) -> None:
    processor = make_processor(f"http://127.0.0.1:{down_receiver.port}", protocol=PROTOCOL_GRPC, timeout_s=1)
    emit(processor, 20)
    assert processor.force_flush(5_000) is False
    processor.shutdown()
    assert processor.stats.dropped == {"not_delivered_at_exit": 20}
    assert processor.stats.last_error.startswith("gRPC UNAVAILABLE")


def test_spans_ended_after_shutdown_are_counted(receiver: OtlpReceiver) -> None:
    processor = make_processor(receiver.endpoint)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    span = provider.get_tracer("agent").start_span("late")
    processor.shutdown()
    span.end()
    assert processor.stats.dropped == {"after_shutdown": 1}


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_gets_its_own_worker(receiver: OtlpReceiver) -> None:
    processor = make_processor(receiver.endpoint)
    emit(processor, 5)
    assert processor.force_flush(5_000)
    pid = os.fork()
    if pid == 0:  # the child: the parent's worker thread does not exist here
        delivered = False
        try:
            emit(processor, 7)
            delivered = processor.force_flush(5_000) and processor.stats.delivered == 5 + 7
        finally:
            os._exit(0 if delivered else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    processor.shutdown()
    assert len(receiver.span_ids()) == 12
