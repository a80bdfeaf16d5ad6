"""Runs grouped by trajectory: how often each path is taken, how often it passes, what it costs.

A run is a session together with the sessions started inside it (its children, at any depth): a test's
session and the agent sessions the test started are one run, judged by the outer session's end state
(Success passes, Fail fails; Indeterminate and open runs are counted but not rated).

    clusters = cluster_trajectories(sessions)     # most common trajectory first
    for c in clusters:
        print(c.count, c.passes, c.interval, c.trajectory.label(), c.departure and c.departure.describe())
    json.dumps([c.to_dict() for c in clusters])   # plain data for --json and the viewer
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _states
from .._stats import DEFAULT_CONFIDENCE, statistic, wilson_interval
from ._session import Session
from ._trajectory import Departure, Trajectory, trajectory


@dataclass(frozen=True)
class Run:
    """One run: a session and the sessions started inside it (its children, any depth), oldest first."""

    session: Session
    children: tuple[Session, ...] = ()

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def passed(self) -> bool | None:
        """True when the session ended Success, False when Fail, None otherwise (not rated)."""
        state = self.session.end_state
        failed = state in (_states.FAIL, _states.CRASHED)  # a crashed run failed
        return True if state == _states.SUCCESS else False if failed else None

    @property
    def cost(self) -> float | None:
        """The cost of the session and its children; None when some LLM call could not be priced."""
        costs = [s.cost for s in (self.session, *self.children)]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def duration(self) -> float | None:
        return self.session.duration

    def trajectory(self, *, include_values: bool = False, ignore: Iterable[str] = ()) -> Trajectory:
        return trajectory(self.session, include_values=include_values, children=self.children, ignore=ignore)


def runs_of(sessions: Iterable[Session | Run]) -> list[Run]:
    """Sessions as runs: one started inside another of the given sessions joins that one's run.

    Runs given as such are kept as they are. Oldest run first.
    """
    runs = [s for s in sessions if isinstance(s, Run)]
    given = {s.session_id: s for s in sessions if isinstance(s, Session)}

    def top(session: Session) -> Session:
        seen = {session.session_id}
        while session.parent_session_id in given and session.parent_session_id not in seen:
            session = given[session.parent_session_id]
            seen.add(session.session_id)
        return session

    children: dict[str, list[Session]] = {}
    tops: list[Session] = []
    for session in given.values():
        root = top(session)
        if root is session:
            tops.append(session)
        else:
            children.setdefault(root.session_id, []).append(session)
    runs += [Run(s, tuple(sorted(children.get(s.session_id, ()), key=lambda c: c.root.start_ns))) for s in tops]
    return sorted(runs, key=lambda r: r.session.root.start_ns)


def _stat(values: Sequence[float], stat: str) -> float | None:
    return statistic(values, stat) if values else None


@dataclass(frozen=True)
class TrajectoryCluster:
    """The runs that took one trajectory, with their pass rate and its Wilson interval."""

    trajectory: Trajectory
    runs: tuple[Run, ...]
    confidence: float = DEFAULT_CONFIDENCE
    departure: Departure | None = None  # from the most common trajectory (None for that one)
    index: int = 0  # 0 for the most common

    @property
    def count(self) -> int:
        return len(self.runs)

    @property
    def passes(self) -> int:
        return sum(1 for r in self.runs if r.passed is True)

    @property
    def failures(self) -> int:
        return sum(1 for r in self.runs if r.passed is False)

    @property
    def rated(self) -> int:
        return self.passes + self.failures

    @property
    def pass_rate(self) -> float | None:
        return self.passes / self.rated if self.rated else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.passes, self.rated, self.confidence)

    @property
    def failed_runs(self) -> list[Run]:
        return [r for r in self.runs if r.passed is False]

    @property
    def costs(self) -> list[float]:
        return [c for c in (r.cost for r in self.runs) if c is not None]

    @property
    def durations(self) -> list[float]:
        return [d for d in (r.duration for r in self.runs) if d is not None]

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        costs, durations = self.costs, self.durations
        return {
            "index": self.index,
            "label": self.trajectory.label(),
            "steps": self.trajectory.to_list(),
            "count": self.count,
            "passes": self.passes,
            "failures": self.failures,
            "unrated": self.count - self.rated,
            "pass_rate": self.pass_rate,
            "interval": [low, high],
            "confidence": self.confidence,
            "cost": {"mean": _stat(costs, "mean"), "p95": _stat(costs, "p95"), "unpriced": self.count - len(costs)},
            "duration": {"mean": _stat(durations, "mean"), "p95": _stat(durations, "p95")},
            "departure": None if self.departure is None else self.departure.to_dict(),
            "sessions": [r.session_id for r in self.runs],
            "failed_sessions": [r.session_id for r in self.failed_runs],
        }


def cluster_trajectories(
    sessions: Iterable[Session | Run],
    *,
    include_values: bool = False,
    ignore: Iterable[str] = (),
    confidence: float = DEFAULT_CONFIDENCE,
) -> list[TrajectoryCluster]:
    """Group runs by trajectory, the most common first (ties: the one seen first).

    Sessions started inside another of the given sessions count as part of its run (see `runs_of`).
    Each cluster after the first says where it departs from the first.
    """
    ignored = tuple(ignore)
    groups: dict[Trajectory, list[Run]] = {}
    for run in runs_of(sessions):
        groups.setdefault(run.trajectory(include_values=include_values, ignore=ignored), []).append(run)
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))  # stable: first seen wins ties
    clusters = []
    for index, (path, runs) in enumerate(ordered):
        departure = None if index == 0 else path.departure(ordered[0][0])
        clusters.append(TrajectoryCluster(path, tuple(runs), confidence, departure, index))
    return clusters


@dataclass(frozen=True)
class Concentration:
    """Where failures gather: `failures` of all `total` failures took `cluster`'s trajectory."""

    cluster: TrajectoryCluster
    failures: int
    total: int

    @property
    def always(self) -> bool:
        return self.failures == self.total

    def describe(self) -> str:
        if self.total == 1:
            return f"the failing run went via {self.cluster.trajectory.label()}"
        how = "always" if self.always else f"{self.failures} of {self.total} failures"
        return f"{how} via {self.cluster.trajectory.label()}"


def failure_concentration(clusters: Sequence[TrajectoryCluster]) -> Concentration | None:
    """The trajectory most failures took, when it holds more than half of them (and there are any)."""
    total = sum(c.failures for c in clusters)
    if not total:
        return None
    worst = max(clusters, key=lambda c: c.failures)
    return Concentration(worst, worst.failures, total) if worst.failures * 2 > total else None


__all__ = ["Concentration", "Run", "TrajectoryCluster", "cluster_trajectories", "failure_concentration", "runs_of"]
