"""Trajectories and clusters in the model, and the Wilson intervals every judge shares.

The agent is the real `openai` client against the loopback model of `tests._flaky_agent`, whose
choices come from a seeded random source: which runs escalate is computed before they run.
"""

from __future__ import annotations

import contextlib
import json
import math

import pytest

import agentops_otel as agentops
from agentops_otel._stats import describe_rate, runs_needed, statistic, wilson_interval
from agentops_otel.errors import ConfigurationError
from agentops_otel.model import (
    Run,
    Session,
    argument_shape,
    cluster_trajectories,
    failure_concentration,
    runs_of,
    trajectory,
)
from tests._flaky_agent import expected, instrumented, scripted_client, support_agent, wilson

Z = {0.95: 1.959963984540054, 0.9: 1.6448536269514722, 0.99: 2.5758293035489004}


@pytest.mark.parametrize(("passes", "runs"), [(0, 1), (1, 1), (7, 10), (14, 20), (0, 4), (99, 100), (500, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_matches_the_formula(passes: int, runs: int, confidence: float) -> None:
    low, high = wilson_interval(passes, runs, confidence)
    want_low, want_high = wilson(passes, runs, Z[confidence])
    assert low == pytest.approx(want_low, abs=1e-12) and high == pytest.approx(want_high, abs=1e-12)
    assert 0 <= low <= passes / runs <= high <= 1


def test_wilson_edges_and_bad_input() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[0] == pytest.approx(10 / (10 + Z[0.95] ** 2))  # all passing: n / (n + z²)
    with pytest.raises(ValueError, match="between 0 and runs"):
        wilson_interval(3, 2)
    for bad in (0, 1, 1.5, True, "0.95"):
        with pytest.raises(ConfigurationError, match="confidence must be a number between 0 and 1"):
            wilson_interval(1, 2, bad)  # type: ignore[arg-type]
    assert describe_rate(7, 10) == "7/10 passed (70%, 95% interval 39.7% to 89.2%)"


def test_runs_needed_is_the_fewest_runs_whose_lower_bound_can_reach_the_threshold() -> None:
    for rate, confidence in ((0.9, 0.95), (0.5, 0.95), (0.95, 0.9), (0.99, 0.99)):
        n = runs_needed(rate, confidence)
        assert n is not None
        assert wilson(n, n, Z[confidence])[0] >= rate > wilson(n - 1, n - 1, Z[confidence])[0]
    assert runs_needed(0.9) == 35
    assert runs_needed(1.0) is None
    assert runs_needed(0.0) == 1


def test_nearest_rank_statistics() -> None:
    assert statistic([3.0, 1.0, 2.0], "mean") == 2.0
    assert statistic([float(v) for v in range(1, 21)], "p95") == 19.0


def test_argument_shapes_keep_keys_and_kinds() -> None:
    shape = argument_shape({"order": "A-1", "amount": 40, "ok": True, "notes": None, "items": ["a", 2, "b"], "x": {}})
    assert shape == {
        "amount": "number",
        "items": ["number", "str"],
        "notes": "null",
        "ok": "bool",
        "order": "str",
        "x": {},
    }
    assert argument_shape([{"a": 1}, {"a": 2}]) == [{"a": "number"}]  # same shape: one entry
    assert argument_shape(12.5) == argument_shape(3) == "number"


@pytest.fixture(autouse=True)
def pipeline() -> None:
    agentops.init(store=False, instrument_llm=False)


SUB_AGENTS: list[agentops.SessionHandle] = []


@agentops.tool("lookup")
def lookup(order_id: str, when: str = "now") -> str:
    return order_id


@agentops.record_action("refund")
def refund(amount: float) -> None:
    if amount > 100:
        raise ValueError("too much")


@agentops.agent("billing")
def billing_agent(amount: float) -> None:
    lookup("A-1", when="today")
    with agentops.session("sub-agent") as sub:
        SUB_AGENTS.append(sub)
        refund(amount)


def _case(amount: float) -> tuple[Session, Session]:
    """A session running the billing agent, and the sub-agent session it started."""
    handle = agentops.start_session(name="case")
    with contextlib.suppress(ValueError):
        billing_agent(amount)
    outer = handle.end("Success" if amount <= 100 else "Fail")
    return outer, SUB_AGENTS[-1].get()


def test_trajectory_keeps_kinds_names_nesting_shapes_and_errors() -> None:
    outer, child = _case(150)
    alone = trajectory(outer)
    assert [s.label() for s in alone] == [
        "agent billing(amount: number)  !! ValueError",
        "tool lookup(order_id: str, when: str)",
    ]
    nested = trajectory(outer, children=[child])
    assert nested.lines() == [
        "    1. agent billing(amount: number)  !! ValueError",
        "    2.   tool lookup(order_id: str, when: str)",
        "    3.   session sub-agent",
        "    4.     action refund(amount: number)  !! ValueError",
    ]
    valued = trajectory(outer, children=[child], include_values=True, ignore=["when"])
    assert valued[1].label() == "tool lookup(order_id='A-1')"
    assert valued[3].to_dict() == {
        "kind": "action",
        "name": "refund",
        "depth": 3,
        "arguments": {"amount": 150},
        "error": "ValueError",
    }
    again, again_child = _case(150)
    assert trajectory(again, children=[again_child]) == nested
    assert hash(trajectory(again, children=[again_child])) == hash(nested)
    cheaper, cheaper_child = _case(20)
    assert trajectory(cheaper, children=[cheaper_child]) != nested  # no error this time
    assert trajectory(cheaper, children=[cheaper_child], include_values=False) != trajectory(
        again, children=[again_child], include_values=True
    )
    departure = trajectory(cheaper, children=[cheaper_child]).departure(nested)
    assert departure is not None and departure.index == 0  # the agent step failed too, there
    assert departure.describe() == (
        "step 1 is agent billing(amount: number), where the most common has agent billing(amount: number)"
        "  !! ValueError"
    )
    assert trajectory(outer).departure(nested) is not None
    shorter = trajectory(outer).departure(nested)
    assert shorter is not None and shorter.describe().startswith("stops after step 2, where the most common goes on")


def test_runs_fold_the_sessions_started_inside_a_session() -> None:
    outer, child = _case(20)
    lonely, lonely_child = _case(20)
    runs = runs_of([child, outer, lonely_child])
    assert [(r.session.name, [c.name for c in r.children]) for r in runs] == [
        ("case", ["sub-agent"]),
        ("sub-agent", []),  # its parent was not given: a run of its own
    ]
    assert runs[0].cost == 0.0 and runs[0].passed is True and Run(child).passed is True
    clusters = cluster_trajectories([outer, child, lonely])
    assert [c.count for c in clusters] == [1, 1]  # the outer run includes its sub-agent; `lonely` does not


def _flaky_sessions(seed: str, text: str, runs: int) -> list[Session]:
    sessions = []
    with scripted_client(seed) as client:
        for _ in range(runs):
            handle = agentops.start_session(name="support")
            support_agent(client, text)
            escalated = any(s.name == "escalate" for s in handle.get().tool_events)
            sessions.append(handle.end("Fail" if escalated else "Success"))
    return sessions


def test_clusters_count_the_paths_a_seeded_agent_takes() -> None:
    instrumented()  # LLM steps with tokens and cost
    plan = expected("cluster-seed", "you charged me double", 24)
    sessions = _flaky_sessions("cluster-seed", "You charged me double!", 24)
    clusters = cluster_trajectories(sessions)
    escalations = sum(plan)
    assert 0 < escalations < 24 - escalations  # the seed gives a mix, lookups the most common
    assert [(c.count, c.passes, c.failures) for c in clusters] == [
        (24 - escalations, 24 - escalations, 0),
        (escalations, 0, escalations),
    ]
    ok, bad = clusters
    assert ok.trajectory.label() == "llm gpt-4o → tool lookup_order(order_id: str) → llm gpt-4o"
    assert bad.departure is not None and bad.departure.to_dict()["step"] == 2
    assert bad.departure.describe() == (
        "step 2 is tool escalate(priority: number, reason: str), "
        "where the most common has tool lookup_order(order_id: str)"
    )
    assert [r.session for r in bad.runs] == [s for s, fails in zip(sessions, plan, strict=True) if fails]
    assert bad.interval == pytest.approx(wilson(0, escalations, Z[0.95]))
    concentration = failure_concentration(clusters)
    assert concentration is not None and concentration.always and concentration.cluster is bad
    data = json.loads(json.dumps([c.to_dict() for c in clusters]))
    assert data[0]["cost"]["unpriced"] == 0 and data[0]["cost"]["mean"] == pytest.approx(
        sum(r.session.cost for r in ok.runs) / ok.count  # type: ignore[misc]
    )
    durations = sorted(r.session.duration for r in ok.runs)  # type: ignore[type-var]
    assert data[0]["duration"]["p95"] == durations[math.ceil(0.95 * len(durations)) - 1]
    assert data[1]["failed_sessions"] == [r.session_id for r in bad.runs] and data[1]["pass_rate"] == 0.0
