"""`agentops-otel check`: a CI gate on recent sessions (failure rate, cost, LLM calls) from any source.

    agentops-otel check --source jaeger:http://127.0.0.1:16686 --service support-bot --since 24h \\
        --max-failure-rate 0.05 --max-cost 0.02 --cost-stat p95 --max-llm-calls 8

It prints what it measured against each threshold (or JSON with `--json`) and exits:
    0  every threshold holds
    1  a threshold is breached, or fewer sessions matched than `--min-sessions` (default 1: an empty
       window usually means nothing is being recorded, which a gate should not wave through)
    2  a usage error or a source that cannot be read (the reason is printed)

Failure rate is failed / ended sessions (open sessions are counted but not rated). Cost and LLM calls are
per-session statistics: `max`, `p95` (nearest rank), `mean`, or for cost also `total`. A session with an
LLM call that could not be priced has no known cost: the cost check then fails as unverifiable, unless
`--allow-unpriced` measures the priced sessions only (the output always says how many were left out).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import click

from ..model import SessionSummary
from ._common import open_source_or_exit, parse_since, source_option, user_errors

_STATS = ("max", "p95", "mean")


@dataclass(frozen=True)
class Measure:
    """One row of the report: a measured value against its threshold."""

    metric: str
    measured: float | None  # None when it cannot be known (no ended sessions, unpriced cost)
    threshold: float | None
    ok: bool
    detail: str = ""


def statistic(values: Sequence[float], stat: str) -> float:
    """max, p95 (nearest-rank), mean or total of a non-empty list."""
    ordered = sorted(values)
    if stat == "max":
        return ordered[-1]
    if stat == "p95":
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]
    if stat == "mean":
        return sum(ordered) / len(ordered)
    return sum(ordered)


def measure(
    sessions: Sequence[SessionSummary],
    *,
    max_failure_rate: float | None,
    max_cost: float | None,
    cost_stat: str,
    max_llm_calls: float | None,
    llm_calls_stat: str,
    allow_unpriced: bool,
) -> list[Measure]:
    rows = []
    ended = [s for s in sessions if s.end_ns is not None or s.end_state is not None]
    failed = sum(1 for s in ended if s.failed)
    rate = failed / len(ended) if ended else None
    open_note = f", {len(sessions) - len(ended)} still open (not rated)" if len(ended) < len(sessions) else ""
    rows.append(
        Measure(
            "failure rate",
            rate,
            max_failure_rate,
            max_failure_rate is None or (rate is not None and rate <= max_failure_rate),
            f"{failed} failed of {len(ended)} ended{open_note}",
        )
    )
    priced = [s.cost for s in sessions if s.cost is not None and s.cost_complete]
    unpriced = len(sessions) - len(priced)
    cost = statistic(priced, cost_stat) if priced else None
    cost_metric = "total cost" if cost_stat == "total" else f"cost per session ({cost_stat})"
    if unpriced and not allow_unpriced:
        detail = f"{unpriced} session(s) have LLM calls that could not be priced: cost unknown"
        if cost is not None:
            detail += f" (the priced ones: {cost_stat} ${cost:.6f})"
        rows.append(Measure(cost_metric, None, max_cost, max_cost is None, detail))
    else:
        detail = f"{len(priced)} priced sessions" + (f", {unpriced} unpriced left out" if unpriced else "")
        ok = max_cost is None or cost is None or cost <= max_cost
        rows.append(Measure(cost_metric, cost, max_cost, ok, detail))
    calls = [float(s.llm_calls) for s in sessions]
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
        return f"${value:.6f}"
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


@click.command("check")
@source_option
@click.option("--since", default="24h", show_default=True, help="Window start: 30m, 24h, 7d, 2w, or an ISO time.")
@click.option("--tag", "tags", multiple=True, help="Only sessions with this tag (repeat: all must match).")
@click.option("--service", default=None, help="Only sessions of this service.name.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1), help="Newest sessions read.")
@click.option("--max-failure-rate", type=click.FloatRange(0, 1), help="Breach above this share of failed sessions.")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Breach above this cost in USD (see --cost-stat).")
@click.option("--cost-stat", type=click.Choice([*_STATS, "total"]), default="p95", show_default=True)
@click.option("--max-llm-calls", type=click.FloatRange(min=0), help="Breach above this many LLM calls per session.")
@click.option("--llm-calls-stat", type=click.Choice(_STATS), default="max", show_default=True)
@click.option("--allow-unpriced", is_flag=True, help="Measure cost over priced sessions only instead of failing.")
@click.option("--min-sessions", default=1, show_default=True, type=click.IntRange(min=0), help="Fail below this.")
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
def command(
    source_spec: str | None,
    since: str,
    tags: tuple[str, ...],
    service: str | None,
    limit: int,
    max_failure_rate: float | None,
    max_cost: float | None,
    cost_stat: str,
    max_llm_calls: float | None,
    llm_calls_stat: str,
    allow_unpriced: bool,
    min_sessions: int,
    as_json: bool,
) -> None:
    """Gate CI on recent sessions: exit 1 when a threshold is breached, 2 on usage or source errors."""
    since_ns = parse_since(since)
    opened = open_source_or_exit(source_spec)
    with user_errors():
        sessions = opened.sessions(since_ns=since_ns, tags=list(tags), service=service, limit=limit)
    rows = measure(
        sessions,
        max_failure_rate=max_failure_rate,
        max_cost=max_cost,
        cost_stat=cost_stat,
        max_llm_calls=max_llm_calls,
        llm_calls_stat=llm_calls_stat,
        allow_unpriced=allow_unpriced,
    )
    enough = len(sessions) >= min_sessions
    ok = enough and all(r.ok for r in rows)
    window = _window(since_ns, tags, service)
    if as_json:
        click.echo(json.dumps(_as_json(opened.description, window, sessions, rows, enough, ok, limit), indent=2))
    else:
        click.echo(f"{len(sessions)} sessions from {opened.description} ({window})")
        if len(sessions) >= limit:
            click.echo(f"note: only the newest {limit} sessions were read (raise --limit to read more)")
        click.echo(render_table(rows))
        if not enough:
            click.echo(f"FAILED: {len(sessions)} sessions matched, --min-sessions is {min_sessions}")
        else:
            click.echo("ok: every threshold holds" if ok else "FAILED: a threshold is breached")
    click.get_current_context().exit(0 if ok else 1)


def _window(since_ns: int, tags: Sequence[str], service: str | None) -> str:
    parts = ["since " + datetime.fromtimestamp(since_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")]
    parts += [f"tag={t}" for t in tags]
    if service:
        parts.append(f"service={service}")
    return ", ".join(parts)


def _as_json(
    description: str,
    window: str,
    sessions: Sequence[SessionSummary],
    rows: Sequence[Measure],
    enough: bool,
    ok: bool,
    limit: int,
) -> dict[str, Any]:
    return {
        "source": description,
        "window": window,
        "sessions": len(sessions),
        "enough_sessions": enough,
        "limit_reached": len(sessions) >= limit,
        "unpriced_sessions": sum(1 for s in sessions if s.cost is None or not s.cost_complete),
        "checks": [asdict(r) for r in rows],
        "ok": ok,
    }
