"""Paired measurement: subject and baseline batches alternated in one process, so drift cancels.

`paired(subject, baseline, rounds, calls)` runs `rounds` rounds; in each, one batch of `calls` calls
of each (the order alternating), timed in CPU time of the whole process (the export thread's work
counts, as in bench/). It returns the medians of the per-call times and of the per-round ratios.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cases"))

TOOL_ARGS = ("refund policy for duplicate charges",)
TOOL_KWARGS = {"limit": 5}


def search(query: str, limit: int = 5) -> dict[str, Any]:
    """The tool every case wraps (as bench/cases/_harness.search)."""
    return {"query": query, "hits": [f"doc-{i}" for i in range(3)], "limit": limit}


def _batch(
    call: Callable[[], Any], calls: int, clock: Callable[[], int], around: Callable[[], Any] | None, scale: float
) -> float:
    scope = around() if around is not None else contextlib.nullcontext()
    with scope:
        start = clock()
        for _ in range(calls):
            call()
        return (clock() - start) / calls / 1000 / scale


def paired(
    subject: Callable[[], Any],
    baseline: Callable[[], Any],
    rounds: int = 20,
    calls: int = 2000,
    clock: Callable[[], int] = time.process_time_ns,
    around: tuple[Callable[[], Any] | None, Callable[[], Any] | None] = (None, None),
    scale: float = 1.0,
) -> dict[str, float]:
    """Medians (us per call) of both, of the per-round ratios subject/baseline and differences.

    `around`: context managers (subject's, baseline's) each batch runs in, untimed (a session);
    `scale`: what one call counts for (200 chunks: microseconds per chunk).
    """

    def s_batch() -> float:
        return _batch(subject, calls, clock, around[0], scale)

    def b_batch() -> float:
        return _batch(baseline, calls, clock, around[1], scale)

    s_batch(), b_batch()  # warm-up
    ours, bare, ratios, added = [], [], [], []
    for i in range(rounds):
        if i % 2:
            b, s = b_batch(), s_batch()
        else:
            s, b = s_batch(), b_batch()
        ours.append(s), bare.append(b), ratios.append(s / b), added.append(s - b)
    return {
        "ours_us": round(statistics.median(ours), 2),
        "bare_us": round(statistics.median(bare), 2),
        "ratio": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "added_us": round(statistics.median(added), 2),
    }


def report(case: str, **fields: Any) -> None:
    print(json.dumps({"case": case, **fields}), flush=True)
