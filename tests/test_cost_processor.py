"""CostProcessor on a real SDK TracerProvider: priced copies, unpriced marks, session totals."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import genai_prices
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv as sc
from agentops_otel.cost import CostProcessor, Pricer
from agentops_otel.model import Usage, build_sessions, from_readable_span

COST_KEYS = {
    sc.AGENTOPS_COST_USD,
    sc.AGENTOPS_COST_INPUT_USD,
    sc.AGENTOPS_COST_OUTPUT_USD,
    sc.AGENTOPS_COST_STATUS,
    sc.AGENTOPS_COST_SOURCE,
    sc.AGENTOPS_COST_UNPRICED_REASON,
}


@pytest.fixture(autouse=True)
def _surface_our_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOPS_OTEL_DEBUG", "1")


class Pipeline:
    def __init__(self, cost: CostProcessor | None = None, **provider_options: Any) -> None:
        self.exporter = InMemorySpanExporter()
        self.cost = cost or CostProcessor([SimpleSpanProcessor(self.exporter)])
        self.provider = TracerProvider(**provider_options)
        self.provider.add_span_processor(self.cost)
        self.tracer = self.provider.get_tracer("tests.cost")

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def by_name(self, name: str) -> ReadableSpan:
        (span,) = [s for s in self.spans() if s.name == name]
        return span

    @contextmanager
    def session(self, session_id: str) -> Iterator[trace.Span]:
        # A session root starts a new trace, as the capture API does.
        attrs = {sc.AGENTOPS_SPAN_TYPE: "session", sc.SESSION_ID: session_id}
        with self.tracer.start_as_current_span(
            f"session {session_id}", context=otel_context.Context(), attributes=attrs
        ) as root:
            yield root

    @contextmanager
    def agent(self, session_id: str, name: str) -> Iterator[trace.Span]:
        attrs = {
            sc.AGENTOPS_SPAN_TYPE: "agent",
            sc.GEN_AI_OPERATION_NAME: "invoke_agent",
            sc.GEN_AI_AGENT_NAME: name,
            sc.SESSION_ID: session_id,
        }
        with self.tracer.start_as_current_span(f"invoke_agent {name}", attributes=attrs) as span:
            yield span

    def llm_call(
        self,
        session_id: str | None,
        model: str | None,
        usage: dict[str, Any] | None,
        provider: str = "openai",
        name: str | None = None,
        **extra: Any,
    ) -> None:
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: provider}
        if model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = model
        if session_id:
            attrs[sc.SESSION_ID] = session_id
        attrs.update(usage or {})
        attrs.update(extra)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        with self.tracer.start_as_current_span(name or f"chat {model}", kind=trace.SpanKind.CLIENT, attributes=attrs):
            pass


def tokens(
    input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0, reasoning: int = 0
) -> dict[str, int]:
    usage = {sc.GEN_AI_USAGE_INPUT_TOKENS: input_tokens, sc.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens}
    if cache_read:
        usage[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
    if cache_write:
        usage[sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_write
    if reasoning:
        usage[sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning
    return usage


def genai_prices_total(span: ReadableSpan, model: str, provider_id: str, usage: Usage) -> Decimal:
    """What genai-prices computes for this call, through its public API."""
    at = datetime.fromtimestamp(span.start_time / 1e9, tz=UTC)
    result = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            output_reasoning_tokens=usage.reasoning_tokens,
        ),
        model,
        provider_id=provider_id,
        genai_request_timestamp=at,
    )
    return result.total_price


def expected_cost(span: ReadableSpan, model: str, provider_id: str, usage: Usage) -> float:
    return float(genai_prices_total(span, model, provider_id, usage))


def exact_cost(span: ReadableSpan) -> Decimal:
    """genai-prices' figure for an LLM span, from the usage, model and provider on the span."""
    attrs = span.attributes
    usage = Usage(
        attrs[sc.GEN_AI_USAGE_INPUT_TOKENS],
        attrs[sc.GEN_AI_USAGE_OUTPUT_TOKENS],
        attrs.get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 0),
        attrs.get(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, 0),
        attrs.get(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 0),
    )
    provider = attrs[sc.GEN_AI_PROVIDER_NAME]
    provider_id = {"gcp.gemini": "google", "mistral_ai": "mistral"}.get(provider, provider)
    return genai_prices_total(span, attrs[sc.GEN_AI_REQUEST_MODEL], provider_id, usage)


def test_an_llm_span_reaches_downstream_as_a_priced_copy_of_itself() -> None:
    pipe = Pipeline()
    with pipe.tracer.start_as_current_span("parent"):
        pipe.llm_call(
            None,
            "claude-sonnet-4-20250514",
            tokens(12_000, 400, 10_000, 1_500),
            provider="anthropic",
            name="chat claude",
        )
    span = pipe.by_name("chat claude")
    parent = pipe.by_name("parent")
    attrs = span.attributes
    assert attrs[sc.AGENTOPS_COST_STATUS] == "priced"
    assert attrs[sc.AGENTOPS_COST_USD] == expected_cost(
        span, "claude-sonnet-4-20250514", "anthropic", Usage(12_000, 400, 10_000, 1_500)
    )
    assert attrs[sc.AGENTOPS_COST_INPUT_USD] + attrs[sc.AGENTOPS_COST_OUTPUT_USD] == pytest.approx(
        attrs[sc.AGENTOPS_COST_USD], rel=1e-12
    )
    assert attrs[sc.AGENTOPS_COST_SOURCE].startswith(f"genai-prices {genai_prices.__version__} (anthropic/")
    # Everything else is the span as it ended.
    assert (
        attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] == 12_000 and attrs[sc.GEN_AI_REQUEST_MODEL] == "claude-sonnet-4-20250514"
    )
    assert span.parent is not None and span.parent.span_id == parent.context.span_id
    assert span.context.trace_id == parent.context.trace_id
    assert span.kind is trace.SpanKind.CLIENT
    assert span.start_time is not None and span.end_time is not None and span.end_time >= span.start_time
    assert span.instrumentation_scope is not None and span.instrumentation_scope.name == "tests.cost"
    assert span.resource is pipe.provider.resource
    # Spans that are not LLM calls are handed on as they are.
    assert not COST_KEYS & set(parent.attributes)


def test_the_response_model_is_priced_before_the_requested_one() -> None:
    pipe = Pipeline()
    pipe.llm_call(None, "gpt-4o", tokens(1000, 100), **{sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18"})
    span = pipe.spans()[0]
    assert span.attributes[sc.AGENTOPS_COST_USD] == expected_cost(span, "gpt-4o-mini", "openai", Usage(1000, 100))
    assert "gpt-4o-mini" in span.attributes[sc.AGENTOPS_COST_SOURCE]


def test_old_usage_names_and_gen_ai_system_are_read() -> None:
    pipe = Pipeline()
    old = {sc.GEN_AI_USAGE_PROMPT_TOKENS: 700, sc.GEN_AI_USAGE_COMPLETION_TOKENS: 70, sc.GEN_AI_SYSTEM: "openai"}
    pipe.llm_call(None, "gpt-4o", old, provider=None)  # type: ignore[arg-type]
    span = pipe.spans()[0]
    assert span.attributes[sc.AGENTOPS_COST_USD] == expected_cost(span, "gpt-4o", "openai", Usage(700, 70))


@pytest.mark.parametrize(
    ("model", "usage", "reason"),
    [
        ("my-finetune-7b", tokens(100, 10), "unknown model 'my-finetune-7b'"),
        ("gpt-4o", None, "no token usage reported for gpt-4o"),
        (None, tokens(100, 10), "no model"),
        (
            "gpt-4o",
            {sc.GEN_AI_USAGE_INPUT_TOKENS: "many", sc.GEN_AI_USAGE_OUTPUT_TOKENS: 1},
            "gen_ai.usage.input_tokens='many'",
        ),
        ("gpt-4o", {sc.GEN_AI_USAGE_INPUT_TOKENS: -5}, "is not a token count"),
        ("gpt-4o", {sc.GEN_AI_USAGE_INPUT_TOKENS: float("inf")}, "inf is not a token count"),
        ("gpt-4o", {sc.GEN_AI_USAGE_INPUT_TOKENS: float("nan")}, "nan is not a token count"),
        ("gpt-4o", {sc.GEN_AI_USAGE_INPUT_TOKENS: 10.5}, "10.5 is not a token count"),
        ("gpt-4o", {sc.GEN_AI_USAGE_OUTPUT_TOKENS: True}, "output_tokens=True is not a token count"),
    ],
)
def test_an_llm_span_that_cannot_be_priced_is_marked_with_the_reason(
    model: str | None, usage: dict | None, reason: str
) -> None:
    pipe = Pipeline()
    with pipe.session("s-unpriced"):
        pipe.llm_call("s-unpriced", "gpt-4o", tokens(1000, 100), name="priced")
        pipe.llm_call("s-unpriced", model, usage, name="unpriced")
    unpriced = pipe.by_name("unpriced").attributes
    assert unpriced[sc.AGENTOPS_COST_STATUS] == "unpriced"
    assert reason in unpriced[sc.AGENTOPS_COST_UNPRICED_REASON]
    assert sc.AGENTOPS_COST_USD not in unpriced
    root = pipe.by_name("session s-unpriced").attributes
    assert root[sc.AGENTOPS_SESSION_COST_COMPLETE] is False
    assert root[sc.AGENTOPS_SESSION_COST_USD] == pipe.by_name("priced").attributes[sc.AGENTOPS_COST_USD]
    assert root[sc.AGENTOPS_SESSION_LLM_CALLS] == 2
    # The read model says the same: no total, a lower bound, and which step is unpriced.
    (session,) = build_sessions(from_readable_span(s) for s in pipe.spans())
    assert session.cost is None and not session.cost_complete
    assert session.cost_lower_bound == root[sc.AGENTOPS_SESSION_COST_USD]
    assert [s.span_name for s in session.unpriced_steps] == ["unpriced"]


def test_agent_tool_and_plain_spans_are_not_priced_even_with_usage_on_them() -> None:
    pipe = Pipeline()
    with pipe.session("s-kinds"), pipe.agent("s-kinds", "planner") as agent:
        agent.set_attributes(tokens(5000, 500))  # some frameworks sum their children onto the agent
        with pipe.tracer.start_as_current_span(
            "execute_tool lookup", attributes={sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.SESSION_ID: "s-kinds"}
        ):
            pass
        pipe.llm_call("s-kinds", "gpt-4o", tokens(5000, 500))
    for name in ("invoke_agent planner", "execute_tool lookup"):
        assert not COST_KEYS & set(pipe.by_name(name).attributes), name
    root = pipe.by_name("session s-kinds").attributes
    assert root[sc.AGENTOPS_SESSION_LLM_CALLS] == 1
    assert root[sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS] == 5000


def test_an_undeclared_span_that_reports_usage_is_priced_and_counted_as_an_llm_step() -> None:
    pipe = Pipeline()
    with pipe.session("s-bare"):
        attrs = {
            sc.GEN_AI_SYSTEM: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.SESSION_ID: "s-bare",
            **tokens(300, 30),
        }
        with pipe.tracer.start_as_current_span("openai.chat", attributes=attrs):
            pass
    span = pipe.by_name("openai.chat")
    assert span.attributes[sc.AGENTOPS_COST_STATUS] == "priced"
    assert span.attributes[sc.AGENTOPS_SPAN_TYPE] == "llm"
    (session,) = build_sessions(from_readable_span(s) for s in pipe.spans())
    assert session.llm_calls == 1 and session.cost == span.attributes[sc.AGENTOPS_COST_USD]


CALLS = [
    ("openai", "gpt-4o-2024-08-06", (1200, 300, 1024, 0, 0)),
    ("openai", "o3-mini", (900, 2000, 0, 0, 1500)),
    ("anthropic", "claude-sonnet-4-20250514", (12_000, 400, 10_000, 1_500, 0)),
    ("gcp.gemini", "gemini-2.5-flash", (3000, 700, 2000, 0, 0)),
    ("mistral_ai", "mistral-large-latest", (2000, 400, 0, 0, 0)),
]


def test_session_totals_equal_the_sum_over_nested_agents_and_parallel_calls() -> None:
    pipe = Pipeline()
    session_id = "s-parallel"

    def worker(parent: otel_context.Context, index: int) -> None:
        token = otel_context.attach(parent)  # threads start with an empty context
        try:
            provider, model, counts = CALLS[index % len(CALLS)]
            with pipe.agent(session_id, f"worker-{index}"):
                for repeat in range(10):
                    pipe.llm_call(session_id, model, tokens(*(c + repeat for c in counts)), provider=provider)
        finally:
            otel_context.detach(token)

    with pipe.session(session_id), pipe.agent(session_id, "orchestrator"), pipe.agent(session_id, "planner"):
        pipe.llm_call(session_id, "gpt-4o", tokens(100, 10))
        parent = otel_context.get_current()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(worker, [parent] * 16, range(16)))

    llm_spans = [s for s in pipe.spans() if s.attributes.get(sc.GEN_AI_OPERATION_NAME) == "chat"]
    assert len(llm_spans) == 1 + 16 * 10
    root = pipe.by_name(f"session {session_id}").attributes
    assert root[sc.AGENTOPS_SESSION_LLM_CALLS] == len(llm_spans)
    assert root[sc.AGENTOPS_SESSION_COST_COMPLETE] is True
    for key, usage_key in [
        (sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS, sc.GEN_AI_USAGE_INPUT_TOKENS),
        (sc.AGENTOPS_SESSION_USAGE_OUTPUT_TOKENS, sc.GEN_AI_USAGE_OUTPUT_TOKENS),
        (sc.AGENTOPS_SESSION_USAGE_CACHE_READ_TOKENS, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
        (sc.AGENTOPS_SESSION_USAGE_CACHE_WRITE_TOKENS, sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS),
    ]:
        assert root[key] == sum(s.attributes.get(usage_key, 0) for s in llm_spans), key
    span_costs = [s.attributes[sc.AGENTOPS_COST_USD] for s in llm_spans]
    assert root[sc.AGENTOPS_SESSION_COST_USD] == pytest.approx(math.fsum(span_costs), rel=1e-12)
    # Exactly: the nearest float to the exact sum of what genai-prices charges for each call.
    exact = sum(exact_cost(s) for s in llm_spans)
    assert root[sc.AGENTOPS_SESSION_COST_USD] == float(exact)
    (session,) = build_sessions(from_readable_span(s) for s in pipe.spans())
    assert session.cost == pytest.approx(root[sc.AGENTOPS_SESSION_COST_USD], rel=1e-12)
    assert session.llm_calls == root[sc.AGENTOPS_SESSION_LLM_CALLS]
    assert session.usage.input_tokens == root[sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS]
    assert session.usage.cache_read_tokens == root[sc.AGENTOPS_SESSION_USAGE_CACHE_READ_TOKENS]
    assert pipe.cost.open_sessions == 0


def test_concurrent_sessions_keep_their_own_totals() -> None:
    pipe = Pipeline()

    def run(index: int) -> None:
        session_id = f"s-{index}"
        with pipe.session(session_id):
            for _ in range(index + 1):
                pipe.llm_call(session_id, "gpt-4o", tokens(1000, 100))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(run, range(12)))
    one_call = next(s for s in pipe.spans() if s.name == "chat gpt-4o").attributes[sc.AGENTOPS_COST_USD]
    for index in range(12):
        root = pipe.by_name(f"session s-{index}").attributes
        assert root[sc.AGENTOPS_SESSION_LLM_CALLS] == index + 1
        assert root[sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS] == 1000 * (index + 1)
        assert root[sc.AGENTOPS_SESSION_COST_USD] == pytest.approx(one_call * (index + 1), rel=1e-12)


def test_a_session_without_llm_calls_has_zero_complete_totals() -> None:
    pipe = Pipeline()
    with pipe.session("s-empty"):
        pass
    root = pipe.spans()[0].attributes
    assert root[sc.AGENTOPS_SESSION_LLM_CALLS] == 0
    assert root[sc.AGENTOPS_SESSION_COST_USD] == 0.0
    assert root[sc.AGENTOPS_SESSION_COST_COMPLETE] is True


def test_open_sessions_are_bounded_and_a_late_call_does_not_reopen_a_session(caplog: pytest.LogCaptureFixture) -> None:
    pipe = Pipeline(CostProcessor([SimpleSpanProcessor(InMemorySpanExporter())], max_open_sessions=3))
    with caplog.at_level(logging.WARNING, logger="agentops_otel.cost"):
        for index in range(5):  # roots that never end
            pipe.llm_call(f"lost-{index}", "gpt-4o", tokens(10, 1))
    assert pipe.cost.open_sessions == 3
    assert "more than 3 sessions" in caplog.text

    with pipe.session("done"):
        pipe.llm_call("done", "gpt-4o", tokens(10, 1))  # evicts lost-1, then closes
    assert pipe.cost.open_sessions == 2
    pipe.llm_call("done", "gpt-4o", tokens(10, 1))  # e.g. a leaked thread, after the root ended
    assert pipe.cost.open_sessions == 2


def test_dropped_attribute_and_event_counts_survive_the_copy() -> None:
    pipe = Pipeline(span_limits=SpanLimits(max_span_attributes=8, max_events=1))
    attrs = {f"app.extra.{i}": i for i in range(6)}  # the oldest are dropped at the limit
    with pipe.tracer.start_as_current_span(
        "chat gpt-4o",
        attributes={**attrs, sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_REQUEST_MODEL: "gpt-4o", **tokens(10, 1)},
    ) as span:
        span.add_event("one")
        span.add_event("two")
    copied = pipe.spans()[0]
    assert copied.attributes[sc.AGENTOPS_COST_STATUS] == "priced"
    assert copied.dropped_attributes == 2
    assert copied.dropped_events == 1
    assert [e.name for e in copied.events] == ["two"]


class _Recording(SpanProcessor):
    def __init__(self) -> None:
        self.started: list[str] = []
        self.ending: list[str] = []
        self.flushed: list[int] = []
        self.shut = False

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.started.append(span.name)

    def _on_ending(self, span: Any) -> None:
        self.ending.append(span.name)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.flushed.append(timeout_millis)
        return True

    def shutdown(self) -> None:
        self.shut = True


def test_start_ending_flush_and_shutdown_reach_every_downstream_processor() -> None:
    exporter = InMemorySpanExporter()
    first, second = _Recording(), _Recording()
    batch = BatchSpanProcessor(exporter, schedule_delay_millis=60_000)
    pipe = Pipeline(CostProcessor([first, batch, second]))
    pipe.llm_call(None, "gpt-4o", tokens(10, 1), name="call")
    assert first.started == second.started == ["call"]
    assert first.ending == second.ending == ["call"]
    assert pipe.cost.force_flush(5_000) is True
    assert [s.name for s in exporter.get_finished_spans()] == ["call"]
    assert exporter.get_finished_spans()[0].attributes[sc.AGENTOPS_COST_STATUS] == "priced"
    assert first.flushed and second.flushed and second.flushed[0] <= 5_000
    pipe.provider.shutdown()
    assert first.shut and second.shut
    pipe.llm_call(None, "gpt-4o", tokens(10, 1), name="after shutdown")
    assert [s.name for s in exporter.get_finished_spans()] == ["call"]


def test_downstream_must_be_span_processors() -> None:
    with pytest.raises(ValueError, match=r"span processors .* got InMemorySpanExporter"):
        CostProcessor([InMemorySpanExporter()])  # type: ignore[list-item]


class _DuckTyped:
    """A user's processor that does not subclass SpanProcessor (the SDK accepts those)."""

    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def test_a_duck_typed_downstream_processor_gets_priced_spans() -> None:
    duck = _DuckTyped()
    pipe = Pipeline(CostProcessor([duck]))  # type: ignore[list-item]
    pipe.llm_call(None, "gpt-4o", tokens(10, 1))
    assert [s.attributes[sc.AGENTOPS_COST_STATUS] for s in duck.ended] == ["priced"]


class _BrokenPricer(Pricer):
    def quote(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("pricing bug")


def test_our_own_bug_is_logged_and_the_span_passes_on_unchanged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AGENTOPS_OTEL_DEBUG")
    exporter = InMemorySpanExporter()
    pipe = Pipeline(CostProcessor([SimpleSpanProcessor(exporter)], pricer=_BrokenPricer()))
    with caplog.at_level(logging.WARNING, logger="agentops_otel.cost"):
        pipe.llm_call(None, "gpt-4o", tokens(10, 1), name="call")  # does not raise into the caller
    (span,) = exporter.get_finished_spans()
    assert span.name == "call" and not COST_KEYS & set(span.attributes)
    assert "pricing bug" in caplog.text


def test_our_own_bug_is_raised_when_debugging() -> None:
    pipe = Pipeline(CostProcessor([SimpleSpanProcessor(InMemorySpanExporter())], pricer=_BrokenPricer()))
    with pytest.raises(RuntimeError, match="pricing bug"):
        pipe.llm_call(None, "gpt-4o", tokens(10, 1))
