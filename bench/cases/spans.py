"""Per-call cost of a traced tool call: ours (decorators in a session) vs the bare SDK, and the
tracing-off path (no init(), or the session sampled out) vs a plain call.

Value: microseconds per call (median of batches).
"""

from __future__ import annotations

from typing import Any

from _harness import TOOL_ARGS, TOOL_KWARGS, emit, per_call, run_variant, scaled, search

ON_CALLS, ON_BATCHES = scaled(2_000, 300), scaled(7, 3)
OFF_CALLS, OFF_BATCHES = scaled(20_000, 5_000), scaled(7, 3)


def _on(call: Any, **extra: Any) -> None:
    emit(**per_call(call, ON_CALLS, ON_BATCHES), unit="us/call", **extra)


def _off(call: Any) -> None:
    emit(**per_call(call, OFF_CALLS, OFF_BATCHES), unit="us/call")


def bare_span() -> None:
    from _otel import bare_tool_call, dropping_provider

    provider, _ = dropping_provider()
    tracer = provider.get_tracer("bench")
    with tracer.start_as_current_span("session"):
        _on(bare_tool_call(tracer, "5b0e3c9e-5f3c-4f6e-9d55-0c0ffee00000"))
    provider.shutdown()


def bare_span_start_attributes() -> None:
    from _otel import bare_tool_call, dropping_provider

    provider, _ = dropping_provider()
    tracer = provider.get_tracer("bench")
    with tracer.start_as_current_span("session"):
        _on(bare_tool_call(tracer, "5b0e3c9e-5f3c-4f6e-9d55-0c0ffee00000", at_start=True))
    provider.shutdown()


def _ours(decorator_name: str) -> None:
    from _otel import dropping_provider, init_ours

    import agentops_otel

    provider, exporter = dropping_provider()
    init_ours(provider)
    decorated = getattr(agentops_otel, decorator_name)("search")(search)
    with agentops_otel.session("bench"):
        step = decorated(*TOOL_ARGS, **TOOL_KWARGS)
        attributes = len(agentops_otel.get_session().steps[-1].record.attributes) if step else 0
        _on(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS), attributes=attributes)
    provider.shutdown()
    if exporter.count == 0:
        raise SystemExit("nothing was exported: the benchmark measured no spans")


def ours_tool() -> None:
    _ours("record_tool")


def ours_action() -> None:
    _ours("record_action")


def plain() -> None:
    _off(lambda: search(*TOOL_ARGS, **TOOL_KWARGS))


def off_no_init() -> None:
    import agentops_otel

    decorated = agentops_otel.record_tool("search")(search)
    _off(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS))


def off_sampled_out() -> None:
    from _otel import dropping_provider, init_ours
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

    import agentops_otel

    provider, exporter = dropping_provider(sampler=ParentBased(ALWAYS_OFF))
    init_ours(provider)
    decorated = agentops_otel.record_tool("search")(search)
    with agentops_otel.session("bench"):
        _off(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS))
    provider.shutdown()
    if exporter.count:
        raise SystemExit("spans were exported although the session was sampled out")


def otel_noop_api() -> None:
    """The OpenTelemetry API with no SDK: what a tracer that does not skip it pays when off."""
    import json

    from opentelemetry import trace

    from agentops_otel import semconv as sc

    tracer = trace.get_tracer("bench")

    def call() -> Any:
        with tracer.start_as_current_span("execute_tool search") as span:
            span.set_attribute(sc.GEN_AI_TOOL_NAME, "search")
            span.set_attribute(sc.GEN_AI_TOOL_CALL_ARGUMENTS, json.dumps({"query": TOOL_ARGS[0], **TOOL_KWARGS}))
            result = search(*TOOL_ARGS, **TOOL_KWARGS)
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, json.dumps(result))
            return result

    _off(call)


if __name__ == "__main__":
    run_variant(
        {
            "bare-span": bare_span,
            "bare-span-start-attributes": bare_span_start_attributes,
            "ours-tool": ours_tool,
            "ours-action": ours_action,
            "plain": plain,
            "off-no-init": off_no_init,
            "off-sampled-out": off_sampled_out,
            "otel-noop-api": otel_noop_api,
        }
    )
