"""Judging targets and printing results: a plain-text block per benchmark and a markdown table."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

import _envs
from _table import Benchmark, Target

if TYPE_CHECKING:
    from run import Result


def judge(target: Target, medians: dict[str, float | None]) -> tuple[float, bool] | None:
    """(the compared figure, met?) or None when a measure it needs has no value."""
    subject = medians.get(target.subject)
    baseline = medians.get(target.baseline) if target.baseline else None
    if subject is None or (target.baseline and baseline is None):
        return None
    if target.kind == "ratio<=":
        figure = subject / baseline
        return figure, figure <= target.limit
    if target.kind == "faster>=":
        figure = baseline / subject
        return figure, figure >= target.limit
    if target.kind == "added<=":
        figure = (subject - baseline) / target.per
        return figure, figure <= target.limit
    if target.kind == "<=":
        return subject, subject <= target.limit
    if target.kind == ">=":
        return subject, subject >= target.limit
    raise ValueError(f"unknown target kind {target.kind!r}")


def _num(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _figure(target: Target, figure: float) -> str:
    if target.kind in ("ratio<=", "faster>="):
        return f"{figure:.2f}x"
    return f"{_num(figure)} {target.unit}".strip()


def _medians(results: list[Result]) -> dict[str, float | None]:
    return {r.measure.key: r.median for r in results}


def _baseline_of(bench: Benchmark) -> str | None:
    # A ratio of ratios (paired: ours against a peer) names no baseline for the table's ratio column.
    return next((t.baseline for t in bench.targets if t.baseline and t.kind != "faster>="), None)


def _measure_cells(bench: Benchmark, result: Result, medians: dict[str, float | None]) -> tuple[str, str, str]:
    """(median with unit, spread, ratio to the benchmark's baseline)."""
    if result.skipped:
        return f"skipped: {result.skipped}", "", ""
    if not result.values:
        return "failed: " + ("; ".join(result.notes) or "no value"), "", ""
    median = result.median or 0.0
    spread = f"{_num(min(result.values))}..{_num(max(result.values))}" if len(result.values) > 1 else ""
    baseline = _baseline_of(bench)
    base = medians.get(baseline) if baseline else None
    comparable = result.measure.key != baseline and not result.measure.variant.startswith("added")
    ratio = f"{median / base:.2f}x" if base and comparable else ""
    return f"{_num(median)} {result.unit}", spread, ratio


def _typical(values: list[Any]) -> Any:
    """The median of a figure over the runs (the last value when it is not a number)."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        median = statistics.median(values)
        return int(median) if float(median).is_integer() else round(median, 3)
    return values[-1]


def _extras(result: Result) -> str:
    shown = {k: _typical(v) for k, v in result.extras.items()}
    notes = "; ".join(dict.fromkeys(result.notes))
    text = ", ".join(f"{k}={v}" for k, v in shown.items())
    return "; ".join(part for part in (text, notes) if part)


def render_text(bench: Benchmark | None, results: Any) -> str:
    if bench is None:
        return _footprint_text(results)
    medians = _medians(results)
    lines = [f"\n== {bench.name}: {bench.title}"]
    for result in results:
        value, spread, ratio = _measure_cells(bench, result, medians)
        extra = _extras(result)
        lines.append(
            f"  {result.measure.key:<22} {value:<18} {ratio:>7}  {spread:<18} {extra}".rstrip()
            if not value.startswith(("skipped", "failed"))
            else f"  {result.measure.key:<22} {value}"
        )
    for target in bench.targets:
        verdict = judge(target, medians)
        if verdict is None:
            lines.append(f"  target {target.text}: not measured")
        else:
            figure, met = verdict
            lines.append(f"  target {target.text}: {_figure(target, figure)} -> {'MET' if met else 'MISSED'}")
    return "\n".join(lines)


def footprint(peers: bool) -> dict[str, Any]:
    """Installed size (MB of site-packages) of each environment; peers only with --peers."""
    sizes: dict[str, Any] = {}
    for name, spec in _envs.ENVS.items():
        if spec.is_peer and not peers:
            continue
        try:
            path = _envs.ensure(name, _envs.CACHE / f"{name}.log")
        except _envs.EnvUnavailable as exc:
            sizes[name] = {"skipped": str(exc)}
            continue
        sizes[name] = {
            "mb": round(_envs.site_packages_bytes(path) / 1e6, 1),
            "version": _envs.installed_version(name),
            "requirements": " ".join(spec.requirements if name != "agentops-otel" else ("this checkout",)),
        }
    return sizes


def _footprint_text(sizes: dict[str, Any]) -> str:
    lines = ["\n== footprint: installed size of site-packages in a fresh venv"]
    for name, entry in sizes.items():
        if "skipped" in entry:
            lines.append(f"  {name:<22} skipped: {entry['skipped']}")
        else:
            lines.append(f"  {name:<22} {entry['mb']:>7.1f} MB   {entry['version']:<10} {entry['requirements']}")
    return "\n".join(lines)


def render_markdown(
    sections: list[tuple[Benchmark, list[Result]]],
    sizes: dict[str, Any] | None,
    info: dict[str, str],
    command: str,
    elapsed: float,
) -> str:
    out = [
        f"Command: `{command}` ({elapsed:.0f} s)",
        "",
        "Machine and versions: " + "; ".join(f"{k} {v}" for k, v in info.items()),
        "",
        "| benchmark | measure | median | spread | vs baseline | notes |",
        "|---|---|---|---|---|---|",
    ]
    for bench, results in sections:
        medians = _medians(results)
        for i, result in enumerate(results):
            value, spread, ratio = _measure_cells(bench, result, medians)
            name = bench.name if i == 0 else ""
            about = result.measure.about
            extra = _extras(result)
            notes = f"{about}; {extra}" if extra else about
            out.append(f"| {name} | {result.measure.key} | {value} | {spread} | {ratio} | {notes} |")
    out += ["", "| benchmark | target | measured | verdict |", "|---|---|---|---|"]
    for bench, results in sections:
        medians = _medians(results)
        for target in bench.targets:
            verdict = judge(target, medians)
            if verdict is None:
                out.append(f"| {bench.name} | {target.text} | not measured | |")
            else:
                figure, met = verdict
                out.append(
                    f"| {bench.name} | {target.text} | {_figure(target, figure)} | {'met' if met else 'MISSED'} |"
                )
    if sizes:
        out += ["", "| environment | site-packages | version | installed |", "|---|---|---|---|"]
        for name, entry in sizes.items():
            if "skipped" in entry:
                out.append(f"| {name} | skipped: {entry['skipped']} | | |")
            else:
                out.append(f"| {name} | {entry['mb']:.1f} MB | {entry['version']} | {entry['requirements']} |")
    return "\n".join(out) + "\n"
