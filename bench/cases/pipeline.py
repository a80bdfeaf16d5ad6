"""Pipeline stages on their own: the cost processor on LLM spans and on tool spans, the compatibility
keys (AGENTOPS_OTEL_COMPAT=all) on both, and the local store's write rate.

Values: CPU microseconds per span (with and without CostProcessor, with and without the keys); spans
written per CPU second (`wall`: per second of wall time, which includes the disk).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from _harness import emit, per_call, run_variant, scaled

SPANS, BATCHES = scaled(2_000, 300), scaled(7, 3)
STORE_BATCH, STORE_BATCHES = 512, scaled(40, 4)


def _llm_span_call(provider: Any) -> Any:
    """Start and end one GenAI chat span with usage, inside an open session root."""
    from opentelemetry import trace

    from agentops_otel import semconv as sc

    tracer = provider.get_tracer("bench")
    session_id = str(uuid.uuid4())
    root = tracer.start_span("session bench", attributes={sc.SESSION_ID: session_id})
    parent = trace.set_span_in_context(root)
    attributes = {
        sc.SESSION_ID: session_id,
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
        sc.GEN_AI_USAGE_INPUT_TOKENS: 1200,
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: 85,
        sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 256,
    }

    def call() -> None:
        tracer.start_span("chat gpt-4o-mini", context=parent, attributes=attributes).end()

    return call, root


def _tool_span_call(provider: Any) -> Any:
    """Start and end one tool span of ours with content, inside an open session root."""
    from opentelemetry import trace

    from agentops_otel import semconv as sc

    tracer = provider.get_tracer("bench")
    session_id = str(uuid.uuid4())
    root = tracer.start_span("session bench", attributes={sc.SESSION_ID: session_id, sc.AGENTOPS_SPAN_TYPE: "session"})
    parent = trace.set_span_in_context(root)
    attributes = {
        sc.SESSION_ID: session_id,
        sc.AGENTOPS_SPAN_TYPE: "tool",
        sc.GEN_AI_OPERATION_NAME: "execute_tool",
        sc.GEN_AI_TOOL_NAME: "search",
        sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"query": "refund policy", "limit": 5}',
        sc.GEN_AI_TOOL_CALL_RESULT: '{"hits": ["doc-1", "doc-2", "doc-3"]}',
    }

    def call() -> None:
        tracer.start_span("execute_tool search", context=parent, attributes=attributes).end()

    return call, root


def llm_spans(with_cost: bool, compat: bool = False, spans: Any = _llm_span_call) -> None:
    from _otel import DropExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    exporter = DropExporter()
    batch = BatchSpanProcessor(exporter)
    provider = TracerProvider()
    if with_cost:
        from agentops_otel.cost import CostProcessor

        extra = None
        if compat:
            from agentops_otel._compat import CompatKeys

            extra = CompatKeys(frozenset({"openinference", "langfuse"}))
        provider.add_span_processor(CostProcessor([batch], extra_keys=extra))
    else:
        provider.add_span_processor(batch)
    call, root = spans(provider)
    emit(**per_call(call, SPANS, BATCHES), unit="us/span")
    root.end()
    provider.shutdown()


def _tool_spans(count: int) -> list[Any]:
    """Finished spans shaped like real steps: a session root's children with content attributes."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentops_otel import semconv as sc

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    session_id = str(uuid.uuid4())
    with tracer.start_as_current_span("session bench", attributes={sc.SESSION_ID: session_id}):
        for i in range(count - 1):
            attributes = {
                sc.SESSION_ID: session_id,
                sc.AGENTOPS_SPAN_TYPE: "tool",
                sc.GEN_AI_OPERATION_NAME: "execute_tool",
                sc.GEN_AI_TOOL_NAME: "search",
                sc.GEN_AI_TOOL_CALL_ARGUMENTS: f'{{"query": "refund policy {i}", "limit": 5}}',
                sc.GEN_AI_TOOL_CALL_RESULT: '{"hits": ["doc-1", "doc-2", "doc-3"]}',
            }
            tracer.start_span("execute_tool search", attributes=attributes).end()
    return list(memory.get_finished_spans())


def store_write() -> None:
    """Spans handed to the LocalStoreProcessor as the pipeline hands them (on_end in the application's
    thread), then flushed: the processor's queue, its writer thread, conversion and SQLite, all counted."""
    from agentops_otel.store import LocalStoreExporter, LocalStoreProcessor

    spans = _tool_spans(STORE_BATCH * STORE_BATCHES)
    exporter = LocalStoreExporter(os.path.join(os.getcwd(), "bench.db"))
    processor = LocalStoreProcessor(exporter)
    processor.on_end(spans[0])  # the file and schema are created on the first write: not measured
    processor.force_flush()
    cpu, wall = time.process_time(), time.perf_counter()
    for span in spans[1:]:
        processor.on_end(span)
    processor.force_flush()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    processor.shutdown()
    if exporter.exported_spans != len(spans):
        raise SystemExit(f"the store took {exporter.exported_spans} of {len(spans)} spans")
    written = len(spans) - 1
    emit(value=written / cpu, unit="spans/s", wall=round(written / wall), spans=written)


if __name__ == "__main__":
    run_variant(
        {
            "llm-spans-plain": lambda: llm_spans(False),
            "llm-spans-cost": lambda: llm_spans(True),
            "llm-spans-compat": lambda: llm_spans(True, compat=True),
            "tool-spans-plain": lambda: llm_spans(False, spans=_tool_span_call),
            "tool-spans-cost": lambda: llm_spans(True, spans=_tool_span_call),
            "tool-spans-compat": lambda: llm_spans(True, compat=True, spans=_tool_span_call),
            "store-write": store_write,
        }
    )
