"""The redaction pass: one content attribute's text, and the net over a whole ended span (tool
arguments and results new each time, as in an agent; names, ids and models repeat).

Values: CPU microseconds per call. Texts are a support conversation in our content format (GenAI
messages as JSON): 2 KB (a normal prompt), 16 KB (a long history, the default content limit), and
2 KB holding a key and a password (the rules run, not only their hints). A fresh text per call: the
cache of short repeated values does not apply to content.
"""

from __future__ import annotations

import json
from typing import Any

from _harness import emit, per_call, run_variant, scaled

CALLS, BATCHES = scaled(2_000, 200), scaled(7, 3)
_TURN = (
    "I was charged twice for my order A-1002 last week. Can you refund the duplicate payment? "
    "My account email is ada@example.com and the order was placed on the 12th. Thanks, Ada. "
)


def _messages(size: int, extra: str = "") -> str:
    turns, role = [], "user"
    while sum(len(t["parts"][0]["content"]) for t in turns) < size:
        turns.append({"role": role, "parts": [{"type": "text", "content": _TURN * 3}]})
        role = "assistant" if role == "user" else "user"
    turns[0]["parts"][0]["content"] = extra + turns[0]["parts"][0]["content"]
    return json.dumps(turns)[:size]


def _texts(text: str) -> Any:
    # Distinct string objects of equal content, as every span brings its own.
    copies = [text[:-1] + chr(ord("a") + i % 26) for i in range(64)]
    index = iter(range(1 << 62))
    return lambda: copies[next(index) % 64]


def text(size: int, extra: str = "") -> None:
    from agentops_otel._redact import DEFAULT

    next_text = _texts(_messages(size, extra))
    emit(**per_call(lambda: DEFAULT.text(next_text()), CALLS, BATCHES), unit="us/call")


def net_on_spans(kind: str) -> None:
    """`redacted()` over ended spans as the pipeline hands them on: a tool step, or an LLM call."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentops_otel import semconv as sc
    from agentops_otel._redact import DEFAULT
    from agentops_otel._redact_spans import redacted

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    session_id = "5b0e3c9e-5f3c-4f6e-9d55-0c0ffee00000"
    count = 5_000 if kind == "tool" else 64  # more tool spans than the cache of short values holds
    for i in range(count):
        if kind == "tool":
            attributes = {
                sc.SESSION_ID: session_id,
                sc.AGENTOPS_SPAN_TYPE: "tool",
                sc.GEN_AI_OPERATION_NAME: "execute_tool",
                sc.GEN_AI_TOOL_NAME: "search",
                sc.GEN_AI_TOOL_CALL_ARGUMENTS: f'{{"query":"refund policy for duplicate charges {i}","limit":5}}',
                sc.GEN_AI_TOOL_CALL_RESULT: f'{{"query":"refund {i}","hits":["doc-0","doc-1","doc-2"],"limit":5}}',
            }
        else:
            attributes = {
                sc.SESSION_ID: session_id,
                sc.GEN_AI_OPERATION_NAME: "chat",
                sc.GEN_AI_PROVIDER_NAME: "openai",
                sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                sc.GEN_AI_RESPONSE_ID: f"chatcmpl-{i:06d}",
                sc.GEN_AI_USAGE_INPUT_TOKENS: 1200,
                sc.GEN_AI_USAGE_OUTPUT_TOKENS: 85,
                sc.GEN_AI_INPUT_MESSAGES: _messages(2_000, str(i)),
                sc.GEN_AI_OUTPUT_MESSAGES: _messages(600, str(i)),
            }
        tracer.start_span("execute_tool search" if kind == "tool" else "chat gpt-4o-mini", attributes=attributes).end()
    spans = list(memory.get_finished_spans())
    index = iter(range(1 << 62))
    emit(**per_call(lambda: redacted(spans[next(index) % count], DEFAULT), CALLS, BATCHES), unit="us/span")


if __name__ == "__main__":
    run_variant(
        {
            "prompt-2k": lambda: text(2_000),
            "history-16k": lambda: text(16_384),
            "prompt-2k-with-credentials": lambda: text(
                2_000, " my key is sk-proj-AbCdEf0123456789abcdefXYZ and DB_PASSWORD=hunter2"
            ),
            "net-tool-span": lambda: net_on_spans("tool"),
            "net-llm-span": lambda: net_on_spans("llm"),
        }
    )
