"""What every benchmark worker process shares. Standard library only: peers' venvs import it too.

A worker is `python bench/cases/NAME.py VARIANT`; it prints one line `BENCH {json}` with its value
(`{"value": 12.3}`, extra fields allowed) or `{"skipped": "why"}`, which bench/run.py reads.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

QUICK = os.environ.get("BENCH_QUICK") == "1"


def emit(**fields: Any) -> None:
    print("BENCH " + json.dumps(fields), flush=True)


def skip(reason: str) -> NoReturn:
    emit(skipped=reason)
    sys.exit(0)


def run_variant(variants: dict[str, Callable[[], None]]) -> None:
    """Dispatch on argv[1]; an ImportError of a module that has not landed becomes a skip."""
    if len(sys.argv) != 2 or sys.argv[1] not in variants:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(variants)}}}")
    try:
        variants[sys.argv[1]]()
    except ImportError as exc:
        skip(f"{exc.name or exc} is not available ({exc})")


def scaled(full: int, quick: int) -> int:
    return quick if QUICK else full


def per_call(
    call: Callable[[], Any], calls: int, batches: int, warmup: int | None = None, scale: float = 1.0
) -> dict[str, float]:
    """Median over `batches` of the cost of one call, in microseconds / `scale`.

    `value` is CPU time of the whole process (every thread, so a background exporter's work counts):
    on a shared machine it barely moves with the load, unlike wall time, which is reported as `wall`.
    """
    for _ in range(calls if warmup is None else warmup):
        call()
    cpu, wall = [], []
    for _ in range(batches):
        cpu_start, wall_start = time.process_time_ns(), time.perf_counter_ns()
        for _ in range(calls):
            call()
        cpu.append((time.process_time_ns() - cpu_start) / calls / 1000 / scale)
        wall.append((time.perf_counter_ns() - wall_start) / calls / 1000 / scale)
    return {"value": statistics.median(cpu), "wall": round(statistics.median(wall), 3)}


def rss_bytes() -> int:
    """Resident set size now (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def search(query: str, limit: int = 5) -> dict[str, Any]:
    """The tool every tool-call benchmark wraps: small arguments, a small structured result."""
    return {"query": query, "hits": [f"doc-{i}" for i in range(3)], "limit": limit}


TOOL_ARGS = ("refund policy for duplicate charges",)
TOOL_KWARGS = {"limit": 5}
