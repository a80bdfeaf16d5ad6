"""Bare OpenTelemetry SDK set-ups shared by the workers that run in the project's venv."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from _harness import search
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from agentops_otel import semconv as sc


class DropExporter(SpanExporter):
    """Counts spans and keeps none: the export cost is the same (zero) for every case."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def dropping_provider(**kwargs: Any) -> tuple[TracerProvider, DropExporter]:
    provider = TracerProvider(**kwargs)
    exporter = DropExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, exporter


def init_ours(provider: TracerProvider) -> None:
    """Our pipeline on the given provider: no local store, no LLM instrumentation, no OTLP."""
    import agentops_otel

    agentops_otel.init(tracer_provider=provider, store=False, instrument_llm=False)


def bare_tool_call(tracer: Any, session_id: str) -> Callable[[], Any]:
    """What a hand-instrumented tool call costs: a current span, 8 attributes by set_attribute,
    arguments and result serialised as JSON."""
    query, limit = "refund policy for duplicate charges", 5

    def call() -> Any:
        with tracer.start_as_current_span("execute_tool search") as span:
            span.set_attribute(sc.SESSION_ID, session_id)
            span.set_attribute(sc.AGENTOPS_SPAN_TYPE, "tool")
            span.set_attribute(sc.GEN_AI_OPERATION_NAME, "execute_tool")
            span.set_attribute(sc.GEN_AI_TOOL_NAME, "search")
            span.set_attribute(sc.GEN_AI_TOOL_TYPE, "function")
            span.set_attribute(sc.GEN_AI_TOOL_DESCRIPTION, "search the help centre")
            span.set_attribute(sc.GEN_AI_TOOL_CALL_ARGUMENTS, json.dumps({"query": query, "limit": limit}))
            result = search(query, limit=limit)
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, json.dumps(result))
            return result

    return call


def bare_tool_call_start_attributes(tracer: Any, session_id: str) -> Callable[[], Any]:
    """The same span with its attributes passed at start (one dict instead of 8 calls)."""
    query, limit = "refund policy for duplicate charges", 5

    def call() -> Any:
        attrs = {
            sc.SESSION_ID: session_id,
            sc.AGENTOPS_SPAN_TYPE: "tool",
            sc.GEN_AI_OPERATION_NAME: "execute_tool",
            sc.GEN_AI_TOOL_NAME: "search",
            sc.GEN_AI_TOOL_TYPE: "function",
            sc.GEN_AI_TOOL_DESCRIPTION: "search the help centre",
            sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"query": query, "limit": limit}),
        }
        with tracer.start_as_current_span("execute_tool search", attributes=attrs) as span:
            result = search(query, limit=limit)
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, json.dumps(result))
            return result

    return call


def init_ours_llm(provider: TracerProvider) -> None:
    """Our pipeline with the OpenAI/Anthropic instrumentation on, no local store, no OTLP."""
    import agentops_otel

    agentops_otel.init(tracer_provider=provider, store=False, instrument_llm=True)
