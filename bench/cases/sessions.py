"""A session of 1 root + 100 tool steps, ours vs the same shape with bare SDK spans; and the resident
memory a long-running process gains over 10,000 sessions.

Values: milliseconds per session; megabytes of RSS growth.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from _harness import TOOL_ARGS, TOOL_KWARGS, emit, per_call, rss_bytes, run_variant, scaled, search

STEPS = 100
SESSIONS, BATCHES = scaled(20, 3), scaled(5, 3)
RSS_SESSIONS, RSS_STEPS = scaled(10_000, 1_000), 5


def _bare_session(steps: int) -> tuple[Callable[[], Any], Any]:
    import uuid

    from _otel import bare_tool_call, dropping_provider

    from agentops_otel import semconv as sc

    provider, _ = dropping_provider()
    tracer = provider.get_tracer("bench")

    def run() -> None:
        session_id = str(uuid.uuid4())
        call = bare_tool_call(tracer, session_id)
        with tracer.start_as_current_span("session bench") as root:
            root.set_attribute(sc.SESSION_ID, session_id)
            for _ in range(steps):
                call()

    return run, provider


def _our_session(steps: int) -> tuple[Callable[[], Any], Any]:
    from _otel import dropping_provider, init_ours

    import agentops_otel

    provider, _ = dropping_provider()
    init_ours(provider)
    decorated = agentops_otel.record_tool("search")(search)

    def run() -> None:
        with agentops_otel.session("bench"):
            for _ in range(steps):
                decorated(*TOOL_ARGS, **TOOL_KWARGS)

    return run, provider


def _time(factory: Callable[[int], tuple[Callable[[], Any], Any]]) -> None:
    run, provider = factory(STEPS)
    emit(**per_call(run, SESSIONS, BATCHES, warmup=3, scale=1000), unit="ms/session")
    provider.shutdown()


def _rss(factory: Callable[[int], tuple[Callable[[], Any], Any]]) -> None:
    """Growth from after a short warm-up to the end; `steady_mb` is the growth over the second half."""
    run, provider = factory(RSS_STEPS)

    def settled_rss() -> int:  # the export queue drained, garbage collected: only what is kept
        provider.force_flush()
        gc.collect()
        return rss_bytes()

    for _ in range(100):
        run()
    start = settled_rss()
    for i in range(RSS_SESSIONS):
        run()
        if i == RSS_SESSIONS // 2:
            middle = settled_rss()
    end = settled_rss()
    provider.shutdown()
    emit(
        value=(end - start) / 1e6,
        unit="MB",
        steady_mb=round((end - middle) / 1e6, 2),
        sessions=RSS_SESSIONS,
        steps=RSS_STEPS,
    )


if __name__ == "__main__":
    run_variant(
        {
            "bare": lambda: _time(_bare_session),
            "ours": lambda: _time(_our_session),
            "bare-rss": lambda: _rss(_bare_session),
            "ours-rss": lambda: _rss(_our_session),
        }
    )
