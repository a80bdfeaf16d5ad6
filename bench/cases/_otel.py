"""Bare OpenTelemetry SDK set-ups shared by the workers that run in the project's venv."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from _harness import TOOL_ARGS, TOOL_KWARGS, search
from _shapes import shapes
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class DropExporter(SpanExporter):
    """Counts spans and keeps none: the export cost is the same (zero) for every case."""

    def __init__(self) -> None:
        self.count = 0
        self.keys: dict[str, frozenset[str]] = {}  # span name -> attribute keys of the last one seen

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        for span in spans[-4:]:
            self.keys[span.name] = frozenset(span.attributes or ())
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

    agentops_otel.init(tracer_provider=provider, store=False, instrument_llm=False, auto_start_session=False)


def bare_call(tracer: Any, session_id: str, shape: dict[str, Any], *, at_start: bool = False) -> Callable[[], Any]:
    """What a hand-instrumented call costs: a current span with exactly the attributes our decorator
    records (`_shapes`), arguments and result serialised as JSON; set one by one by set_attribute, or
    (`at_start`) all but the result passed to start_span at once."""
    query, limit = TOOL_ARGS[0], TOOL_KWARGS["limit"]
    name, static = shape["name"], dict(shape["static"])
    arguments, result_key, session_key = shape["arguments"], shape["result"], shape["session_id"]

    def call() -> Any:
        with tracer.start_as_current_span(name) as span:
            span.set_attribute(session_key, session_id)
            for key, value in static.items():
                span.set_attribute(key, value)
            span.set_attribute(arguments, json.dumps({"query": query, "limit": limit}))
            result = search(query, limit=limit)
            span.set_attribute(result_key, json.dumps(result))
            return result

    def call_at_start() -> Any:
        attrs = {session_key: session_id, **static, arguments: json.dumps({"query": query, "limit": limit})}
        with tracer.start_as_current_span(name, attributes=attrs) as span:
            result = search(query, limit=limit)
            span.set_attribute(result_key, json.dumps(result))
            return result

    return call_at_start if at_start else call


def bare_tool_call(tracer: Any, session_id: str, *, at_start: bool = False) -> Callable[[], Any]:
    return bare_call(tracer, session_id, shapes()["tool"], at_start=at_start)


def init_ours_llm(provider: TracerProvider) -> None:
    """Our pipeline with the OpenAI/Anthropic instrumentation on, no local store, no OTLP."""
    import agentops_otel

    agentops_otel.init(tracer_provider=provider, store=False, instrument_llm=True, auto_start_session=False)
