"""The repeat marker's plan: how many runs of a test body, and the pass rate they must show.

    @pytest.mark.agentops_repeat(n=40, min_pass_rate=0.9)            # lower bound >= 90%
    @pytest.mark.agentops_repeat(n=10)                               # every run must pass
    @pytest.mark.agentops_repeat(20, min_pass_rate=0.8, confidence=0.9)

`pytest --agentops-repeat N` (ini `agentops_repeat = N`) runs every test carrying the marker N times
instead of its own n. Imports only pytest and our statistics (no model, no OpenTelemetry): the plugin
reads plans at setup of every marked test.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import pytest

from .._stats import DEFAULT_CONFIDENCE, check_confidence, check_rate, percent, runs_needed, wilson_interval
from ..errors import ConfigurationError

MARKER = "agentops_repeat"
DEFAULT_RUNS = 10
MARKER_HELP = (
    f"{MARKER}(n={DEFAULT_RUNS}, min_pass_rate=None, confidence={DEFAULT_CONFIDENCE}): run the test body n times, "
    "each run its own session; it passes when the lower bound of the Wilson interval of the pass rate is at or "
    "above min_pass_rate (unset: every run must pass); --agentops-repeat N overrides n"
)


@dataclass(frozen=True)
class RepeatPlan:
    runs: int
    min_pass_rate: float | None
    confidence: float

    def unreachable(self) -> str | None:
        """Why the threshold cannot be met in this many runs (even all passing), or None."""
        if self.min_pass_rate is None:
            return None
        best = wilson_interval(self.runs, self.runs, self.confidence)[0]
        if best >= self.min_pass_rate:
            return None
        needed = runs_needed(self.min_pass_rate, self.confidence)
        fix = (
            "leave min_pass_rate unset to require every run to pass"
            if needed is None
            else f"use n >= {needed} (or --agentops-repeat {needed}), or a lower min_pass_rate or confidence"
        )
        return (
            f"{MARKER}: min_pass_rate={self.min_pass_rate:g} cannot be reached in {self.runs} runs at "
            f"{percent(self.confidence)} confidence: even {self.runs}/{self.runs} passing gives a lower bound of "
            f"{percent(best)}; {fix}"
        )


@dataclass
class RunHook:
    """Something a fixture does around each run: `around()` gives a context manager entered per run."""

    around: Callable[[], AbstractContextManager[Any]]
    note: str | None = None  # said in the report, e.g. that LLM answers were played back


@dataclass
class RepeatHooks:
    hooks: list[RunHook] = field(default_factory=list)


PLAN_KEY = pytest.StashKey[RepeatPlan]()
HOOKS_KEY = pytest.StashKey[RepeatHooks]()


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{where} must be a whole number of runs, at least 1 (got {value!r})")
    return value


def parse_runs_option(value: Any, where: str) -> int | None:
    """The --agentops-repeat / ini value: None when unset."""
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigurationError(f"{where} must be a whole number of runs, at least 1 (got {value!r})") from None
    return _positive_int(number, where)


def plan_of(marker: pytest.Mark, override: int | None) -> RepeatPlan:
    """The plan a marker asks for; ConfigurationError naming what is wrong."""
    kwargs = dict(marker.kwargs)
    if len(marker.args) > 1:
        raise ConfigurationError(f"{MARKER} takes one positional argument (n); give the others by name")
    if marker.args:
        if "n" in kwargs:
            raise ConfigurationError(f"{MARKER} got n twice (positionally and by name)")
        kwargs["n"] = marker.args[0]
    unknown = sorted(set(kwargs) - {"n", "min_pass_rate", "confidence"})
    if unknown:
        raise ConfigurationError(
            f"{MARKER} got unknown argument(s) {', '.join(unknown)}: it takes n, min_pass_rate and confidence"
        )
    runs = _positive_int(kwargs.get("n", DEFAULT_RUNS), f"{MARKER}(n=...)")
    rate = kwargs.get("min_pass_rate")
    confidence = kwargs.get("confidence", DEFAULT_CONFIDENCE)
    return RepeatPlan(
        runs=override if override is not None else runs,
        min_pass_rate=None if rate is None else check_rate(rate, f"{MARKER}(min_pass_rate=...)"),
        confidence=check_confidence(confidence),
    )
