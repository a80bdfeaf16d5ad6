"""LocalStoreExporter: spans handed to it survive a normal exit; it never raises into the caller."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv as sc
from agentops_otel.sources._store import StoreSource
from agentops_otel.store import LocalStore, LocalStoreExporter

SPANS = 3000

# Nothing is exported before exit (long delay, queue big enough): only the exit flush can save them.
_BATCH_AT_EXIT = f"""
import sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from agentops_otel.store import LocalStoreExporter

provider = TracerProvider()
provider.add_span_processor(
    BatchSpanProcessor(LocalStoreExporter(sys.argv[1]), schedule_delay_millis=600_000, max_queue_size=10_000)
)
tracer = provider.get_tracer("exit-flush")
for i in range({SPANS // 100}):
    with tracer.start_as_current_span("session", attributes={{"{sc.SESSION_ID}": "exit-" + str(i)}}):
        for _ in range(99):
            with tracer.start_as_current_span("step", attributes={{"{sc.SESSION_ID}": "exit-" + str(i)}}):
                pass
"""

# The standard OpenTelemetry SDK configurator, choosing our exporter by entry-point name.
_BY_ENV = f"""
from opentelemetry import trace
from opentelemetry.sdk._configuration import _OTelSDKConfigurator

_OTelSDKConfigurator().configure()
tracer = trace.get_tracer("by-env")
for i in range({SPANS}):
    with tracer.start_as_current_span("step", attributes={{"{sc.SESSION_ID}": "env-" + str(i // 100)}}):
        pass
"""


def _run(script: str, *args: str, cwd, env=None) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_every_span_in_a_batch_processor_is_stored_when_the_process_exits_normally(tmp_path):
    path = tmp_path / "traces.db"
    _run(_BATCH_AT_EXIT, str(path), cwd=tmp_path)
    with LocalStore(path, create=False) as store:
        assert store.span_count() == SPANS
    assert len(StoreSource(path).sessions()) == SPANS // 100


def test_otel_traces_exporter_agentops_store_writes_to_the_default_store_in_the_working_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    env |= {
        "OTEL_TRACES_EXPORTER": "agentops_store",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_BSP_MAX_QUEUE_SIZE": "10000",
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
    }
    _run(_BY_ENV, cwd=tmp_path, env=env)
    with LocalStore(tmp_path / ".agentops" / "traces.db", create=False) as store:
        assert store.span_count() == SPANS


def _finished_spans(count: int):
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    for i in range(count):
        with tracer.start_as_current_span("chat gpt-4o", attributes={sc.GEN_AI_OPERATION_NAME: "chat"}) as span:
            span.set_attribute("n", i)
    provider.shutdown()
    return memory.get_finished_spans()


def test_constructing_the_exporter_touches_no_file(tmp_path):
    exporter = LocalStoreExporter(tmp_path / "sub" / "traces.db")
    exporter.shutdown()
    assert not (tmp_path / "sub").exists()


def test_threads_exporting_at_once_store_every_span(tmp_path):
    spans = _finished_spans(400)
    exporter = LocalStoreExporter(tmp_path / "traces.db")
    results = []
    threads = [
        threading.Thread(target=lambda part=part: results.append(exporter.export(part)))
        for part in (spans[i::4] for i in range(4))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    exporter.shutdown()
    assert results == [SpanExportResult.SUCCESS] * 4
    assert exporter.exported_spans == 400
    with LocalStore(tmp_path / "traces.db", create=False) as store:
        assert store.span_count() == 400


def test_export_after_shutdown_fails_and_counts_instead_of_raising(tmp_path):
    spans = _finished_spans(3)
    exporter = LocalStoreExporter(tmp_path / "traces.db")
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    exporter.shutdown()  # idempotent
    assert exporter.export(spans) is SpanExportResult.FAILURE
    assert exporter.failed_spans == 3


def test_a_span_exported_twice_is_stored_once(tmp_path):
    spans = _finished_spans(5)
    exporter = LocalStoreExporter(tmp_path / "traces.db")
    exporter.export(spans)
    exporter.export(spans)
    exporter.shutdown()
    with LocalStore(tmp_path / "traces.db", create=False) as store:
        assert store.span_count() == 5
