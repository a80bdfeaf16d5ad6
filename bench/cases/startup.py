"""From a fresh process to the first span exported: `import agentops_otel; init()` vs bare SDK set-up.

The process stops when the first span has been delivered over OTLP/HTTP to the sink server at
BENCH_SINK (run by bench/run.py), or, for `ours-store`, written to the local store. Value: CPU seconds
of the process by then (interpreter start-up included, the same for every case); `wall`: seconds
from before the first import.
"""

import time

T0 = time.perf_counter()

import os  # noqa: E402

from _harness import emit, run_variant, skip  # noqa: E402

SINK = os.environ.get("BENCH_SINK", "")


def _done(**extra: object) -> None:
    emit(value=time.process_time(), wall=round(time.perf_counter() - T0, 3), unit="s", **extra)


def bare() -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=SINK + "/v1/traces")))
    trace.set_tracer_provider(provider)
    with trace.get_tracer("bench").start_as_current_span("session"):
        pass
    provider.force_flush()
    _done()


def ours_otlp() -> None:
    if not SINK:
        skip("BENCH_SINK is not set (run through bench/run.py)")
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = SINK
    os.environ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
    import agentops_otel

    provider = agentops_otel.init(store=False, auto_start_session=False)
    with agentops_otel.session("bench"):
        pass
    provider.force_flush()
    _done()


def ours_store() -> None:
    """The zero-configuration default: no exporter named, spans go to the local SQLite store."""
    os.environ["AGENTOPS_OTEL_STORE_PATH"] = os.path.join(os.getcwd(), "startup.db")
    import agentops_otel

    provider = agentops_otel.init(auto_start_session=False)
    with agentops_otel.session("bench"):
        pass
    provider.force_flush()
    _done()
    from agentops_otel.store import LocalStore

    if LocalStore(os.environ["AGENTOPS_OTEL_STORE_PATH"]).span_count() < 1:
        raise SystemExit("the session span did not reach the local store")


if __name__ == "__main__":
    run_variant({"bare": bare, "ours-otlp": ours_otlp, "ours-store": ours_store})
