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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import semconv as sc
from ..model import Session
from ._describe import replay_link
from .assertions import StepPattern, assert_steps

__all__ = ["VariantOutcome", "VariationResults", "assert_variations", "run_variant", "run_variations"]

Check = Callable[[Any, Session], Any]


@dataclass(frozen=True)
class VariantOutcome:
    """How one phrasing went: the agent's result, its session, and why it failed (None if it passed)."""

    phrasing: str
    result: Any
    session: Session
    problem: str | None

    @property
    def passed(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        link = replay_link(self.session)
        where = f"replay: {link}" if link else f"session {self.session.session_id}"
        return f"{self.phrasing!r}: {self.problem}\n    {where}"


@dataclass(frozen=True)
class VariationResults:
    outcomes: tuple[VariantOutcome, ...]

    @property
    def failures(self) -> list[VariantOutcome]:
        return [o for o in self.outcomes if not o.passed]

    def assert_all_passed(self) -> None:
        __tracebackhide__ = True
        failures = self.failures
        if failures:
            lines = [f"{len(failures)} of {len(self.outcomes)} variations failed:"]
            lines += [f"  {o.describe()}" for o in failures]
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


def run_variant(
    agent: Callable[[str], Any],
    phrasing: str,
    *,
    check: Check | None = None,
    expect_steps: Sequence[str | StepPattern] | None = None,
    name: str = "variation",
    tags: Iterable[str] = (),
    raise_on_failure: bool = True,
) -> VariantOutcome:
    """Run `agent(phrasing)` in a session of its own and judge it; raise AssertionError if it failed."""
    __tracebackhide__ = True
    from ..capture import start_session

    handle = start_session(tags=[*tags, "variation"], name=name, **{sc.AGENTOPS_VARIATION_PHRASING: phrasing})
    result: Any = None
    problem: str | None
    try:
        result = agent(phrasing)
    except Exception as exc:  # the variant failed; the others still run
        problem = f"raised {type(exc).__name__}: {exc}"
        session = handle.end("Fail", problem)
        failing = session.failing_step
        if failing is not None:
            problem += f" (at {failing.kind} {failing.name})"
    else:
        problem = _problem(result, handle.get(), check, expect_steps)
        session = handle.end("Fail" if problem else "Success", problem.splitlines()[0] if problem else None)
    outcome = VariantOutcome(phrasing, result, session, problem)
    if raise_on_failure and problem is not None:
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
) -> VariationResults:
    """Run every phrasing (each in its own session, failures included) and return how each went."""
    tags = tuple(tags)
    return VariationResults(
        tuple(
            run_variant(agent, p, check=check, expect_steps=expect_steps, name=name, tags=tags, raise_on_failure=False)
            for p in phrasings
        )
    )


def assert_variations(
    agent: Callable[[str], Any],
    phrasings: Iterable[str],
    *,
    check: Check | None = None,
    expect_steps: Sequence[str | StepPattern] | None = None,
    name: str = "variation",
    tags: Iterable[str] = (),
) -> VariationResults:
    """Run every phrasing, then fail listing each failing variant with its reason and replay link."""
    __tracebackhide__ = True
    results = run_variations(agent, phrasings, check=check, expect_steps=expect_steps, name=name, tags=tags)
    results.assert_all_passed()
    return results
