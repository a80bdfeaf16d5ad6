"""Statistics for judging agents: Wilson score intervals on pass rates, and per-session statistics.

One home for the arithmetic every judge uses alike (the pytest repeat marker, variation testing,
`agentops-otel check` and `trajectories`), so a pass rate reads the same everywhere.

A pass rate's interval is the Wilson score interval, two-sided, at the confidence level given
(`DEFAULT_CONFIDENCE` = 0.95): unlike the normal approximation it stays inside [0, 1] and is honest for
small samples and rates near 0 or 1, which is what a handful of agent runs gives. A threshold is met
when the interval's lower bound is at or above it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

from .errors import ConfigurationError

DEFAULT_CONFIDENCE = 0.95
STATS = ("max", "p95", "mean")


def check_confidence(confidence: float) -> float:
    """The confidence level as a float in (0, 1); ConfigurationError otherwise."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ConfigurationError(
            f"confidence must be a number between 0 and 1 exclusive, e.g. 0.95 (got {confidence!r})"
        )
    return float(confidence)


def check_rate(rate: float, name: str = "min_pass_rate") -> float:
    """A pass-rate threshold as a float in [0, 1]; ConfigurationError otherwise."""
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ConfigurationError(f"{name} must be a number between 0 and 1, e.g. 0.9 (got {rate!r})")
    return float(rate)


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - check_confidence(confidence)) / 2)


def wilson_interval(passes: int, runs: int, confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """(lower, upper) of the Wilson score interval of `passes` out of `runs`; (0, 1) for no runs."""
    if not 0 <= passes <= runs:
        raise ValueError(f"passes must be between 0 and runs (got {passes} of {runs})")
    if runs == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = passes / runs
    z2n = z * z / runs
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / runs + z2n / (4 * runs))
    return max(0.0, centre - half), min(1.0, centre + half)


def runs_needed(min_pass_rate: float, confidence: float = DEFAULT_CONFIDENCE) -> int | None:
    """The fewest runs whose lower bound can reach `min_pass_rate` (all of them passing).

    None when no number of runs can: a threshold of 1 is above every lower bound.
    """
    check_rate(min_pass_rate)
    if min_pass_rate >= 1:
        return None
    z = _z(confidence)
    n = max(1, math.ceil(min_pass_rate * z * z / (1 - min_pass_rate)) - 1)
    while wilson_interval(n, n, confidence)[0] < min_pass_rate:
        n += 1
    return n


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


def percent(value: float) -> str:
    """A rate as people read it: `85%`, `62.4%`, `0.5%` (one decimal unless whole)."""
    text = f"{value * 100:.1f}"
    return (text.removesuffix(".0") if text.endswith(".0") else text) + "%"


def describe_interval(passes: int, runs: int, confidence: float = DEFAULT_CONFIDENCE) -> str:
    """`70%, 95% interval 39.7% to 89.2%`: a pass rate and its Wilson interval."""
    if runs == 0:
        return "no rated runs"
    low, high = wilson_interval(passes, runs, confidence)
    return f"{percent(passes / runs)}, {percent(confidence)} interval {percent(low)} to {percent(high)}"


def describe_rate(passes: int, runs: int, confidence: float = DEFAULT_CONFIDENCE) -> str:
    """`7/10 passed (70%, 95% interval 39.7% to 89.2%)`: the same words in every report."""
    if runs == 0:
        return "no rated runs"
    return f"{passes}/{runs} passed ({describe_interval(passes, runs, confidence)})"
