"""CostProcessor prices spans of another instrumentation: the official opentelemetry-instrumentation-openai-v2,
driving the real openai client against the loopback LLM server."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import genai_prices
import openai
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel import semconv as sc
from agentops_otel.cost import CostProcessor
from agentops_otel.model import build_sessions, from_readable_span
from agentops_otel.testing.llm_server import ErrorReply, LLMServer, Reply


@pytest.fixture(autouse=True)
def _surface_our_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOPS_OTEL_DEBUG", "1")


class _SessionStamp(SpanProcessor):
    """Copies `session.id` from the parent span, as our pipeline stamps it inside a session."""

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        parent = trace.get_current_span(parent_context)
        session_id = getattr(parent, "attributes", {}).get(sc.SESSION_ID)
        if session_id is not None:
            span.set_attribute(sc.SESSION_ID, session_id)


class Traced:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(_SessionStamp())
        self.provider.add_span_processor(CostProcessor([SimpleSpanProcessor(self.exporter)]))

    def llm_spans(self) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.attributes.get(sc.GEN_AI_OPERATION_NAME)]


@pytest.fixture(scope="module")
def traced() -> Iterator[Traced]:
    try:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    except ImportError as exc:
        pytest.fail(
            f"opentelemetry-instrumentation-openai-v2 cannot be imported ({exc}); its 2.4b0 release needs "
            "httpx and opentelemetry-util-genai<1.2 (pip install httpx 'opentelemetry-util-genai==1.1b0')"
        )
    pipeline = Traced()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.provider)
    try:
        yield pipeline
    finally:
        instrumentor.uninstrument()


@pytest.fixture
def server(traced: Traced) -> Iterator[LLMServer]:
    traced.exporter.clear()
    with LLMServer() as running:
        yield running


@pytest.fixture
def client(server: LLMServer) -> Iterator[openai.OpenAI]:
    with server.openai_client() as oai:
        yield oai


def genai_prices_total(span: ReadableSpan, provider_id: str = "openai") -> float:
    """What genai-prices computes for the usage and model the instrumentation put on the span."""
    attrs = span.attributes
    usage = genai_prices.Usage(
        input_tokens=attrs[sc.GEN_AI_USAGE_INPUT_TOKENS],
        output_tokens=attrs.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 0),
        cache_read_tokens=attrs.get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 0),
    )
    at = datetime.fromtimestamp(span.start_time / 1e9, tz=UTC)
    model = attrs.get(sc.GEN_AI_RESPONSE_MODEL) or attrs[sc.GEN_AI_REQUEST_MODEL]
    return float(genai_prices.calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=at).total_price)


def test_a_chat_completion_span_of_openai_v2_is_priced(
    traced: Traced, server: LLMServer, client: openai.OpenAI
) -> None:
    server.queue(Reply(text="billing", model="gpt-4o-2024-08-06", input_tokens=1200, output_tokens=30))
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "charged twice"}])
    (span,) = traced.llm_spans()
    attrs = span.attributes
    assert attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] == 1200 and attrs[sc.GEN_AI_RESPONSE_MODEL] == "gpt-4o-2024-08-06"
    assert attrs[sc.AGENTOPS_COST_STATUS] == "priced"
    assert attrs[sc.AGENTOPS_COST_USD] == genai_prices_total(span)
    assert "openai/gpt-4o" in attrs[sc.AGENTOPS_COST_SOURCE]


def test_a_streamed_completion_and_an_embedding_are_priced(
    traced: Traced, server: LLMServer, client: openai.OpenAI
) -> None:
    server.queue(Reply(text="one two three", model="gpt-4o-mini-2024-07-18", input_tokens=900, output_tokens=3))
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "one two three"
    client.embeddings.create(model="text-embedding-3-small", input=["refund policy for duplicate charges"])
    chat, embedding = sorted(traced.llm_spans(), key=lambda s: s.start_time or 0)
    assert chat.attributes[sc.AGENTOPS_COST_USD] == genai_prices_total(chat)
    assert embedding.attributes[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert embedding.attributes[sc.AGENTOPS_COST_STATUS] == "priced"
    assert embedding.attributes[sc.AGENTOPS_COST_USD] == genai_prices_total(embedding)


def test_a_model_genai_prices_does_not_know_and_a_failed_call_are_flagged(
    traced: Traced, server: LLMServer, client: openai.OpenAI
) -> None:
    server.queue(Reply(text="hi", model="my-local-llama"), ErrorReply(500))
    client.chat.completions.create(model="my-local-llama", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    unknown, failed = sorted(traced.llm_spans(), key=lambda s: s.start_time or 0)
    assert unknown.attributes[sc.AGENTOPS_COST_STATUS] == "unpriced"
    assert "unknown model 'my-local-llama'" in unknown.attributes[sc.AGENTOPS_COST_UNPRICED_REASON]
    assert failed.attributes[sc.AGENTOPS_COST_STATUS] == "unpriced"
    assert "no token usage" in failed.attributes[sc.AGENTOPS_COST_UNPRICED_REASON]


def test_calls_from_parallel_threads_roll_up_to_their_session(traced: Traced, server: LLMServer) -> None:
    tracer = traced.provider.get_tracer("tests.cost")
    attrs = {sc.AGENTOPS_SPAN_TYPE: "session", sc.SESSION_ID: "s-openai-v2"}

    def ask(parent: otel_context.Context, index: int) -> None:
        token = otel_context.attach(parent)
        try:
            with server.openai_client() as oai:
                for turn in range(3):
                    content = " ".join(["word"] * (index * 10 + turn + 1))
                    oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": content}])
        finally:
            otel_context.detach(token)

    with tracer.start_as_current_span("session", context=otel_context.Context(), attributes=attrs):
        parent = otel_context.get_current()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(ask, [parent] * 4, range(4)))

    llm = traced.llm_spans()
    assert len(llm) == 12 and all(s.attributes[sc.SESSION_ID] == "s-openai-v2" for s in llm)
    (root,) = [s for s in traced.exporter.get_finished_spans() if s.name == "session"]
    totals = root.attributes
    assert totals[sc.AGENTOPS_SESSION_LLM_CALLS] == 12
    assert totals[sc.AGENTOPS_SESSION_COST_COMPLETE] is True
    assert totals[sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS] == sum(
        s.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] for s in llm
    )
    assert totals[sc.AGENTOPS_SESSION_COST_USD] == pytest.approx(sum(genai_prices_total(s) for s in llm), rel=1e-12)
    (session,) = build_sessions(from_readable_span(s) for s in traced.exporter.get_finished_spans())
    assert session.cost == pytest.approx(totals[sc.AGENTOPS_SESSION_COST_USD], rel=1e-12)
