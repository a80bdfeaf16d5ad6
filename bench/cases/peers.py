"""The peers, each run inside its own venv (bench/_envs.py) with every endpoint on a closed loopback
port: AgentOps 0.4 `@tool`, Traceloop `@tool`, OpenLIT `@trace`.

Per-call cases swap the peer's span exporter for one that drops, as the baseline's does, so only the
instrumentation itself is measured. Start-up cases export their first span to BENCH_SINK.
Values: microseconds per call; seconds for start-up.
"""

import time

T0 = time.perf_counter()

import os  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from _harness import TOOL_ARGS, TOOL_KWARGS, emit, per_call, run_variant, scaled, search, skip, timed  # noqa: E402

ON_CALLS, ON_BATCHES = scaled(2_000, 300), scaled(7, 3)
OFF_CALLS, OFF_BATCHES = scaled(20_000, 5_000), scaled(7, 3)
PAIRED_CALLS, PAIRED_ROUNDS = scaled(2_000, 300), scaled(9, 3)
SINK = os.environ.get("BENCH_SINK", "")


def _drop_exporter() -> Any:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class DropExporter(SpanExporter):
        def export(self, spans: Any) -> Any:
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

    return DropExporter()


def _swap_exporters(provider: Any) -> int:
    """Replace the exporter behind every BatchSpanProcessor of `provider` with a dropping one."""
    swapped = 0
    for processor in getattr(provider._active_span_processor, "_span_processors", ()):
        batch = getattr(processor, "_batch_processor", None)
        if batch is not None and hasattr(batch, "_exporter"):
            batch._exporter = _drop_exporter()
            swapped += 1
    return swapped


def _per_call(call: Callable[[], Any], calls: int, batches: int) -> None:
    emit(**per_call(call, calls, batches), unit="us/call")


def _paired(peer: Callable[[int], tuple[int, int]]) -> None:
    """The peer's batches alternated with bare SDK spans of our tool span's shape, on a provider of
    their own in this venv (the peer's OpenTelemetry version): the peer's own baseline."""
    import uuid

    from _harness import alternate
    from _otel import bare_tool_call, dropping_provider

    provider, _ = dropping_provider()
    tracer = provider.get_tracer("bench")
    bare = bare_tool_call(tracer, str(uuid.uuid4()))

    def baseline(calls: int) -> tuple[int, int]:
        with tracer.start_as_current_span("session bench"):
            return timed(bare, calls)

    emit(**alternate(peer, baseline, PAIRED_CALLS, PAIRED_ROUNDS), unit="x")


def _flush_and_report() -> None:
    from opentelemetry import trace

    trace.get_tracer_provider().force_flush()
    emit(value=time.process_time(), wall=round(time.perf_counter() - T0, 3), unit="s")


def _endpoints_to_sink() -> None:
    if not SINK:
        skip("BENCH_SINK is not set (run through bench/run.py)")
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = SINK
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = SINK + "/v1/traces"
    os.environ["AGENTOPS_EXPORTER_ENDPOINT"] = SINK + "/v1/traces"
    os.environ["TRACELOOP_BASE_URL"] = SINK


def _pricing_file() -> str:
    path = os.path.join(os.getcwd(), "pricing.json")
    with open(path, "w") as file:
        file.write("{}")
    return path


# AgentOps 0.4


def _agentops() -> Callable[[], Any]:
    import agentops
    from agentops.sdk.decorators import tool
    from opentelemetry import trace

    agentops.init(auto_start_session=False, instrument_llm_calls=False)
    if not _swap_exporters(trace.get_tracer_provider()):
        skip("could not find AgentOps' span exporter to replace")
    decorated = tool(name="search")(search)
    return lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS)


def agentops_tool() -> None:
    import agentops

    call = _agentops()
    session = agentops.start_trace("bench")
    _per_call(call, ON_CALLS, ON_BATCHES)
    agentops.end_trace(session)


def agentops_paired() -> None:
    import agentops

    call = _agentops()

    def batch(calls: int) -> tuple[int, int]:
        trace = agentops.start_trace("bench")
        try:
            return timed(call, calls)
        finally:
            agentops.end_trace(trace)

    _paired(batch)


def agentops_off() -> None:
    os.environ.pop("AGENTOPS_API_KEY", None)  # no key: importing agentops must not initialise it
    from agentops.sdk.decorators import tool

    decorated = tool(name="search")(search)
    _per_call(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS), OFF_CALLS, OFF_BATCHES)


def agentops_startup() -> None:
    _endpoints_to_sink()
    import agentops

    agentops.init(auto_start_session=False, instrument_llm_calls=False)
    agentops.end_trace(agentops.start_trace("bench"))
    _flush_and_report()


# Traceloop


def _traceloop() -> Callable[[], Any]:
    from traceloop.sdk import Traceloop
    from traceloop.sdk.decorators import tool

    Traceloop.init(app_name="bench", exporter=_drop_exporter(), telemetry_enabled=False, disable_batch=False)
    decorated = tool(name="search")(search)
    return lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS)


def _in_global_root(call: Callable[[], Any]) -> Callable[[int], tuple[int, int]]:
    from opentelemetry import trace

    def batch(calls: int) -> tuple[int, int]:
        with trace.get_tracer("bench").start_as_current_span("session"):
            return timed(call, calls)

    return batch


def traceloop_tool() -> None:
    from opentelemetry import trace

    call = _traceloop()
    with trace.get_tracer("bench").start_as_current_span("session"):
        _per_call(call, ON_CALLS, ON_BATCHES)


def traceloop_paired() -> None:
    _paired(_in_global_root(_traceloop()))


def traceloop_off() -> None:
    from traceloop.sdk.decorators import tool

    decorated = tool(name="search")(search)
    _per_call(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS), OFF_CALLS, OFF_BATCHES)


def traceloop_startup() -> None:
    _endpoints_to_sink()
    from traceloop.sdk import Traceloop
    from traceloop.sdk.decorators import workflow

    Traceloop.init(app_name="bench", api_endpoint=SINK, telemetry_enabled=False, disable_batch=False)
    workflow(name="bench")(search)(*TOOL_ARGS, **TOOL_KWARGS)
    _flush_and_report()


# OpenLIT


def _openlit() -> Callable[[], Any]:
    import openlit
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()  # OpenLIT joins an existing provider: give it one that drops
    provider.add_span_processor(BatchSpanProcessor(_drop_exporter()))
    trace.set_tracer_provider(provider)
    openlit.init(application_name="bench", disable_metrics=True, pricing_json=_pricing_file())
    decorated = openlit.trace(search)
    return lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS)


def openlit_trace() -> None:
    from opentelemetry import trace

    call = _openlit()
    with trace.get_tracer("bench").start_as_current_span("session"):
        _per_call(call, ON_CALLS, ON_BATCHES)


def openlit_paired() -> None:
    _paired(_in_global_root(_openlit()))


def openlit_startup() -> None:
    _endpoints_to_sink()
    import openlit

    openlit.init(otlp_endpoint=SINK, application_name="bench", disable_metrics=True, pricing_json=_pricing_file())
    openlit.trace(search)(*TOOL_ARGS, **TOOL_KWARGS)
    _flush_and_report()


if __name__ == "__main__":
    run_variant(
        {
            "agentops-tool": agentops_tool,
            "agentops-paired": agentops_paired,
            "agentops-off": agentops_off,
            "agentops-startup": agentops_startup,
            "traceloop-tool": traceloop_tool,
            "traceloop-paired": traceloop_paired,
            "traceloop-off": traceloop_off,
            "traceloop-startup": traceloop_startup,
            "openlit-trace": openlit_trace,
            "openlit-paired": openlit_paired,
            "openlit-startup": openlit_startup,
        }
    )
