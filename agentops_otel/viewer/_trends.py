"""Failure rate, cost and latency over time, per service or tag, from session listings.

The figures are the CI gate's (`gate.measure`: failure rate over ended sessions, cost per priced
session at p95, LLM calls), so a group's totals read what `agentops-otel check` says of the same
sessions; latency is the p95 of ended sessions' durations (nearest rank, as the gate's statistics).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..gate import Measure, measure, statistic
from ..model import SessionSummary
from ._query import BUCKETS

MAX_GROUPS = 12
_MAX_BUCKETS = 48
NO_SERVICE, NO_TAGS, ALL = "(no service)", "(no tags)", "all sessions"


@dataclass(frozen=True)
class Figures:
    """What one group of sessions measures, over the window or in one bucket of it."""

    start_ns: int
    sessions: int
    failure_rate: float | None
    failed: int
    ended: int
    cost_p95: float | None  # per session; None when a session could not be priced (as `check`)
    cost_total: float  # of the priced sessions
    unpriced: int
    latency_p95: float | None  # seconds
    llm_calls_max: float | None
    checks: tuple[Measure, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = [asdict(c) for c in self.checks]
        return data


def figures(sessions: Sequence[SessionSummary], start_ns: int) -> Figures:
    checks = measure(
        sessions,
        max_failure_rate=None,
        max_cost=None,
        cost_stat="p95",
        max_llm_calls=None,
        llm_calls_stat="max",
        allow_unpriced=False,
    )
    rate, cost, calls = checks
    ended = [s for s in sessions if s.end_ns is not None or s.end_state is not None]
    durations = [s.duration for s in ended if s.duration is not None]
    priced = [s.cost for s in sessions if s.cost is not None and s.cost_complete]
    return Figures(
        start_ns=start_ns,
        sessions=len(sessions),
        failure_rate=rate.measured,
        failed=sum(1 for s in ended if s.failed),
        ended=len(ended),
        cost_p95=cost.measured,
        cost_total=sum(priced),
        unpriced=len(sessions) - len(priced),
        latency_p95=statistic(durations, "p95") if durations else None,
        llm_calls_max=calls.measured,
        checks=tuple(checks),
    )


@dataclass(frozen=True)
class Group:
    name: str
    total: Figures
    buckets: tuple[Figures, ...]


@dataclass(frozen=True)
class Trends:
    since_ns: int
    until_ns: int
    bucket_seconds: int
    sessions: int
    groups: tuple[Group, ...]
    more_groups: int  # groups beyond MAX_GROUPS, not shown

    def to_dict(self) -> dict[str, Any]:
        return {
            "since_ns": self.since_ns,
            "until_ns": self.until_ns,
            "bucket_seconds": self.bucket_seconds,
            "sessions": self.sessions,
            "more_groups": self.more_groups,
            "groups": [
                {"name": g.name, "total": g.total.to_dict(), "buckets": [b.to_dict() for b in g.buckets]}
                for g in self.groups
            ],
        }


def bucket_seconds(since_ns: int, until_ns: int, chosen: str | None) -> int:
    """The chosen bucket, else the smallest that splits the window into at most 48."""
    if chosen is not None:
        return BUCKETS[chosen]
    window = max(1, (until_ns - since_ns) / 1e9)
    return next((size for size in BUCKETS.values() if window / size <= _MAX_BUCKETS), max(BUCKETS.values()))


def _groups(summaries: Sequence[SessionSummary], by: str) -> dict[str, list[SessionSummary]]:
    groups: dict[str, list[SessionSummary]] = defaultdict(list)
    for s in summaries:
        if by == "service":
            groups[s.service or NO_SERVICE].append(s)
        elif by == "tag":
            for tag in s.tags or (NO_TAGS,):
                groups[tag].append(s)
        else:
            groups[ALL].append(s)
    return groups


def trends(
    summaries: Sequence[SessionSummary], *, since_ns: int, until_ns: int, group: str, bucket: str | None
) -> Trends:
    size = bucket_seconds(since_ns, until_ns, bucket)
    size_ns = size * 10**9
    first = since_ns // size_ns * size_ns
    count = max(1, math.ceil((until_ns - first) / size_ns))
    grouped = sorted(_groups(summaries, group).items(), key=lambda item: (-len(item[1]), item[0]))
    shown = []
    for name, members in grouped[:MAX_GROUPS]:
        slots: list[list[SessionSummary]] = [[] for _ in range(count)]
        for s in members:
            slots[min(count - 1, max(0, (s.start_ns - first) // size_ns))].append(s)
        buckets = tuple(figures(slot, first + i * size_ns) for i, slot in enumerate(slots))
        shown.append(Group(name, figures(members, since_ns), buckets))
    return Trends(since_ns, until_ns, size, len(summaries), tuple(shown), max(0, len(grouped) - MAX_GROUPS))


__all__ = ["ALL", "MAX_GROUPS", "Figures", "Group", "Trends", "bucket_seconds", "figures", "trends"]
