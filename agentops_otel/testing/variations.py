"""Variation testing: one agent over many phrasings of the same request, one session each.

As a loop that reports every failing variant at once (with its error or wrong steps and replay link):

    from agentops_otel.testing import assert_variations

    def test_billing_intent_robustness():
        assert_variations(
            classify,                                     # called with each phrasing
            ["I was charged twice", "double charge on my card", "why two payments??"],
            check=lambda result, session: result == "billing",
            expect_steps=["llm", "action:route_to_billing"],
        )

Or one test per phrasing with parametrisation (pytest then reports each variant on its own):

    @pytest.mark.parametrize("text", PHRASINGS)
    def test_billing_intent(text):
        run_variant(classify, text, check=lambda result, session: result == "billing")

`check(result, session)` fails the variant by returning a false value or raising AssertionError (so
the assertions of `agentops_otel.testing` work inside it). A variant's session ends Fail when the agent
raised or the check failed, so `agentops-otel check` counts it too.

A non-deterministic agent is judged by pass rates: `repeats=5` runs each phrasing five times (each run
its own session, tagged `run:<i>`), and a variant passes when every run does, or with `min_pass_rate`,
when the lower bound of its pass rate's Wilson interval (`confidence`, default 0.95) reaches it. The
report gives each variant's pass rate with its interval and the trajectories its runs took, and names
the trajectory its failures concentrate on:

    'Charged me double': fails 4/5 (20%, 95% interval 3.6% to 62.4%), always via llm gpt-4o →
        tool escalate(priority: number, reason: str) → llm gpt-4o
        departs from the most common passing path: step 2 is tool escalate(...), where it has tool lookup_order(...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from .. import semconv as sc
from .._stats import DEFAULT_CONFIDENCE, check_confidence, check_rate, describe_interval, describe_rate, wilson_interval
from ..errors import ConfigurationError
from ..model import Run, Session, Trajectory, TrajectoryCluster, cluster_trajectories, failure_concentration
from ._describe import replay_link
from .assertions import StepPattern, assert_steps

__all__ = [
    "VariantOutcome",
    "VariantRun",
    "VariationResults",
    "assert_variations",
    "run_variant",
    "run_variations",
]

Check = Callable[[Any, Session], Any]
_SHOWN_RUNS = 5  # failing runs listed with their links in a variant's report


@dataclass(frozen=True)
class VariantRun:
    """One run of a variant: the agent's result, its session, and why it failed (None if it passed)."""

    index: int
    result: Any
    session: Session
    problem: str | None
    started: tuple[Session, ...] = ()  # sessions the agent started inside the run's session

    @property
    def passed(self) -> bool:
        return self.problem is None

    @property
    def run(self) -> Run:
        return Run(self.session, self.started)


def _where(session: Session) -> str:
    link = replay_link(session)
    return f"replay: {link}" if link else f"session {session.session_id}"


@dataclass(frozen=True)
class VariantOutcome:
    """How one phrasing went over its runs. `result`, `session` and `problem` are those of its first
    failing run (else its last run); `problem` is None when the variant passed."""

    phrasing: str
    runs: tuple[VariantRun, ...]
    min_pass_rate: float | None = None
    confidence: float = DEFAULT_CONFIDENCE
    reference: Trajectory | None = None  # the path departures are told against (the most common passing one)

    @property
    def _representative(self) -> VariantRun:
        return next((r for r in self.runs if not r.passed), self.runs[-1])

    @property
    def result(self) -> Any:
        return self._representative.result

    @property
    def session(self) -> Session:
        return self._representative.session

    @property
    def passes(self) -> int:
        return sum(1 for r in self.runs if r.passed)

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.passes, len(self.runs), self.confidence)

    @property
    def passed(self) -> bool:
        if self.min_pass_rate is None:
            return self.passes == len(self.runs)
        return self.interval[0] >= self.min_pass_rate

    @cached_property
    def clusters(self) -> list[TrajectoryCluster]:
        """The trajectories this variant's runs took, the most common first."""
        return cluster_trajectories([r.run for r in self.runs], confidence=self.confidence)

    @property
    def problem(self) -> str | None:
        if self.passed:
            return None
        if len(self.runs) == 1:
            return self.runs[0].problem
        failures = len(self.runs) - self.passes
        rate = describe_interval(self.passes, len(self.runs), self.confidence)
        text = f"fails {failures}/{len(self.runs)} (pass rate {rate})"
        if self.min_pass_rate is not None:
            text += f", under min_pass_rate {self.min_pass_rate:g}"
        concentration = failure_concentration(self.clusters)
        if concentration is not None:
            text += f", {concentration.describe()}"
        return text

    def describe(self) -> str:
        """The variant's verdict and where to look, for failure messages."""
        if len(self.runs) == 1:
            return f"{self.phrasing!r}: {self.problem}\n    {_where(self.session)}"
        lines = [f"{self.phrasing!r}: {self.problem or self.summary()}"]
        concentration = failure_concentration(self.clusters)
        if concentration is not None and self.reference is not None:
            departure = concentration.cluster.trajectory.departure(self.reference)
            if departure is not None:
                lines.append(f"    departs from the most common passing path: {departure.describe('it')}")
        failed = [r for r in self.runs if not r.passed]
        for run in failed[:_SHOWN_RUNS]:
            problem = (run.problem or "").splitlines()[0]
            lines.append(f"    run {run.index}: {problem} · {_where(run.session)}")
        if len(failed) > _SHOWN_RUNS:
            lines.append(f"    … and {len(failed) - _SHOWN_RUNS} more failing runs")
        return "\n".join(lines)

    def summary(self) -> str:
        """`5/5 passed (100%, 95% interval 56.6% to 100%) · 1 trajectory`."""
        count = len(self.clusters)
        rate = describe_rate(self.passes, len(self.runs), self.confidence)
        return f"{rate} · {count} trajector{'y' if count == 1 else 'ies'}"

    def report_lines(self) -> list[str]:
        """The pass rate and every trajectory taken, with its count and passes."""
        lines = [f"{self.phrasing!r}: {self.summary()}"]
        for c in self.clusters:
            lines.append(f"    {c.count} runs, {c.passes} passed: {c.trajectory.label()}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "phrasing": self.phrasing,
            "runs": len(self.runs),
            "passes": self.passes,
            "interval": [low, high],
            "confidence": self.confidence,
            "min_pass_rate": self.min_pass_rate,
            "passed": self.passed,
            "problem": self.problem,
            "trajectories": [c.to_dict() for c in self.clusters],
        }


@dataclass(frozen=True)
class VariationResults:
    outcomes: tuple[VariantOutcome, ...]

    @property
    def failures(self) -> list[VariantOutcome]:
        return [o for o in self.outcomes if not o.passed]

    def report(self) -> str:
        """Every variant's pass rate with its interval and the trajectories its runs took."""
        return "\n".join(line for o in self.outcomes for line in o.report_lines())

    def assert_all_passed(self) -> None:
        __tracebackhide__ = True
        failures = self.failures
        if failures:
            lines = [f"{len(failures)} of {len(self.outcomes)} variations failed:"]
            lines += [f"  {o.describe()}" for o in failures]
            if any(len(o.runs) > 1 for o in self.outcomes):
                lines.append("every variant:")
                lines += [f"  {line}" for line in self.report().splitlines()]
            raise AssertionError("\n".join(lines))


def _problem(result: Any, session: Session, check: Check | None, expect_steps: Sequence[Any] | None) -> str | None:
    if expect_steps is not None:
        try:
            assert_steps(session, expect_steps)
        except AssertionError as exc:
            return "wrong steps: " + str(exc).replace("\n", "\n    ")
    if check is not None:
        try:
            ok = check(result, session)
        except AssertionError as exc:
            return "check failed: " + (str(exc).replace("\n", "\n    ") or "AssertionError")
        if ok is not None and not ok:
            return f"check failed: the agent returned {result!r}"
    return None


@dataclass(frozen=True)
class _Judge:
    """How every phrasing is run and judged."""

    check: Check | None
    expect_steps: Sequence[Any] | None
    name: str
    tags: tuple[str, ...]
    repeats: int
    min_pass_rate: float | None
    confidence: float

    @classmethod
    def of(cls, check: Check | None, expect_steps: Sequence[Any] | None, name: str, tags: Iterable[str],
           repeats: int, min_pass_rate: float | None, confidence: float) -> _Judge:  # fmt: skip
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
            raise ConfigurationError(f"repeats must be a whole number of runs, at least 1 (got {repeats!r})")
        rate = None if min_pass_rate is None else check_rate(min_pass_rate)
        return cls(check, expect_steps, name, tuple(tags), repeats, rate, check_confidence(confidence))

    def variant(self, agent: Callable[[str], Any], phrasing: str) -> VariantOutcome:
        runs = tuple(self._run(agent, phrasing, i) for i in range(1, self.repeats + 1))
        return VariantOutcome(phrasing, runs, self.min_pass_rate, self.confidence)

    def _run(self, agent: Callable[[str], Any], phrasing: str, index: int) -> VariantRun:
        from ..capture import start_session
        from ._recording import child_watcher, recorded_session

        attributes: dict[str, Any] = {sc.AGENTOPS_VARIATION_PHRASING: phrasing}
        run_tags = [*self.tags, "variation"]
        if self.repeats > 1:
            attributes.update({sc.AGENTOPS_RUN_INDEX: index, sc.AGENTOPS_RUN_COUNT: self.repeats})
            run_tags.append(f"run:{index}")
        handle = start_session(tags=run_tags, name=self.name, **attributes)
        watcher = child_watcher()
        started = watcher.watch(handle.session_id)
        result: Any = None
        problem: str | None
        try:
            result = agent(phrasing)
        except Exception as exc:  # the run failed; the others still run
            problem = f"raised {type(exc).__name__}: {exc}"
            session = handle.end("Fail", problem)
            failing = session.failing_step
            if failing is not None:
                problem += f" (at {failing.kind} {failing.name})"
        else:
            problem = _problem(result, handle.get(), self.check, self.expect_steps)
            session = handle.end("Fail" if problem else "Success", problem.splitlines()[0] if problem else None)
        finally:
            watcher.unwatch(handle.session_id)
        children = tuple(s for s in map(recorded_session, started) if s is not None)
        return VariantRun(index, result, session, problem, children)


def _reference(outcomes: Iterable[VariantOutcome]) -> Trajectory | None:
    """The most common trajectory among passing runs (of every variant given)."""
    passing = [r.run for o in outcomes for r in o.runs if r.passed]
    clusters = cluster_trajectories(passing)
    return clusters[0].trajectory if clusters else None


def run_variant(
    agent: Callable[[str], Any],
    phrasing: str,
    *,
    check: Check | None = None,
    expect_steps: Sequence[str | StepPattern] | None = None,
    name: str = "variation",
    tags: Iterable[str] = (),
    raise_on_failure: bool = True,
    repeats: int = 1,
    min_pass_rate: float | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> VariantOutcome:
    """Run `agent(phrasing)` `repeats` times, each in a session of its own, and judge it; raise
    AssertionError if it failed (every run must pass, or the pass rate's lower bound reach min_pass_rate)."""
    __tracebackhide__ = True
    judge = _Judge.of(check, expect_steps, name, tags, repeats, min_pass_rate, confidence)
    outcome = judge.variant(agent, phrasing)
    outcome = replace(outcome, reference=_reference([outcome]))
    if raise_on_failure and not outcome.passed:
        raise AssertionError(outcome.describe())
    return outcome


def run_variations(
    agent: Callable[[str], Any],
    phrasings: Iterable[str],
    *,
    check: Check | None = None,
    expect_steps: Sequence[str | StepPattern] | None = None,
    name: str = "variation",
    tags: Iterable[str] = (),
    repeats: int = 1,
    min_pass_rate: float | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> VariationResults:
    """Run every phrasing `repeats` times (each run in its own session, failures included) and return
    how each went."""
    judge = _Judge.of(check, expect_steps, name, tags, repeats, min_pass_rate, confidence)
    outcomes = [judge.variant(agent, p) for p in phrasings]
    reference = _reference(outcomes)
    return VariationResults(tuple(replace(o, reference=reference) for o in outcomes))


def assert_variations(
    agent: Callable[[str], Any],
    phrasings: Iterable[str],
    *,
    check: Check | None = None,
    expect_steps: Sequence[str | StepPattern] | None = None,
    name: str = "variation",
    tags: Iterable[str] = (),
    repeats: int = 1,
    min_pass_rate: float | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> VariationResults:
    """Run every phrasing, then fail listing each failing variant with its reason and replay links
    (and, with repeats, every variant's pass rate and trajectories)."""
    __tracebackhide__ = True
    results = run_variations(
        agent,
        phrasings,
        check=check,
        expect_steps=expect_steps,
        name=name,
        tags=tags,
        repeats=repeats,
        min_pass_rate=min_pass_rate,
        confidence=confidence,
    )
    results.assert_all_passed()
    return results
