"""`agentops-otel trajectories`: the distinct paths recorded runs took, how often, and how often they pass.

    agentops-otel trajectories --since 2h --group-by test
    agentops-otel trajectories --source file:traces.jsonl --tag billing --name 'support*' --json

A run is a session with the sessions started inside it (when those were read too); its trajectory is its
steps' kinds, names, nesting and argument shapes (`--values`: the argument values). For each group (by
test node id, tag or session name; default one group) it prints every distinct trajectory, most common
first, with its count, pass rate and Wilson interval (`--confidence`), mean and p95 cost and duration,
and the first step where it departs from the most common one. Each session is read whole; when more than
`--limit` sessions match it stops with the reason (exit 2) rather than show a sample cut short.
"""

from __future__ import annotations

import json
from typing import Any

import click

from .._format import usd
from .._stats import describe_rate, statistic
from ..gate import GROUP_BY, GroupedRates, GroupRate, measure_groups, read_sessions
from ..model import TrajectoryCluster
from ._common import MAX_LIMIT, SINCE, open_source_or_exit, source_option, user_errors
from .cmd_check import _window, confidence_option


@click.command("trajectories")
@source_option
@click.option(
    "--since", type=SINCE, default="24h", show_default=True, help="Window start: 30m, 24h, 7d, 2w, or an ISO time."
)
@click.option("--tag", "tags", multiple=True, help="Only sessions with this tag (repeat: all must match).")
@click.option("--service", default=None, help="Only sessions of this service.name.")
@click.option("--name", "names", multiple=True, help="Only sessions with this name (* and ? match; repeat: any).")
@click.option("--group-by", type=click.Choice(GROUP_BY), help="One report per test (node id), tag or session name.")
@click.option("--values", "include_values", is_flag=True, help="Tell trajectories apart by argument values too.")
@confidence_option
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, MAX_LIMIT), help="Most sessions read.")
@click.option("--json", "as_json", is_flag=True, help="Print the groups and their trajectories as JSON.")
def command(
    source_spec: str | None,
    since: int,
    tags: tuple[str, ...],
    service: str | None,
    names: tuple[str, ...],
    group_by: str | None,
    include_values: bool,
    confidence: float,
    limit: int,
    as_json: bool,
) -> None:
    """Group recorded runs by trajectory: counts, pass rates with intervals, cost, duration, departures."""
    since_ns = since
    opened = open_source_or_exit(source_spec)
    with user_errors():
        sessions = read_sessions(opened, since_ns=since_ns, tags=tags, service=service, names=names, limit=limit)
    report = measure_groups(sessions, by=group_by, confidence=confidence, include_values=include_values)
    window = _window(since_ns, tags, service) + "".join(f", name={n}" for n in names)
    if as_json:
        data = {
            "source": opened.description,
            "window": window,
            "sessions": len(sessions),
            "group_by": group_by,
            "values": include_values,
            "confidence": confidence,
            "ungrouped_runs": report.ungrouped,
            "groups": [g.to_dict() for g in report.groups],
        }
        click.echo(json.dumps(data, indent=2))
        return
    if not sessions:
        click.echo(f"no sessions match in {opened.description} ({window})", err=True)
        return
    click.echo(_render(report, len(sessions), opened.description, window))


def _stats_text(values: list[float], show: Any) -> str:
    if not values:
        return "unknown"
    return f"mean {show(statistic(values, 'mean'))} p95 {show(statistic(values, 'p95'))}"


def _cluster_lines(cluster: TrajectoryCluster) -> list[str]:
    rate = describe_rate(cluster.passes, cluster.rated, cluster.confidence)
    unrated = cluster.count - cluster.rated
    cost = _stats_text(cluster.costs, usd)
    if cluster.costs and len(cluster.costs) < cluster.count:
        cost += f" ({cluster.count - len(cluster.costs)} unpriced)"
    duration = _stats_text(cluster.durations, lambda v: f"{v:.2f}s")
    head = f"  #{cluster.index + 1}  {cluster.count} runs · {rate}"
    if unrated:
        head += f", {unrated} not rated (open or Indeterminate)"
    lines = [head, f"      cost {cost} · duration {duration}"]
    departure = cluster.departure
    if departure is not None:
        lines.append(f"      departs from #1: {departure.describe('#1')}")
    mark = None if departure is None else departure.index
    lines += [f"      {line}" for line in cluster.trajectory.lines(mark=mark)]
    return lines


def _group_lines(group: GroupRate, by: str | None) -> list[str]:
    count = len(group.clusters)
    title = group.key if by is not None else "all runs"
    rate = describe_rate(group.passes, group.rated, group.confidence)
    lines = [f"{title} · {group.runs} runs · {rate} · {count} trajector{'y' if count == 1 else 'ies'} ({group.kind})"]
    for cluster in group.clusters:
        lines += _cluster_lines(cluster)
    return lines


def _render(report: GroupedRates, sessions: int, description: str, window: str) -> str:
    runs = sum(g.runs for g in report.groups) if report.by is None else None
    head = f"{sessions} sessions from {description} ({window})"
    if runs is not None and runs != sessions:
        head += f": {runs} runs (sessions started inside another count as part of it)"
    if report.by is not None:
        head += f" · by {report.by}: {len(report.groups)} groups"
    lines = [head]
    for group in report.groups:
        lines.append("")
        lines += _group_lines(group, report.by)
    if report.ungrouped:
        lines += ["", f"{report.ungrouped} run(s) belong to no {report.by} group and are not shown"]
    return "\n".join(lines)
