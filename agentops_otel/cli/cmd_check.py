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
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from ..gate import STATS, Measure, measure, render_table
from ..model import SessionSummary
from ._common import MAX_LIMIT, SINCE, FiniteFloatRange, open_source_or_exit, source_option, user_errors


@click.command("check")
@source_option
@click.option(
    "--since", type=SINCE, default="24h", show_default=True, help="Window start: 30m, 24h, 7d, 2w, or an ISO time."
)
@click.option("--tag", "tags", multiple=True, help="Only sessions with this tag (repeat: all must match).")
@click.option("--service", default=None, help="Only sessions of this service.name.")
@click.option(
    "--limit", default=1000, show_default=True, type=click.IntRange(1, MAX_LIMIT), help="Newest sessions read."
)
@click.option("--max-failure-rate", type=FiniteFloatRange(0, 1), help="Breach above this share of failed sessions.")
@click.option("--max-cost", type=FiniteFloatRange(min=0), help="Breach above this cost in USD (see --cost-stat).")
@click.option("--cost-stat", type=click.Choice([*STATS, "total"]), default="p95", show_default=True)
@click.option("--max-llm-calls", type=FiniteFloatRange(min=0), help="Breach above this many LLM calls per session.")
@click.option("--llm-calls-stat", type=click.Choice(STATS), default="max", show_default=True)
@click.option("--allow-unpriced", is_flag=True, help="Measure cost over priced sessions only instead of failing.")
@click.option("--min-sessions", default=1, show_default=True, type=click.IntRange(min=0), help="Fail below this.")
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
def command(
    source_spec: str | None,
    since: int,
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
    opened = open_source_or_exit(source_spec)
    with user_errors():
        sessions = opened.sessions(since_ns=since, tags=list(tags), service=service, limit=limit)
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
    window = _window(since, tags, service)
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
