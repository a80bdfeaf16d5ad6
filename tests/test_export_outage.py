"""Default settings against a backend that is down, comes back late, or takes a burst: how many spans
survive, counted at the receiver (every one, once). README "Delivery" states these figures."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider

from agentops_otel.export import OtlpSettings, ReliableExportProcessor
from agentops_otel.export._transport import build_transport
from tests._grpc_receiver import grpc_receiver
from tests._otlp_receiver import OtlpReceiver

# A minute of the busy agent of bench/cases/delivery.py: 8 agents, one turn a second, each turn a
# session of three tool calls (the bench measures 4.1 MB a minute with LLM content; this is its shape).
BUSY_MINUTE_SESSIONS = 8 * 60
BUSY_MINUTE_SPANS = BUSY_MINUTE_SESSIONS * 4

AGENT = """
import sys, time
import agentops_otel

agentops_otel.init(instrument_llm=False)

@agentops_otel.tool
def search_orders(customer_id, query):
    return [{"order": f"o-{customer_id}-{i}", "note": query} for i in range(5)]

query = "duplicate charge refund " * int(sys.argv[3])
for n in range(int(sys.argv[1])):
    with agentops_otel.session(f"turn-{n}"):
        for _ in range(3):
            search_orders("c-1234", query)
time.sleep(float(sys.argv[2]))  # the agent keeps running
"""


def run_agent(
    tmp_path: Path, endpoint: str, sessions: int, then_s: float = 0.0, words: int = 60
) -> subprocess.Popen[str]:
    """`words` sets the tool calls' size: 60 makes a turn of about 8 kB encoded, as the bench's real one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    env.update(  # nothing but the endpoint: the defaults are what is tested
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=endpoint,
        AGENTOPS_OTEL_STORE_PATH=str(tmp_path / "traces.db"),
        AGENTOPS_OTEL_DEBUG="1",
    )
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(AGENT), str(sessions), str(then_s), str(words)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_each_once(received: list[str], expected: int) -> None:
    assert not [span for span, n in Counter(received).items() if n > 1]
    assert len(received) == expected


def test_a_minute_of_a_busy_agent_with_the_backend_down_loses_nothing(tmp_path: Path) -> None:
    receiver = OtlpReceiver(listening=False)  # connections refused the whole run
    try:
        first = run_agent(tmp_path, receiver.endpoint, BUSY_MINUTE_SESSIONS)
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert f"{BUSY_MINUTE_SPANS} spans wait in" in err  # on disk, beside the store, by default
        assert "not delivered" not in err
        receiver.listen()
        second = run_agent(tmp_path, receiver.endpoint, 0)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert_each_once(receiver.span_ids(), BUSY_MINUTE_SPANS)
    finally:
        receiver.close()


def test_a_burst_of_10000_spans_reaches_a_backend_that_comes_up_seconds_later(tmp_path: Path) -> None:
    receiver = OtlpReceiver(listening=False)
    try:
        agent = run_agent(tmp_path, receiver.endpoint, 2_500, then_s=5.0, words=1)  # 10,000 small spans
        time.sleep(3.0)
        receiver.listen()  # the agent is still running: its own retries deliver, oldest first
        _, err = agent.communicate(timeout=120)
        assert agent.returncode == 0, err
        assert "not delivered" not in err and "for the next run" not in err  # nothing left behind
        assert_each_once(receiver.span_ids(), 10_000)
    finally:
        receiver.close()


def test_a_burst_on_a_healthy_grpc_backend_drops_nothing() -> None:
    with grpc_receiver() as (servicer, endpoint):
        transport = build_transport(OtlpSettings(protocol="grpc", endpoint=endpoint))
        processor = ReliableExportProcessor(transport)  # default queue settings (no spool: none given)
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(processor)
        tracer = provider.get_tracer("burst")
        for _ in range(10_000):  # as fast as a loop can end spans: 30-131 were counted queue_full before
            tracer.start_span("step").end()
        assert processor.force_flush(60_000)
        processor.shutdown()
        assert processor.stats.dropped_total == 0
        assert_each_once(servicer.span_ids, 10_000)
