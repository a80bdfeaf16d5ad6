"""`validate_trace_spans`: AgentOps 0.4.18's check that a trace was recorded, run on our own spans.

AgentOps asks its cloud API for the trace's spans and metrics (retrying while they arrive) and raises
`ValidationError` when there are too few spans or no LLM activity. We read the spans this process
recorded for the trace (the in-process recorder holds every session's spans, open ones included), so
there is nothing to wait for: `max_retries` and `retry_delay` are accepted and the check runs once.

    result = agentops.validate_trace_spans(trace_context=trace)
    agentops.print_validation_summary(result)
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from .. import _kinds, _pipeline
from .. import semconv as sc
from .._format import usd
from ..errors import AgentOpsOtelError
from ..model import build_session
from . import _scope


class ValidationError(AgentOpsOtelError):
    """The trace holds fewer spans than asked for, or no LLM call when one was expected."""


def _trace_id(trace_id: str | None, trace_context: Any) -> str:
    if trace_id:
        return str(trace_id).strip().lower()
    if trace_context is not None:
        span = getattr(trace_context, "span", None)
        context = span.get_span_context() if span is not None else None
    else:
        context = trace.get_current_span().get_span_context()
        last = _scope.last_started.get()
        if not context.is_valid and last is not None:
            # AgentOps' init trace stays current around the traces started in it, so their examples end
            # with `validate_trace_spans(trace_context=None)` after `end_trace(tracer)`: the trace this
            # context worked with last is the one they mean.
            context = last.root_context
    if context is None or not context.is_valid:
        raise ValueError("No trace ID found. Provide either trace_id or trace_context parameter.")
    return format(context.trace_id, "032x")


def validate_trace_spans(
    trace_id: str | None = None,
    trace_context: Any = None,
    max_retries: int = 10,
    retry_delay: float = 1.0,
    check_llm: bool = True,
    min_spans: int = 1,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Check the spans recorded for a trace (the one given, else `trace_context`'s, else the current
    span's, else the session last started here); returns AgentOps' result dict, raises ValidationError
    when the check fails and ValueError when there is no trace to check."""
    del max_retries, retry_delay, api_key  # our spans are local: nothing to fetch, wait for or sign in to
    wanted = _trace_id(trace_id, trace_context)
    pipeline = _pipeline.current_pipeline()
    records = pipeline.recorder.records(wanted) if pipeline is not None else []
    if len(records) < max(min_spans, 1):
        llm = ", including LLM activity" if check_llm else ""
        raise ValidationError(
            f"Validation failed for trace {wanted}: expected at least {min_spans} spans{llm}, found "
            f"{len(records)}. Check that agentops_otel.init() ran before the work and that the spans "
            "belong to a session (start_trace / start_session, or the session init() starts)."
        )
    session = build_session(records)
    llm_steps = session.llm_events
    usage = session.usage
    spans = [
        {
            "span_id": r.span_id,
            "parent_span_id": r.parent_span_id,
            "span_name": r.name,
            "kind": _kinds.SESSION if _kinds.is_session_root(r.attributes) else _kinds.step_kind(r.attributes),
            "status_code": r.status_code,
            "duration_ns": r.duration_ns,
        }
        for r in session.spans
    ]
    result = {
        "trace_id": wanted,
        "span_count": len(records),
        "spans": spans,
        "has_llm_spans": bool(llm_steps) or usage.input_tokens + usage.output_tokens > 0,
        "llm_span_names": [s.span_name for s in llm_steps],
        "metrics": {
            "total_tokens": usage.input_tokens + usage.output_tokens,
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_cost": session.cost_lower_bound,
            "cost_complete": session.cost_complete,
            "session_id": session.root.attributes.get(sc.SESSION_ID),
        },
    }
    if check_llm and not result["has_llm_spans"]:
        names = [s["span_name"] for s in spans]
        raise ValidationError(f"No LLM activity detected in trace {wanted}. Found spans: {names}, Token usage: 0")
    return result


def print_validation_summary(result: dict[str, Any]) -> None:
    """Print what `validate_trace_spans` found, as AgentOps does."""
    print("\n" + "=" * 50)
    print("🔍 AgentOps Span Validation Results")
    print("=" * 50)
    if result.get("validation_skipped"):
        print(f"⚠️  Validation skipped: {result.get('reason', 'unknown reason')}")
        return
    print(f"Trace: {result.get('trace_id')}")
    print(f"✅ Found {result.get('span_count', 0)} span(s) in the trace")
    names = result.get("llm_span_names") or []
    if result.get("has_llm_spans"):
        print(f"✅ Found LLM spans: {', '.join(names) if names else '(from token usage)'}")
    else:
        print("⚠️  No LLM spans found")
    metrics = result.get("metrics") or {}
    if metrics:
        print("\n📊 Trace Metrics:")
        print(f"   - Total tokens: {metrics.get('total_tokens', 0)}")
        print(f"   - Prompt tokens: {metrics.get('prompt_tokens', 0)}")
        print(f"   - Completion tokens: {metrics.get('completion_tokens', 0)}")
        print(f"   - Total cost: {usd(float(metrics.get('total_cost') or 0))}")
    print("\n✅ Validation successful!")
