"""8 threads, each running sessions of 10 decorated tool calls, against 8 threads running the same
shape with bare SDK spans: phases alternated in one process, under one PYTHONHASHSEED per variant
(the recorder's lock made the ratio bimodal with the seed: 0.25-0.59x).

Value: the median over rounds of ours / bare calls per second (wall time: contention shows there);
`ours_cps`, `bare_cps` the medians, `ours_cpu_us`, `bare_cpu_us` CPU per call.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from _harness import TOOL_ARGS, TOOL_KWARGS, emit, scaled, search

THREADS, STEPS = 8, 10
PHASE_S, ROUNDS = scaled(1.5, 0.3), scaled(5, 2)


def _phase(session: Callable[[], None]) -> tuple[float, float]:
    """(calls per second, CPU us per call) of THREADS threads running `session` for PHASE_S."""
    stop = threading.Event()
    counts = [0] * THREADS

    def work(i: int) -> None:
        while not stop.is_set():
            session()
            counts[i] += STEPS

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    cpu, wall = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(PHASE_S)
    stop.set()
    for thread in threads:
        thread.join()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    calls = sum(counts)
    return calls / wall, cpu / calls * 1e6


def main(seed: str) -> None:
    from _otel import bare_tool_call, dropping_provider, init_ours

    import agentops_otel
    from agentops_otel import semconv as sc

    provider, exporter = dropping_provider()
    init_ours(provider)
    decorated = agentops_otel.record_tool("search")(search)

    def ours() -> None:
        with agentops_otel.session("bench"):
            for _ in range(STEPS):
                decorated(*TOOL_ARGS, **TOOL_KWARGS)

    bare_provider, _ = dropping_provider()
    tracer = bare_provider.get_tracer("bench")

    def bare() -> None:
        session_id = str(uuid.uuid4())
        call = bare_tool_call(tracer, session_id)
        with tracer.start_as_current_span("session bench", attributes={sc.SESSION_ID: session_id}):
            for _ in range(STEPS):
                call()

    _phase(ours), _phase(bare)  # warm-up
    rows: list[tuple[Any, ...]] = []
    for i in range(ROUNDS):
        first, second = (ours, bare) if i % 2 == 0 else (bare, ours)
        a, b = _phase(first), _phase(second)
        rows.append((a, b) if first is ours else (b, a))
    ratios = [o[0] / b[0] for o, b in rows]
    agentops_otel.shutdown()
    if exporter.count == 0:
        raise SystemExit("nothing was exported: the benchmark measured no spans")
    emit(
        value=round(statistics.median(ratios), 3),
        unit="x",
        spread=f"{min(ratios):.2f}..{max(ratios):.2f}",
        ours_cps=round(statistics.median(o[0] for o, _ in rows)),
        bare_cps=round(statistics.median(b[0] for _, b in rows)),
        ours_cpu_us=round(statistics.median(o[1] for o, _ in rows), 1),
        bare_cpu_us=round(statistics.median(b[1] for _, b in rows), 1),
        seed=seed,
    )


if __name__ == "__main__":
    variant = sys.argv[1] if len(sys.argv) == 2 else ""
    if not variant.startswith("seed-") or not variant[5:].isdigit():
        sys.exit(f"usage: {sys.argv[0]} seed-N")
    seed = variant[5:]
    if os.environ.get("PYTHONHASHSEED") != seed:  # the hash seed is fixed at start-up: start again with it
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": seed})
    main(seed)
