"""In-process pipeline for capture tests: recording in memory only (no store, no LLM instrumentation)."""

import agentops_otel


def ensure_pipeline() -> None:
    agentops_otel.init(store=False, instrument_llm=False)
