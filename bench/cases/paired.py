"""Paired measures: subject and baseline batches alternated in one process, so that the drift of a
shared machine (which moved separate-process ratios from 1.46x to 1.81x) hits both alike.

Value: the median over rounds of subject/baseline CPU time (`subject`, `baseline`: microseconds per
call; `added`: their difference). The baselines are bare SDK spans with exactly the attributes our
span carries (checked at run time, `_shapes`), on a provider of their own with a dropping exporter.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from _harness import TOOL_ARGS, TOOL_KWARGS, alternate, emit, run_variant, scaled, search, timed

CALLS, ROUNDS = scaled(2_000, 300), scaled(9, 3)
SESSIONS, SESSION_ROUNDS = scaled(20, 3), scaled(9, 3)
OFF_CALLS = scaled(20_000, 3_000)


def _session_batch(tracer: Any, call: Callable[[], Any]) -> Callable[[int], tuple[int, int]]:
    """Bare calls inside a root span of their own (the root's start and end are not timed)."""

    def batch(calls: int) -> tuple[int, int]:
        with tracer.start_as_current_span("session bench"):
            return timed(call, calls)

    return batch


def _ours_batch(call: Callable[[], Any]) -> Callable[[int], tuple[int, int]]:
    import agentops_otel

    def batch(calls: int) -> tuple[int, int]:
        with agentops_otel.session("bench"):
            return timed(call, calls)

    return batch


def check_keys(exporter: Any, shape: dict[str, Any], side: str) -> None:
    """The span `side` exported carries exactly the shape's attribute keys, or the case stops."""
    from _shapes import keys

    got, want = exporter.keys.get(shape["name"]), keys(shape)
    if got != want:
        raise SystemExit(f"{side} span {shape['name']!r} has keys {sorted(got or ())}, the shape {sorted(want)}")


def _step(kind: str) -> None:
    """@record_tool / @record_action in a session against the bare span of the same shape."""
    from _otel import bare_call, dropping_provider, init_ours
    from _shapes import shapes

    import agentops_otel

    shape = shapes()[kind]
    ours_provider, ours_exporter = dropping_provider()
    init_ours(ours_provider)
    decorator = agentops_otel.record_tool if kind == "tool" else agentops_otel.record_action
    decorated = decorator("search")(search)
    bare_provider, bare_exporter = dropping_provider()
    bare_tracer = bare_provider.get_tracer("bench")
    bare = bare_call(bare_tracer, str(uuid.uuid4()), shape)
    result = alternate(
        _ours_batch(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS)), _session_batch(bare_tracer, bare), CALLS, ROUNDS
    )
    ours_provider.force_flush(), bare_provider.force_flush()
    check_keys(ours_exporter, shape, "our"), check_keys(bare_exporter, shape, "the baseline's")
    emit(**result, unit="x", attributes=len(ours_exporter.keys[shape["name"]]))
    agentops_otel.shutdown()


def start_attributes() -> None:
    """The bare span with its attributes passed at start, against the same span set one by one."""
    from _otel import bare_tool_call, dropping_provider

    provider, _ = dropping_provider()
    tracer = provider.get_tracer("bench")
    session_id = str(uuid.uuid4())
    at_start = _session_batch(tracer, bare_tool_call(tracer, session_id, at_start=True))
    emit(**alternate(at_start, _session_batch(tracer, bare_tool_call(tracer, session_id)), CALLS, ROUNDS), unit="x")


def session() -> None:
    """session() + 100 @record_tool calls against a root span + 100 bare spans of the same shape."""
    from sessions import STEPS, _bare_session, _our_session

    ours, _ = _our_session(STEPS)
    bare, _ = _bare_session(STEPS)

    def batch(run: Callable[[], Any]) -> Callable[[int], tuple[int, int]]:
        return lambda sessions: timed(run, sessions)

    emit(**alternate(batch(ours), batch(bare), SESSIONS, SESSION_ROUNDS, scale=1000), unit="x")


def cost() -> None:
    """LLM spans through CostProcessor against the same spans straight to the BatchSpanProcessor."""
    from _otel import DropExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from pipeline import _llm_span_call

    from agentops_otel.cost import CostProcessor

    with_cost, plain = TracerProvider(), TracerProvider()
    processor = CostProcessor([BatchSpanProcessor(DropExporter())])
    processor.pricer.warm_up()  # as init() does: the tables' load is start-up, not a span's cost
    with_cost.add_span_processor(processor)
    plain.add_span_processor(BatchSpanProcessor(DropExporter()))
    (priced, _), (bare, _) = _llm_span_call(with_cost), _llm_span_call(plain)
    result = alternate(lambda n: timed(priced, n), lambda n: timed(bare, n), CALLS, ROUNDS)
    _emit_added(result)


def _emit_added(result: dict[str, Any]) -> None:
    """The added microseconds per call as the value (the ratio beside it)."""
    ratio = result.pop("value")
    emit(**result, value=round(result["subject"] - result["baseline"], 3), ratio=ratio, unit="us/call")


def off(sampled_out: bool) -> None:
    """@record_tool with tracing off (no init(), or in a sampled-out session) against the plain call."""
    import agentops_otel

    decorated = agentops_otel.record_tool("search")(search)
    handle = None
    if sampled_out:
        from _otel import dropping_provider, init_ours
        from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

        provider, _ = dropping_provider(sampler=ParentBased(ALWAYS_OFF))
        init_ours(provider)
        handle = agentops_otel.start_session("bench")
    result = alternate(
        lambda n: timed(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS), n),
        lambda n: timed(lambda: search(*TOOL_ARGS, **TOOL_KWARGS), n),
        OFF_CALLS,
        ROUNDS,
    )
    if handle is not None:
        handle.end()
    _emit_added(result)


if __name__ == "__main__":
    run_variant(
        {
            "tool": lambda: _step("tool"),
            "action": lambda: _step("action"),
            "start-attributes": start_attributes,
            "session": session,
            "cost": cost,
            "off-no-init": lambda: off(False),
            "off-sampled-out": lambda: off(True),
        }
    )
