"""Variation testing: one agent over many phrasings, a session each, every failing variant reported."""

from __future__ import annotations

import pytest

import agentops_otel as agentops
from agentops_otel import semconv as sc
from agentops_otel.testing import assert_tool_called, assert_variations, run_variant, run_variations
from tests._capture import ensure_pipeline


@agentops.record_action("route")
def route(queue: str | None) -> str:
    if queue is None:
        raise ValueError("no queue for this intent")
    return queue


def classify(text: str) -> str:
    """A deliberately brittle agent: 'refund' goes nowhere, questions are misread."""
    agentops.record(
        agentops.LLMEvent(model="gpt-4o", prompt=text, completion="?", prompt_tokens=4, completion_tokens=1)
    )
    if "refund" in text:
        route(None)
    intent = "other" if text.endswith("??") else "billing"
    if intent == "billing":
        route("billing")
    return intent


PHRASINGS = ["I was charged twice", "double charge on my card", "why two payments??", "refund me"]


def test_every_failing_variant_is_reported_with_its_reason_and_link() -> None:
    ensure_pipeline()
    with pytest.raises(AssertionError) as excinfo:
        assert_variations(classify, PHRASINGS, check=lambda result, session: result == "billing")
    lines = str(excinfo.value).splitlines()
    assert lines[0] == "2 of 4 variations failed:"
    assert lines[1] == "  'why two payments??': check failed: the agent returned 'other'"
    assert lines[2].startswith("    replay: ")
    assert lines[3] == ("  'refund me': raised ValueError: no queue for this intent (at action route)")


def test_outcomes_carry_sessions_ended_by_the_verdict() -> None:
    ensure_pipeline()
    results = run_variations(
        classify, PHRASINGS, expect_steps=["llm", "action:route"], tags=["robustness"], name="billing-intent"
    )
    assert [o.passed for o in results.outcomes] == [True, True, False, False]
    states = [(o.session.name, o.session.end_state, o.session.tags) for o in results.outcomes]
    assert states == [
        ("billing-intent", s, ["robustness", "variation"]) for s in ("Success", "Success", "Fail", "Fail")
    ]
    phrasings = [o.session.root.attributes[sc.AGENTOPS_VARIATION_PHRASING] for o in results.outcomes]
    assert phrasings == PHRASINGS
    wrong = results.failures[0]
    assert wrong.problem is not None and wrong.problem.startswith(
        "wrong steps: matched 1 of 2 expected steps in order; no 'action:route' after step `llm gpt-4o`"
    )
    assert wrong.session.end_state_reason == wrong.problem.splitlines()[0]
    assert results.failures[1].session.failing_step is not None


def test_checks_may_use_the_assertions() -> None:
    ensure_pipeline()
    with pytest.raises(AssertionError, match="check failed: tool 'lookup' was never called"):
        run_variant(classify, "charged twice", check=lambda result, session: assert_tool_called(session, "lookup"))


@pytest.mark.parametrize("text", PHRASINGS[:2])
def test_parametrised_variants_pass_on_their_own(text: str) -> None:
    ensure_pipeline()
    outcome = run_variant(classify, text, check=lambda result, session: result == "billing")
    assert outcome.passed and outcome.session.end_state == "Success"


def test_a_parametrised_variant_fails_with_its_link() -> None:
    ensure_pipeline()
    with pytest.raises(AssertionError, match=r"^'refund me': raised ValueError: no queue for this intent"):
        run_variant(classify, "refund me")


def test_variants_started_inside_a_session_are_linked_to_it() -> None:
    ensure_pipeline()
    with agentops.session("outer") as outer:
        results = run_variations(classify, PHRASINGS[:2])
    assert {o.session.parent_session_id for o in results.outcomes} == {outer.session_id}
