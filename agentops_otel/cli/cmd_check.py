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

Pass rates of repeated runs, per group:

    agentops-otel check --since 2h --group-by test --min-pass-rate 0.95 --max-trajectories 3

groups the runs (a session with the sessions started inside it) by test node id, tag or name, and
breaches when a group's pass rate has a Wilson interval (`--confidence`, default 0.95) whose lower bound
is under `--min-pass-rate`, or when its runs took more than `--max-trajectories` distinct trajectories.
It lists the flaky groups (passes and failures) apart from the consistently failing ones, with the
trajectory that fails. Each session is read whole, and when more than `--limit` sessions match it stops
with the reason (exit 2) rather than judge a group on the newest few.

Every session in the window is rated, never a sample: the store sums what the gate rates in SQL in one
statement read a thousand rows at a time, a file is read in one streaming pass, a backend's search is
paged through by time windows (or the gate stops with the reason, exit 2). `--limit N` is a ceiling:
more than N matching is exit 2 too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from .._stats import DEFAULT_CONFIDENCE
from ..errors import ConfigurationError
from ..gate import (
    GROUP_BY,
    STATS,
    GroupedRates,
    Measure,
    measure,
    measure_groups,
    read_sessions,
    render_groups,
    render_table,
)
from ..model import SessionSummary, summarize
from ._common import MAX_LIMIT, SINCE, FiniteFloatRange, open_source_or_exit, source_option, user_errors

GROUPED_LIMIT = 1000  # whole sessions read for pass rates when --limit is not given

# The pass rates' confidence level, the same option on `check` and `trajectories`.
confidence_option = click.option(
    "--confidence",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_CONFIDENCE,
    show_default=True,
    help="Confidence level of the pass rates' Wilson intervals.",
)


@click.command("check")
@source_option
@click.option(
    "--since", type=SINCE, default="24h", show_default=True, help="Window start: 30m, 24h, 7d, 2w, or an ISO time."
)
@click.option("--tag", "tags", multiple=True, help="Only sessions with this tag (repeat: all must match).")
@click.option("--service", default=None, help="Only sessions of this service.name.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    help="Stop (exit 2) when more sessions than this match (default: rate them all; grouped: "
    f"{GROUPED_LIMIT}, as each is read whole).",
)
@click.option("--max-failure-rate", type=FiniteFloatRange(0, 1), help="Breach above this share of failed sessions.")
@click.option("--max-cost", type=FiniteFloatRange(min=0), help="Breach above this cost in USD (see --cost-stat).")
@click.option("--cost-stat", type=click.Choice([*STATS, "total"]), default="p95", show_default=True)
@click.option("--max-llm-calls", type=FiniteFloatRange(min=0), help="Breach above this many LLM calls per session.")
@click.option("--llm-calls-stat", type=click.Choice(STATS), default="max", show_default=True)
@click.option("--allow-unpriced", is_flag=True, help="Measure cost over priced sessions only instead of failing.")
@click.option(
    "--allow-crashed",
    is_flag=True,
    help="Leave crashed sessions (their process died before ending them) out of the failure rate.",
)
@click.option("--min-sessions", default=1, show_default=True, type=click.IntRange(min=0), help="Fail below this.")
@click.option(
    "--min-pass-rate",
    type=FiniteFloatRange(0, 1),
    help="Breach when a group's pass rate has a lower confidence bound under this (see --group-by).",
)
@click.option(
    "--group-by",
    type=click.Choice(GROUP_BY),
    help="Rate runs per test (pytest node id), tag or session name (default: all runs as one group).",
)
@click.option(
    "--max-trajectories",
    type=click.IntRange(min=1),
    help="Breach when a group's runs took more than this many distinct trajectories.",
)
@confidence_option
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
def command(
    source_spec: str | None,
    since: int,
    tags: tuple[str, ...],
    service: str | None,
    limit: int | None,
    max_failure_rate: float | None,
    max_cost: float | None,
    cost_stat: str,
    max_llm_calls: float | None,
    llm_calls_stat: str,
    allow_unpriced: bool,
    allow_crashed: bool,
    min_sessions: int,
    min_pass_rate: float | None,
    group_by: str | None,
    max_trajectories: int | None,
    confidence: float,
    as_json: bool,
) -> None:
    """Gate CI on recent sessions: exit 1 when a threshold is breached, 2 on usage or source errors."""
    opened = open_source_or_exit(source_spec)
    grouped: GroupedRates | None = None
    thresholds = {
        "max_failure_rate": max_failure_rate,
        "max_cost": max_cost,
        "cost_stat": cost_stat,
        "max_llm_calls": max_llm_calls,
        "llm_calls_stat": llm_calls_stat,
        "allow_unpriced": allow_unpriced,
        "allow_crashed": allow_crashed,
    }
    with user_errors():
        if min_pass_rate is None and group_by is None and max_trajectories is None:
            # Every session in the window, streamed: only each one's cost and call count are kept.
            stream = opened.iter_sessions(since_ns=since, tags=list(tags), service=service)
            counted = _Counted(stream, limit, opened.description)
            rows = measure(counted, **thresholds)  # type: ignore[arg-type]
        else:  # every session whole (steps for trajectories), never a truncated sample
            cap = limit if limit is not None else GROUPED_LIMIT
            whole = read_sessions(opened, since_ns=since, tags=tags, service=service, limit=cap)
            counted = _Counted(iter(summarize(s) for s in reversed(whole)), None, opened.description)
            rows = measure(counted, **thresholds)  # type: ignore[arg-type]
            grouped = measure_groups(
                whole,
                by=group_by,
                min_pass_rate=min_pass_rate,
                max_trajectories=max_trajectories,
                confidence=confidence,
            )
    enough = counted.count >= min_sessions
    rated = grouped is None or _groups_ok(grouped, min_pass_rate, max_trajectories)
    ok = enough and all(r.ok for r in rows) and rated
    window = _window(since, tags, service)
    if as_json:
        data = _as_json(opened.description, window, counted, rows, enough, ok)
        if grouped is not None:
            data["pass_rates"] = _groups_json(grouped, min_pass_rate, max_trajectories, confidence)
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"{counted.count} sessions from {opened.description} ({window})")
        click.echo(render_table(rows))
        if grouped is not None:
            click.echo(render_groups(grouped))
        if not enough:
            click.echo(f"FAILED: {counted.count} sessions matched, --min-sessions is {min_sessions}")
        else:
            click.echo("ok: every threshold holds" if ok else "FAILED: a threshold is breached")
    click.get_current_context().exit(0 if ok else 1)


def _window(since_ns: int, tags: Sequence[str], service: str | None) -> str:
    parts = ["since " + datetime.fromtimestamp(since_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")]
    parts += [f"tag={t}" for t in tags]
    if service:
        parts.append(f"service={service}")
    return ", ".join(parts)


class _Counted:
    """The sessions as they stream past, counted; more than `limit` of them is a ConfigurationError."""

    def __init__(self, sessions: Iterator[SessionSummary], limit: int | None, description: str) -> None:
        self._sessions, self._limit, self._description = sessions, limit, description
        self.count = self.unpriced = 0

    def __iter__(self) -> Iterator[SessionSummary]:
        for session in self._sessions:
            self.count += 1
            if self._limit is not None and self.count > self._limit:
                raise ConfigurationError(
                    f"more than {self._limit} sessions match in {self._description}: the gate rates every "
                    "session it is asked about, never the newest few; raise --limit (or leave it out), or "
                    "narrow --since, --tag or --service"
                )
            self.unpriced += session.cost is None or not session.cost_complete
            yield session


def _as_json(
    description: str,
    window: str,
    counted: _Counted,
    rows: Sequence[Measure],
    enough: bool,
    ok: bool,
) -> dict[str, Any]:
    return {
        "source": description,
        "window": window,
        "sessions": counted.count,
        "enough_sessions": enough,
        "limit_reached": False,  # never: more than --limit matching stops the gate (exit 2)
        "unpriced_sessions": counted.unpriced,
        "checks": [asdict(r) for r in rows],
        "ok": ok,
    }


def _groups_ok(grouped: GroupedRates, min_pass_rate: float | None, max_trajectories: int | None) -> bool:
    """Every group holds; with a threshold and nothing to rate, the gate cannot pass."""
    if not grouped.groups and (min_pass_rate is not None or max_trajectories is not None):
        return False
    return grouped.ok


def _groups_json(
    grouped: GroupedRates, min_pass_rate: float | None, max_trajectories: int | None, confidence: float
) -> dict[str, Any]:
    return {
        "group_by": grouped.by,
        "min_pass_rate": min_pass_rate,
        "max_trajectories": max_trajectories,
        "confidence": confidence,
        "ok": _groups_ok(grouped, min_pass_rate, max_trajectories),
        "ungrouped_runs": grouped.ungrouped,
        "flaky": [g.key for g in grouped.of_kind("flaky")],
        "failing": [g.key for g in grouped.of_kind("failing")],
        "exploded": [g.key for g in grouped.groups if not g.trajectories_ok],
        "groups": [g.to_dict() for g in grouped.groups],
    }
