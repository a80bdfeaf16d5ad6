"""Paired: 8 threads each running sessions of 10 decorated tool calls, ours vs bare SDK spans (a root
span and 10 child spans with the same attributes), in every hash seed asked.

    .venv/bin/python bench/hot/threads.py [--seeds 0,1,2,3,4,5] [--rounds 12] [--sessions 30]

Each seed runs in its own process (PYTHONHASHSEED is read at start-up); within it, rounds of ours and
bare alternate. Reported: the median per-round ratio of our calls/s to the bare SDK's (>= 0.9 is the target).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

THREADS, STEPS = 8, 10


def _round(run_session: Any, sessions: int) -> float:
    """Calls per second of THREADS threads each running `sessions` sessions."""
    barrier = threading.Barrier(THREADS + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(sessions):
            run_session()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return THREADS * sessions * STEPS / (time.perf_counter() - start)


def measure(rounds: int, sessions: int) -> dict[str, Any]:
    from _hot import TOOL_ARGS, TOOL_KWARGS, search
    from _otel import init_ours
    from _providers import dropping_provider
    from steps import bare_start_call

    import agentops_otel
    from agentops_otel import semconv as sc

    bare_provider, _ = dropping_provider()
    ours_provider, exported = dropping_provider()
    init_ours(ours_provider)
    tracer = bare_provider.get_tracer("bench")
    decorated = agentops_otel.tool("search")(search)

    def ours() -> None:
        with agentops_otel.session("bench"):
            for _ in range(STEPS):
                decorated(*TOOL_ARGS, **TOOL_KWARGS)

    def bare() -> None:
        sid = str(uuid.uuid4())
        call = bare_start_call(tracer, sid, "tool")
        with tracer.start_as_current_span("session bench", attributes={sc.SESSION_ID: sid}):
            for _ in range(STEPS):
                call()

    _round(ours, sessions), _round(bare, sessions)  # warm-up
    ratios, ours_rate, bare_rate = [], [], []
    for i in range(rounds):
        if i % 2:
            b, o = _round(bare, sessions), _round(ours, sessions)
        else:
            o, b = _round(ours, sessions), _round(bare, sessions)
        ratios.append(o / b), ours_rate.append(o), bare_rate.append(b)
    ours_provider.force_flush()
    if not exported.count:
        raise SystemExit("nothing was exported")
    return {
        "ratio": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ours_calls_s": round(statistics.median(ours_rate)),
        "bare_calls_s": round(statistics.median(bare_rate)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2,3,4,5")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cases"))
        print(json.dumps(measure(args.rounds, args.sessions)), flush=True)
        return
    for seed in args.seeds.split(","):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, __file__, "--worker", f"--rounds={args.rounds}", f"--sessions={args.sessions}"]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        print(json.dumps({"case": "threads", "seed": int(seed), **json.loads(out.splitlines()[-1])}), flush=True)


if __name__ == "__main__":
    main()
