"""Paired: the cost processor's on_start + on_end on an LLM span (priced, session totals) and on a tool
span, vs a processor that does nothing, both handing spans to the same no-op downstream.

    .venv/bin/python bench/hot/cost.py [--rounds 20] [--calls 5000]
"""

from __future__ import annotations

import argparse
import uuid

from _hot import paired, report
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from agentops_otel import semconv as sc
from agentops_otel.cost import CostProcessor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    tracer = TracerProvider().get_tracer("bench")
    session_id = str(uuid.uuid4())
    llm = tracer.start_span(
        "chat gpt-4o-mini",
        attributes={
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 812,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 96,
            sc.SESSION_ID: session_id,
        },
    )
    llm.end()
    tool = tracer.start_span(
        "execute_tool search",
        attributes={sc.AGENTOPS_SPAN_TYPE: "tool", sc.GEN_AI_TOOL_NAME: "search", sc.SESSION_ID: session_id},
    )
    tool.end()
    cost = CostProcessor([SpanProcessor()])
    cost.pricer.warm_up()
    nothing = SpanProcessor()

    for label, span in (("cost-llm", llm), ("cost-tool", tool)):

        def ours(span=span) -> None:  # type: ignore[no-untyped-def]
            cost.on_start(span, None)
            cost.on_end(span)

        def bare(span=span) -> None:  # type: ignore[no-untyped-def]
            nothing.on_start(span, None)
            nothing.on_end(span)

        report(label, unit="us/span", **paired(ours, bare, args.rounds, args.calls))


if __name__ == "__main__":
    main()
