"""Every common GenAI convention reads the same live (through the cost processor, into the local store)
and from an OTLP JSON file: the same steps, tokens, cost and end state (issue 20).

The runs are `tests/_convention_shapes.py`: one small agent run per convention, emitted through a real
SDK tracer as each instrumentation shapes its spans. The cost they must come to is what genai-prices
computes through its public API for the model and tokens the spans report, plus any cost the
instrumentation recorded for a model genai-prices does not know.
"""

from __future__ import annotations

import json
from dataclasses import astuple
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv as sc
from agentops_otel.cost import CostProcessor, Pricer, price_records
from agentops_otel.model import Session, SpanRecord, build_sessions, from_readable_span
from agentops_otel.sources import open_source
from agentops_otel.store import LocalStoreExporter
from tests._convention_shapes import SHAPES, S, Shape, emit, ticks

START = 1_760_000_000_000_000_000


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer()


def expected_cost(shape: Shape) -> float:
    at = datetime.fromtimestamp(START / 1e9, tz=UTC)
    total = Decimal(repr(shape.recorded_usd))
    for provider_id, model, (inp, out, cache_read, cache_write, reasoning) in shape.priced:
        usage = genai_prices.Usage(
            input_tokens=inp,
            output_tokens=out,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            output_reasoning_tokens=reasoning,
        )
        total += genai_prices.calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=at).total_price
    return float(total)


def run(shape: Shape, pricer: Pricer | None = None) -> list[ReadableSpan]:
    """The spans of one run as an exporter gets them: raw, or behind our cost processor."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    exporter = SimpleSpanProcessor(memory)
    provider.add_span_processor(exporter if pricer is None else CostProcessor([exporter], pricer=pricer))
    emit(provider, shape.root, ticks(START))
    return list(memory.get_finished_spans())


def live(shape: Shape, pricer: Pricer, store: Path) -> Session:
    """What `init(tracer_provider=...)` puts on the provider: our cost processor before the exporters."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(
        CostProcessor([SimpleSpanProcessor(memory), SimpleSpanProcessor(LocalStoreExporter(store))], pricer=pricer)
    )
    emit(provider, shape.root, ticks(START))
    provider.shutdown()
    (session,) = build_sessions(from_readable_span(s) for s in memory.get_finished_spans())
    return session


def otlp_file(spans: list[ReadableSpan], path: Path) -> Path:
    """The spans as the Collector's file exporter writes them: one TracesData per line, protobuf JSON."""
    path.write_text(json.dumps(MessageToDict(encode_spans(spans))) + "\n")
    return path


def check(session: Session, shape: Shape) -> None:
    assert [(s.kind, s.name) for s in session.steps] == shape.steps
    assert astuple(session.usage) == shape.usage
    assert session.llm_calls == shape.llm_calls
    assert session.end_state == shape.end_state
    expected = expected_cost(shape)
    if shape.cost_known:
        assert session.cost == pytest.approx(expected, rel=1e-12, abs=1e-15)
    else:
        assert session.cost is None and session.unpriced_steps
    assert session.cost_lower_bound == pytest.approx(expected, rel=1e-12, abs=1e-15)
    for name, (params, returns) in shape.contents.items():
        (step,) = [s for s in session.steps if s.name == name]
        assert (step.params, step.returns) == (params, returns), name


@pytest.mark.parametrize("shape", SHAPES, ids=[s.convention for s in SHAPES])
def test_a_convention_reads_the_same_live_from_the_store_and_from_an_otlp_file(
    shape: Shape, pricer: Pricer, tmp_path: Path
) -> None:
    store = tmp_path / "traces.db"
    recorded = live(shape, pricer, store)
    file_source = open_source(f"file:{otlp_file(run(shape), tmp_path / 'traces.jsonl')}")
    (listed_in_file,) = file_source.sessions()
    from_file = file_source.session(listed_in_file.trace_id)
    from_store = open_source(f"store:{store}")
    check(recorded, shape)
    check(from_file, shape)
    check(from_store.session(recorded.trace_id), shape)
    (listed,) = from_store.sessions()  # the store lists another instrumentation's trace, totals included
    assert (listed.llm_calls, astuple(listed.usage)[:4], listed.end_state) == (
        shape.llm_calls,
        shape.usage[:4],
        shape.end_state,
    )
    assert listed.cost_complete is shape.cost_known
    assert (listed.cost or 0.0) == pytest.approx(expected_cost(shape) if shape.cost_known else 0.0, abs=1e-15)


def test_recorded_costs_name_their_source_and_openlit_zero_is_not_a_price(pricer: Pricer) -> None:
    llm = {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: "openai", sc.GEN_AI_REQUEST_MODEL: "my-ft"}
    usage = {sc.GEN_AI_USAGE_INPUT_TOKENS: 10, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 1}
    cases = {
        "openlit": {**llm, **usage, sc.TELEMETRY_SDK_NAME: "openlit", sc.GEN_AI_USAGE_COST: 0.002},
        "openlit-zero": {**llm, **usage, sc.TELEMETRY_SDK_NAME: "openlit", sc.GEN_AI_USAGE_COST: 0},
        "pydantic": {**llm, **usage, sc.OPERATION_COST: 0.0},  # pydantic-ai's 0 is genai-prices' own answer
        "known-model": {**llm, **usage, sc.GEN_AI_REQUEST_MODEL: "gpt-4o", sc.GEN_AI_USAGE_COST: 99.0},
    }
    records = [
        SpanRecord("1" * 32, f"{i:016x}", None, name, START, START + 1, attributes=attrs)
        for i, (name, attrs) in enumerate(cases.items())
    ]
    priced = {r.name: r.attributes for r in price_records(records, pricer)}
    assert priced["openlit"][sc.AGENTOPS_COST_USD] == 0.002
    assert priced["openlit"][sc.AGENTOPS_COST_SOURCE] == "recorded by the instrumentation (gen_ai.usage.cost)"
    assert sc.AGENTOPS_COST_INPUT_USD not in priced["openlit"]  # a recorded total does not split
    assert priced["openlit-zero"][sc.AGENTOPS_COST_STATUS] == "unpriced"
    assert "unknown model 'my-ft'" in priced["openlit-zero"][sc.AGENTOPS_COST_UNPRICED_REASON]
    assert priced["pydantic"][sc.AGENTOPS_COST_STATUS] == "priced" and priced["pydantic"][sc.AGENTOPS_COST_USD] == 0
    assert priced["known-model"][sc.AGENTOPS_COST_SOURCE].startswith("genai-prices")  # ours first, theirs ignored
    assert priced["known-model"][sc.AGENTOPS_COST_USD] < 1


def test_spans_priced_live_are_not_priced_again_on_read(pricer: Pricer, tmp_path: Path) -> None:
    spans = run(SHAPES[0], pricer)
    records = [from_readable_span(s) for s in spans]
    assert price_records(records, pricer) == records
    (session,) = build_sessions(records)
    assert session.cost == pytest.approx(expected_cost(SHAPES[0]), rel=1e-12)


CLIENT_SPAN = S(
    "anthropic.messages.create",
    {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: "anthropic",
        sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest",
    },
    {sc.GEN_AI_USAGE_INPUT_TOKENS: 27, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 8},
    scope="com.anthropic.sdk.python",
)


@pytest.mark.parametrize(
    "parent",
    [
        # Known at start: the client span is marked when it starts.
        S("chat", {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest"}),
        # OpenInference: only llm.* markers at start, the span kind at the end.
        S("messages.create", {sc.LLM_SYSTEM: "anthropic"}, {sc.OPENINFERENCE_SPAN_KIND: "LLM"}),
        # Known at no point before its own end: only the tree (read model) can tell.
        S("wrapper", {}, {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest"}),
    ],
    ids=["known-at-start", "openinference", "known-at-parent-end"],
)
@pytest.mark.parametrize("depth", [1, 2], ids=["child", "grandchild"])
def test_a_client_span_inside_an_llm_call_counts_once(parent: S, depth: int, pricer: Pricer) -> None:
    sid = {sc.SESSION_ID: "s"}  # as the pipeline stamps every span inside a session
    client = S(CLIENT_SPAN.name, {**CLIENT_SPAN.start, **sid}, CLIENT_SPAN.end)
    inner = client if depth == 1 else S("POST", {"http.request.method": "POST", **sid}, children=[client])
    # Both spans report the call's tokens, as every instrumentation's LLM span and the client's own do.
    call = S(parent.name, {**parent.start, **sid}, {**parent.end, **CLIENT_SPAN.end}, [inner])
    root = S("root", {sc.AGENTOPS_SPAN_TYPE: "session", sc.SESSION_ID: "s"}, children=[call])
    shape = Shape("nested", root, [], (0,) * 5, 0)
    read = build_sessions(from_readable_span(s) for s in run(shape))
    live_spans = run(shape, pricer)
    for (session,) in (read, build_sessions(from_readable_span(s) for s in live_spans)):
        assert session.llm_calls == 1
        assert session.usage.input_tokens == 27
        assert [s.kind for s in session.steps if s.span_name == "anthropic.messages.create"] == ["other"]
    totals = next(s.attributes for s in live_spans if s.name == "root")
    # Live, only a parent that says what it is before the client span ends can be seen in time.
    live_calls = 2 if parent.name == "wrapper" else 1
    assert totals[sc.AGENTOPS_SESSION_LLM_CALLS] == live_calls


def test_the_live_mark_is_decided_when_the_client_span_ends_too(pricer: Pricer) -> None:
    """The parent names itself an LLM call after its client span started and before it ended."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(CostProcessor([SimpleSpanProcessor(exporter)], pricer=pricer))
    tracer = provider.get_tracer("t")
    root = {sc.AGENTOPS_SPAN_TYPE: "session", sc.SESSION_ID: "s"}
    with (
        tracer.start_as_current_span("session", attributes=root),
        tracer.start_as_current_span("wrapper", attributes={sc.SESSION_ID: "s"}) as wrapper,
    ):
        client = tracer.start_span("anthropic.messages.create", attributes={**CLIENT_SPAN.start, sc.SESSION_ID: "s"})
        wrapper.set_attributes({sc.OPENINFERENCE_SPAN_KIND: "LLM", sc.LLM_TOKEN_COUNT_PROMPT: 27})
        client.set_attributes(CLIENT_SPAN.end)
        client.end()
    spans = {s.name: s.attributes for s in exporter.get_finished_spans()}
    assert spans["anthropic.messages.create"][sc.AGENTOPS_SPAN_TYPE] == "other"
    assert sc.AGENTOPS_COST_STATUS not in spans["anthropic.messages.create"]
    assert spans["session"][sc.AGENTOPS_SESSION_LLM_CALLS] == 1
    assert spans["session"][sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS] == 27


def test_pydantic_ai_tool_results_and_a_foreign_root_replay_as_they_read(pricer: Pricer, tmp_path: Path) -> None:
    from agentops_otel.replay import render_timeline
    from tests._convention_shapes import PYDANTIC_AI

    text = render_timeline(live(PYDANTIC_AI, pricer, tmp_path / "traces.db"), width=140)
    lines = text.splitlines()
    # The tool's result (pydantic-ai spells it `result`) is what the second call saw, not "None".
    assert 'Input: "sunny in Paris"' in text and "Input: None" not in text
    agent, call = (next(line for line in lines if marker in line) for marker in ("Agent: weather_agent", "LLM Call"))
    indent = len(call.split("LLM Call")[0]) - len(agent.split("Agent:")[0])
    assert indent == 2  # the foreign root is a step, its children one level in
