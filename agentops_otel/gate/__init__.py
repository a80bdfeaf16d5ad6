"""The CI gate's logic: measure sessions against thresholds (failure rate, cost, LLM calls), and pass
rates per group of runs (`measure_groups`: Wilson intervals, flaky and failing groups, trajectories).

`agentops-otel check` reads sessions from a source and calls `measure`; anything else that gates on
sessions (a pytest hook, a script) can call it the same way.

Failure rate is failed / ended sessions (open sessions are counted but not rated). A crashed session
(its process died before ending it) is a failure, and the detail says how many; `allow_crashed`
leaves crashed sessions out of the rate instead. Cost and LLM calls are
per-session statistics: `max`, `p95` (nearest rank), `mean`, or for cost also `total`. A session with an
LLM call that could not be priced has no known cost: the cost check then fails as unverifiable, unless
`allow_unpriced` measures the priced sessions only (the detail always says how many were left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .._format import usd
from .._states import CRASHED
from .._stats import STATS, statistic
from ..model import SessionSummary
from ._pass_rates import GROUP_BY, GroupedRates, GroupRate, group_keys, measure_groups
from ._read import name_matches, read_sessions
from ._render import render_groups


@dataclass(frozen=True)
class Measure:
    """One row of the report: a measured value against its threshold."""

    metric: str
    measured: float | None  # None when it cannot be known (no ended sessions, unpriced cost)
    threshold: float | None
    ok: bool
    detail: str = ""


def measure(
    sessions: Iterable[SessionSummary],
    *,
    max_failure_rate: float | None,
    max_cost: float | None,
    cost_stat: str,
    max_llm_calls: float | None,
    llm_calls_stat: str,
    allow_unpriced: bool,
    allow_crashed: bool = False,
) -> list[Measure]:
    """The rows for `sessions`, read once: any iterable (a source's stream of 100,000 sessions keeps
    only each one's cost and call count in memory)."""
    count = ended = failed = crashed = opened = 0
    priced: list[float] = []
    calls: list[float] = []
    for s in sessions:
        count += 1
        if s.end_state == CRASHED and allow_crashed:
            crashed += 1
        elif s.end_ns is not None or s.end_state is not None:
            ended += 1
            failed += s.failed
            crashed += s.end_state == CRASHED
        else:
            opened += 1
        if s.cost is not None and s.cost_complete:
            priced.append(s.cost)
        calls.append(float(s.llm_calls))
    rows = []
    rate = failed / ended if ended else None
    open_note = f", {opened} still open (not rated)" if opened else ""
    if crashed:
        open_note += f", {crashed} crashed" + (
            " (not rated: --allow-crashed)" if allow_crashed else " (counted as failed)"
        )
    rows.append(
        Measure(
            "failure rate",
            rate,
            max_failure_rate,
            max_failure_rate is None or (rate is not None and rate <= max_failure_rate),
            f"{failed} failed of {ended} ended{open_note}",
        )
    )
    unpriced = count - len(priced)
    cost = statistic(priced, cost_stat) if priced else None
    cost_metric = "total cost" if cost_stat == "total" else f"cost per session ({cost_stat})"
    if unpriced and not allow_unpriced:
        detail = f"{unpriced} session(s) have LLM calls that could not be priced: cost unknown"
        if cost is not None:
            detail += f" (the priced ones: {cost_stat} {usd(cost)})"
        rows.append(Measure(cost_metric, None, max_cost, max_cost is None, detail))
    else:
        detail = f"{len(priced)} priced sessions" + (f", {unpriced} unpriced left out" if unpriced else "")
        ok = max_cost is None or cost is None or cost <= max_cost
        rows.append(Measure(cost_metric, cost, max_cost, ok, detail))
    llm = statistic(calls, llm_calls_stat) if calls else None
    rows.append(
        Measure(
            f"LLM calls per session ({llm_calls_stat})",
            llm,
            max_llm_calls,
            max_llm_calls is None or llm is None or llm <= max_llm_calls,
            f"{int(sum(calls))} calls in {len(calls)} sessions",
        )
    )
    return rows


def _format(metric: str, value: float | None) -> str:
    if value is None:
        return "unknown"
    if metric.startswith("failure rate"):
        return f"{value:.1%}"
    if "cost" in metric:
        return usd(value)
    return f"{value:g}"


def render_table(rows: Sequence[Measure]) -> str:
    table = [("metric", "measured", "threshold", "result", "detail")]
    for row in rows:
        threshold = "-" if row.threshold is None else f"<= {_format(row.metric, row.threshold)}"
        result = "-" if row.threshold is None else ("ok" if row.ok else "BREACHED")
        table.append((row.metric, _format(row.metric, row.measured), threshold, result, row.detail))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in table)
    return "\n".join(line.rstrip() for line in lines)


__all__ = [
    "GROUP_BY",
    "STATS",
    "GroupRate",
    "GroupedRates",
    "Measure",
    "group_keys",
    "measure",
    "measure_groups",
    "name_matches",
    "read_sessions",
    "render_groups",
    "render_table",
    "statistic",
]
