"""The benchmark command still works: one quick run of a few cases end to end, never judged on time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from _report import judge  # noqa: E402
from _table import BENCHMARKS, Target  # noqa: E402

# One benchmark per worker script the project's venv runs: paired, spans, sessions, pipeline, readback.
SMOKE = ("paired", "tool-call", "session", "cost", "otlp-reader")


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )


def test_quick_run_measures_every_local_case_and_judges_every_target(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    markdown = tmp_path / "results.md"
    only = [arg for name in SMOKE for arg in ("--only", name)]
    proc = _run("--quick", *only, "--json", str(out), "--markdown", str(markdown), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())["benchmarks"]
    assert sorted(results) == sorted(SMOKE)
    for bench in BENCHMARKS:
        if bench.name not in SMOKE:
            continue
        for measure in bench.measures:
            entry = results[bench.name][measure.key]
            if measure.env is not None:  # peers need --peers
                assert entry["skipped"] == "peer (run with --peers)"
            else:
                assert entry["skipped"] is None and len(entry["values"]) == 1, (measure.key, entry)
                assert entry["values"][0] > 0
        for target in bench.targets:
            assert f"target {target.text}:" in proc.stdout
    table = markdown.read_text()
    assert "| benchmark | target | measured | verdict |" in table
    assert "footprint" not in results  # installs venvs: never in quick mode unless asked


@pytest.mark.parametrize("args", [("--repeat", "0"), ("--only", "no-such-benchmark")])
def test_bad_arguments_exit_2_with_a_message(args: tuple[str, ...], tmp_path: Path) -> None:
    proc = _run(*args, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "error:" in proc.stderr


@pytest.mark.parametrize(
    ("kind", "limit", "subject", "baseline", "figure", "met"),
    [
        ("ratio<=", 1.0, 90.0, 100.0, 0.9, True),
        ("ratio<=", 1.0, 110.0, 100.0, 1.1, False),
        ("faster>=", 2.5, 40.0, 100.0, 2.5, True),
        ("faster>=", 2.5, 50.0, 100.0, 2.0, False),
        ("added<=", 3.0, 3.5, 1.0, 2.5, True),
        ("added<=", 3.0, 5.0, 1.0, 4.0, False),
    ],
)
def test_targets_compare_subject_with_baseline(
    kind: str, limit: float, subject: float, baseline: float, figure: float, met: bool
) -> None:
    verdict = judge(Target("t", kind, limit, "s", "b"), {"s": subject, "b": baseline})
    assert verdict is not None
    assert verdict[0] == pytest.approx(figure)
    assert verdict[1] is met


def test_added_per_chunk_divides_and_missing_measures_are_not_judged() -> None:
    per_chunk = Target("t", "added<=", 5.0, "s", "b", per=400)
    assert judge(per_chunk, {"s": 3000.0, "b": 1000.0}) == (5.0, True)
    assert judge(per_chunk, {"s": 3000.0, "b": None}) is None
    assert judge(Target("t", ">=", 20_000, "s"), {"s": 19_999.0}) == (19_999.0, False)
