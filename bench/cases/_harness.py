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


def timed(call: Callable[[], Any], calls: int) -> tuple[int, int]:
    """(CPU ns, wall ns) of `calls` calls: the process's CPU, every thread."""
    cpu, wall = time.process_time_ns(), time.perf_counter_ns()
    for _ in range(calls):
        call()
    return time.process_time_ns() - cpu, time.perf_counter_ns() - wall


def alternate(
    subject: Callable[[int], tuple[int, int]],
    baseline: Callable[[int], tuple[int, int]],
    calls: int,
    rounds: int,
    scale: float = 1.0,
) -> dict[str, float]:
    """Subject and baseline batches alternated in one process (the order swapping every round), so
    that drift of a shared machine hits both alike. Each side is `batch(calls) -> (cpu_ns, wall_ns)`.

    `value` is the median over rounds of each round's subject/baseline CPU ratio; `subject` and
    `baseline` are the medians in microseconds per call (divided by `scale`), `wall` the ratio in
    wall time. One warm-up batch of each side first.
    """
    subject(calls), baseline(calls)
    ratios, wall_ratios, ours, bare = [], [], [], []
    for i in range(rounds):
        if i % 2:
            b, s = baseline(calls), subject(calls)
        else:
            s, b = subject(calls), baseline(calls)
        ratios.append(s[0] / b[0])
        wall_ratios.append(s[1] / b[1])
        ours.append(s[0] / calls / 1000 / scale)
        bare.append(b[0] / calls / 1000 / scale)
    return {
        "value": round(statistics.median(ratios), 4),
        "subject": round(statistics.median(ours), 3),
        "baseline": round(statistics.median(bare), 3),
        "spread": f"{min(ratios):.3f}..{max(ratios):.3f}",
        "wall": round(statistics.median(wall_ratios), 4),
    }


def rss_bytes() -> int:
    """Resident set size now (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss_bytes() -> int:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: in a process started from a
    big one that carries the parent's peak across exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# Runs the CLI and, at its exit, writes its own peak RSS (VmHWM) to the file BENCH_PEAK_FILE names.
_CLI = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        peak = next((int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:")), 0)
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(str(peak))
atexit.register(_peak)
sys.argv = ["agentops-otel", *sys.argv[1:]]
runpy.run_module("agentops_otel.cli", run_name="__main__")
"""


def run_cli(args: list[str], stdout_path: str, timeout_s: float = 600) -> dict[str, Any]:
    """`agentops-otel ARGS` in a fresh process, its output to `stdout_path`: the child's CPU seconds
    (from wait4, interpreter start-up included), wall seconds, peak RSS in MB and exit status."""
    import subprocess

    peak_file = stdout_path + ".peak"
    env = {**os.environ, "BENCH_PEAK_FILE": peak_file}
    wall = time.perf_counter()
    with open(stdout_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", _CLI, *args], stdout=out, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        err = proc.stderr.read()  # until the child closes it at exit
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - wall
    try:
        with open(peak_file) as file:
            peak = int(file.read() or 0)
    except OSError:
        peak = 0
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_mb": peak / 1e6,
        "returncode": proc.returncode,
        "stderr": err.decode("utf-8", "replace")[-500:],
    }


def search(query: str, limit: int = 5) -> dict[str, Any]:
    """The tool every tool-call benchmark wraps: small arguments, a small structured result."""
    return {"query": query, "hits": [f"doc-{i}" for i in range(3)], "limit": limit}


TOOL_ARGS = ("refund policy for duplicate charges",)
TOOL_KWARGS = {"limit": 5}
