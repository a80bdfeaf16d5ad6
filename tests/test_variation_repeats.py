"""Variation testing with repeats: pass rates per variant, the trajectories taken, where failures gather.

The agent is `tests._flaky_agent` (the real openai client, a loopback model seeded so which runs
escalate is known). One scripted model answers every phrasing in turn, so the expected choices are
drawn here from one source in the same order.
"""

from __future__ import annotations

import random

import pytest

import agentops_otel as agentops
from agentops_otel import semconv as sc
from agentops_otel.errors import ConfigurationError
from agentops_otel.testing import assert_tool_called, assert_variations, run_variant, run_variations
from tests._flaky_agent import escalates, instrumented, pct, rate_text, scripted_client, support_agent, wilson

PHRASINGS = ["Where is my parcel?", "You charged me double!", "Cancel my account"]
SEED = "variations-4"  # the double-charge phrasing escalates in 4 of its 5 runs with this seed
ESCALATE = "llm gpt-4o → tool escalate(priority: number, reason: str) → llm gpt-4o"
LOOKUP = "llm gpt-4o → tool lookup_order(order_id: str) → llm gpt-4o"


def _looks_up(result: object, session: object) -> None:
    assert_tool_called(session, "lookup_order")


def _plan(seed: str, phrasings: list[str], repeats: int) -> dict[str, list[bool]]:
    rng = random.Random(seed)
    return {p: [escalates(rng, p) for _ in range(repeats)] for p in phrasings}


@pytest.fixture(autouse=True)
def _pipeline() -> None:
    instrumented()


def test_the_report_names_the_variant_whose_failures_take_one_trajectory() -> None:
    plan = _plan(SEED, PHRASINGS, 5)
    assert sum(plan[PHRASINGS[1]]) == 4 and sum(plan[PHRASINGS[2]]) == 5 and not any(plan[PHRASINGS[0]])
    with scripted_client(SEED) as client, pytest.raises(AssertionError) as excinfo:
        assert_variations(lambda text: support_agent(client, text), PHRASINGS, repeats=5, check=_looks_up)
    lines = str(excinfo.value).splitlines()
    low, high = wilson(1, 5)
    assert lines[0] == "2 of 3 variations failed:"
    assert lines[1] == (
        f"  'You charged me double!': fails 4/5 (pass rate 20%, 95% interval {pct(low)} to {pct(high)}), "
        f"always via {ESCALATE}"
    )
    assert lines[2] == (
        "    departs from the most common passing path: step 2 is tool escalate(priority: number, reason: str), "
        "where it has tool lookup_order(order_id: str)"
    )
    failing = [i + 1 for i, fails in enumerate(plan[PHRASINGS[1]]) if fails]
    for n, index in enumerate(failing):
        assert lines[3 + n].startswith(
            f"    run {index}: check failed: tool 'lookup_order' was never called · replay: file://"
        )
    text = str(excinfo.value)
    assert (
        f"'Cancel my account': fails 5/5 (pass rate 0%, 95% interval 0% to {pct(wilson(0, 5)[1])}), always via" in text
    )
    report = text.split("every variant:\n")[1].splitlines()
    assert report == [
        f"  'Where is my parcel?': {rate_text(5, 5)} · 1 trajectory",
        f"      5 runs, 5 passed: {LOOKUP}",
        f"  'You charged me double!': {rate_text(1, 5)} · 2 trajectories",
        f"      4 runs, 0 passed: {ESCALATE}",
        f"      1 runs, 1 passed: {LOOKUP}",
        f"  'Cancel my account': {rate_text(0, 5)} · 1 trajectory",
        f"      5 runs, 0 passed: {ESCALATE}",
    ]


def test_runs_are_sessions_of_their_own_and_min_pass_rate_judges_the_lower_bound() -> None:
    phrasing = "You charged me double!"
    plan = _plan("lenient", [phrasing], 20)[phrasing]
    passes = 20 - sum(plan)
    with scripted_client("lenient") as client:
        results = run_variations(
            lambda text: support_agent(client, text), [phrasing], repeats=20, min_pass_rate=0.3, check=_looks_up
        )
    (outcome,) = results.outcomes
    assert outcome.passes == passes and outcome.interval == pytest.approx(wilson(passes, 20), abs=1e-12)
    assert outcome.passed is (wilson(passes, 20)[0] >= 0.3) and 0 < passes < 20
    assert [r.passed for r in outcome.runs] == [not fails for fails in plan]
    sessions = [r.session for r in outcome.runs]
    assert [s.tags for s in sessions] == [["variation", f"run:{i}"] for i in range(1, 21)]
    assert [s.root.attributes[sc.AGENTOPS_RUN_INDEX] for s in sessions] == list(range(1, 21))
    assert {s.root.attributes[sc.AGENTOPS_VARIATION_PHRASING] for s in sessions} == {phrasing}
    assert [s.end_state for s in sessions] == ["Fail" if f else "Success" for f in plan]
    data = outcome.to_dict()
    assert data["passes"] == passes and [t["count"] for t in data["trajectories"]] == sorted(
        [passes, 20 - passes], reverse=True
    )


def test_a_repeated_variant_raises_with_its_rate_and_its_sub_sessions_are_part_of_its_path() -> None:
    with scripted_client("sub") as client:

        @agentops.session
        def support(text: str) -> str:  # the agent starts its own session inside each run
            return support_agent(client, text)

        with pytest.raises(AssertionError, match=r"^'Cancel my account': fails 3/3 \(pass rate 0%, .*always via"):
            run_variant(support, "Cancel my account", repeats=3, check=_looks_up)
        outcome = run_variant(support, "Where is my parcel?", repeats=2)
    assert outcome.passed and [c.trajectory.label() for c in outcome.clusters] == [f"session support → {LOOKUP}"]
    assert [s.depth for s in outcome.clusters[0].trajectory] == [1, 2, 2, 2]
    assert outcome.session is outcome.runs[-1].session  # no failure: the last run stands for the variant


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repeats": 0}, "repeats must be a whole number of runs, at least 1 (got 0)"),
        ({"repeats": "3"}, "repeats must be a whole number of runs, at least 1 (got '3')"),
        ({"repeats": 2, "min_pass_rate": 2}, "min_pass_rate must be a number between 0 and 1"),
        ({"repeats": 2, "confidence": 1.0}, "confidence must be a number between 0 and 1 exclusive"),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_variations(str, ["x"], **kwargs)  # type: ignore[arg-type]
