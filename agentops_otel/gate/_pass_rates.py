"""Pass rates by group: the runs of each test (or tag, or name), their Wilson interval and trajectories.

A run is a session with the sessions started inside it that were read too (see `model.runs_of`).
Groups:
    test   the pytest node id of the test the run recorded (`agentops.test.node_id`; the pytest plugin
           sets it on each test's session and on each run of a repeated test); other runs are not grouped
    tag    each of the run's tags (a run with two tags counts in both; the `run:<i>` tags of repeated
           tests are not groups)
    name   the session name
    None   every run in one group

A group is *flaky* when it has both passing and failing runs, *failing* when every rated run failed.
It breaches `min_pass_rate` when the lower bound of its pass rate's Wilson interval is under it (or no
run ended to rate), and `max_trajectories` when its runs took more distinct trajectories than that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import semconv as sc
from .._stats import DEFAULT_CONFIDENCE, wilson_interval
from ..model import Run, Session, TrajectoryCluster, cluster_trajectories, failure_concentration, runs_of

GROUP_BY = ("test", "tag", "name")
ALL = "all sessions"
_RUN_TAG = re.compile(r"run:\d+")


def group_keys(run: Run, by: str | None) -> list[str]:
    """The groups a run belongs to (none: it is not grouped)."""
    session = run.session
    if by is None:
        return [ALL]
    if by == "test":
        node = session.root.attributes.get(sc.AGENTOPS_TEST_NODE_ID)
        return [str(node)] if node else []
    if by == "name":
        return [session.name]
    if by == "tag":
        return [t for t in dict.fromkeys(session.tags) if not _RUN_TAG.fullmatch(t)]
    raise ValueError(f"unknown grouping {by!r}: use one of {', '.join(GROUP_BY)}")


@dataclass(frozen=True)
class GroupRate:
    """One group's runs judged: pass rate, interval, trajectories, and whether each threshold holds."""

    key: str
    clusters: tuple[TrajectoryCluster, ...]
    confidence: float
    min_pass_rate: float | None
    max_trajectories: int | None

    @property
    def runs(self) -> int:
        return sum(c.count for c in self.clusters)

    @property
    def passes(self) -> int:
        return sum(c.passes for c in self.clusters)

    @property
    def failures(self) -> int:
        return sum(c.failures for c in self.clusters)

    @property
    def rated(self) -> int:
        return self.passes + self.failures

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.passes, self.rated, self.confidence)

    @property
    def kind(self) -> str:
        """flaky (passes and failures), failing (only failures), passing (only passes), or unrated."""
        if self.passes and self.failures:
            return "flaky"
        if self.failures:
            return "failing"
        return "passing" if self.passes else "unrated"

    @property
    def rate_ok(self) -> bool:
        if self.min_pass_rate is None:
            return True
        return self.rated > 0 and self.interval[0] >= self.min_pass_rate

    @property
    def trajectories_ok(self) -> bool:
        return self.max_trajectories is None or len(self.clusters) <= self.max_trajectories

    @property
    def ok(self) -> bool:
        return self.rate_ok and self.trajectories_ok

    @property
    def failing_cluster(self) -> TrajectoryCluster | None:
        """The trajectory most of the group's failures took (when one holds more than half)."""
        found = failure_concentration(self.clusters)
        return None if found is None else found.cluster

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        failing = self.failing_cluster
        return {
            "group": self.key,
            "kind": self.kind,
            "runs": self.runs,
            "passes": self.passes,
            "failures": self.failures,
            "unrated": self.runs - self.rated,
            "pass_rate": self.passes / self.rated if self.rated else None,
            "interval": [low, high],
            "confidence": self.confidence,
            "min_pass_rate": self.min_pass_rate,
            "rate_ok": self.rate_ok,
            "trajectory_count": len(self.clusters),
            "max_trajectories": self.max_trajectories,
            "trajectories_ok": self.trajectories_ok,
            "ok": self.ok,
            "failing_trajectory": None if failing is None else failing.index,
            "trajectories": [c.to_dict() for c in self.clusters],
        }


@dataclass(frozen=True)
class GroupedRates:
    groups: tuple[GroupRate, ...]
    by: str | None
    ungrouped: int  # runs that belong to no group (with by="test": runs that are not test runs)

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.groups)

    def of_kind(self, kind: str) -> list[GroupRate]:
        return [g for g in self.groups if g.kind == kind]


def measure_groups(
    sessions: Sequence[Session],
    *,
    by: str | None,
    min_pass_rate: float | None = None,
    max_trajectories: int | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    include_values: bool = False,
) -> GroupedRates:
    """Fold sessions into runs, group them, and judge each group; groups in order of first run."""
    grouped: dict[str, list[Run]] = {}
    ungrouped = 0
    for run in runs_of(sessions):
        keys = group_keys(run, by)
        if not keys:
            ungrouped += 1
        for key in keys:
            grouped.setdefault(key, []).append(run)
    groups = tuple(
        GroupRate(
            key,
            tuple(cluster_trajectories(runs, include_values=include_values, confidence=confidence)),
            confidence,
            min_pass_rate,
            max_trajectories,
        )
        for key, runs in grouped.items()
    )
    return GroupedRates(groups, by, ungrouped)
