"""Run the benchmarks of issue 9 and print medians and ratios against baselines from the same run.

    python bench/run.py                  # every benchmark, 5 repetitions (about 5 minutes on 2 cores)
    python bench/run.py --quick          # one short repetition of each: proves the suite works
    python bench/run.py --peers          # also AgentOps 0.4, Traceloop and OpenLIT, in their own venvs
    python bench/run.py --only tool-call --only startup --repeat 9
    python bench/run.py --headline --peers --repeat 3   # the paired run and the hot path (~10 minutes)
    python bench/run.py --markdown bench/results.md --json results.json

Every measurement is a fresh process; repetitions are interleaved so that drift on a shared machine
hits subject and baseline alike. Absolute times are noise: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent / "cases"))

import _envs
from _report import footprint, render_markdown, render_text
from _shapes import shapes
from _sink import Sink
from _table import BENCHMARKS, HEADLINE, Benchmark, Measure

CASES = Path(__file__).resolve().parent / "cases"
TIMEOUT_S = 600


@dataclass
class Result:
    measure: Measure
    values: list[float] = field(default_factory=list)
    extras: dict[str, list[Any]] = field(default_factory=dict)  # other figures a worker reported, per run
    unit: str = ""
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def _worker_env(measure: Measure, quick: bool, sink: Sink | None) -> dict[str, str]:
    # The user's own OpenTelemetry settings must not leak into a measurement.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    if measure.env is not None:
        env = _envs.offline_env(env)
        env["BENCH_SHAPES"] = json.dumps(shapes())  # a peer's venv has no agentops_otel to read them from
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["BENCH_QUICK"] = "1" if quick else "0"
    if sink is not None:
        env["BENCH_SINK"] = sink.url
    return env


def run_once(measure: Measure, python: str, quick: bool, sink: Sink | None, result: Result) -> None:
    """One fresh process; its BENCH line goes into `result` (a crash becomes a note, not an abort)."""
    with tempfile.TemporaryDirectory(prefix="agentops-bench-") as workdir:
        posts_before = sink.trace_posts() if sink is not None else 0
        try:
            proc = subprocess.run(
                [python, str(CASES / f"{measure.script}.py"), measure.variant],
                cwd=workdir,
                env=_worker_env(measure, quick, sink),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            result.notes.append(f"timed out after {TIMEOUT_S} s")
            return
    lines = [line[6:] for line in proc.stdout.splitlines() if line.startswith("BENCH ")]
    report = json.loads(lines[-1]) if lines else {}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        result.notes.append(f"exit {proc.returncode}: {last[:300]}")
    if "skipped" in report:
        result.skipped = report["skipped"]
        return
    if "value" not in report:
        if not result.notes:
            result.notes.append("no result line")
        return
    if sink is not None and not measure.variant.endswith("-store") and sink.trace_posts() == posts_before:
        result.notes.append("no span reached the sink")
    result.values.append(float(report.pop("value")))
    result.unit = report.pop("unit", "")
    for key, value in report.items():
        result.extras.setdefault(key, []).append(value)


def _python_for(measure: Measure, peers: bool, result: Result) -> str | None:
    if measure.env is None:
        return sys.executable
    if not peers:
        result.skipped = "peer (run with --peers)"
        return None
    try:
        return str(_envs.ensure(measure.env, _envs.CACHE / f"{measure.env}.log") / "bin" / "python")
    except _envs.EnvUnavailable as exc:
        result.skipped = str(exc)
        return None


def run_benchmark(bench: Benchmark, repeat: int, quick: bool, peers: bool) -> list[Result]:
    results = [Result(m) for m in bench.measures]
    pythons = [_python_for(r.measure, peers, r) for r in results]
    runs = 1 if quick else max(1, round(repeat * bench.repeat_factor))
    sink = Sink() if bench.needs_sink else None
    if sink is not None:
        sink.__enter__()
    try:
        for rep in range(runs):
            order = list(range(len(results)))
            order = order[rep % len(order) :] + order[: rep % len(order)]  # rotate: no fixed position
            for i in order:
                if pythons[i] is not None and results[i].skipped is None:
                    run_once(results[i].measure, pythons[i], quick, sink, results[i])
    finally:
        if sink is not None:
            sink.__exit__(None, None, None)
    return results


def machine() -> dict[str, str]:
    from importlib import metadata

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "agentops-opentelemetry": version("agentops-opentelemetry"),
        "opentelemetry-sdk": version("opentelemetry-sdk"),
        "openai": version("openai"),
        "git": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=CASES
        ).stdout.strip(),
    }


def main(argv: list[str] | None = None) -> int:
    names = [b.name for b in BENCHMARKS] + ["footprint"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short run of each case (CI smoke)")
    parser.add_argument("--peers", action="store_true", help="also measure AgentOps, Traceloop, OpenLIT")
    parser.add_argument("--only", action="append", choices=names, metavar="NAME", help=", ".join(names))
    parser.add_argument(
        "--headline",
        action="store_true",
        help="the paired measures and threads, with the separate-process hot-path cases beside them: "
        + ", ".join(HEADLINE),
    )
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per measure (default 5)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--markdown", type=Path, help="also write a markdown results table here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    selected = [*(args.only or ()), *(HEADLINE if args.headline else ())] or [
        n for n in names if n != "footprint" or not args.quick
    ]
    started = time.monotonic()
    info = machine()
    print(" | ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    sections: list[tuple[Benchmark, list[Result]]] = []
    for bench in BENCHMARKS:
        if bench.name in selected:
            results = run_benchmark(bench, args.repeat, args.quick, args.peers)
            sections.append((bench, results))
            print(render_text(bench, results), flush=True)
    sizes = footprint(args.peers) if "footprint" in selected else None
    if sizes is not None:
        print(render_text(None, sizes), flush=True)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    elapsed = time.monotonic() - started
    print(f"done in {elapsed:.0f} s", flush=True)
    if args.markdown:
        args.markdown.write_text(render_markdown(sections, sizes, info, command.strip(), elapsed))
    if args.json:
        raw = {
            "machine": info,
            "command": command.strip(),
            "benchmarks": {
                b.name: {
                    r.measure.key: {
                        "values": r.values,
                        "unit": r.unit,
                        "skipped": r.skipped,
                        "notes": r.notes,
                        **r.extras,
                    }
                    for r in rs
                }
                for b, rs in sections
            },
            "footprint": sizes,
        }
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
