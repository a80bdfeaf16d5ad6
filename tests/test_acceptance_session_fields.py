"""Acceptance: every field issue 3 promises on `get_session()` and on its events, as a user reads them."""

from __future__ import annotations

from datetime import datetime

import pytest

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, LLMEvent, ToolEvent
from agentops_otel import semconv as sc
from agentops_otel.testing import assert_cost_under
from tests._capture import ensure_pipeline


@pytest.fixture(autouse=True)
def _pipeline():
    ensure_pipeline()


@agentops.record_tool("charge_card")
def charge_card(amount: float) -> dict:
    if amount > 100:
        raise RuntimeError("card declined")
    return {"charged": amount}


@agentops.agent("billing")
def billing(amount: float) -> dict:
    return charge_card(amount)


def test_every_promised_session_field():
    with agentops.session("fields", tags=["billing", "v2.1"]):
        billing(10)
        agentops.record(ActionEvent(action_type="classify", params={"text": "hi"}, returns="billing"))
        agentops.record(
            LLMEvent(model="gpt-4o", prompt="hi", completion="yo", prompt_tokens=1000, completion_tokens=100)
        )
        agentops.record(ErrorEvent(error_type="Timeout", details="slow upstream"))
    session = agentops.get_session()
    assert session.session_id and len(session.trace_id) == 32
    assert session.tags == ["billing", "v2.1"]
    assert (session.end_state, session.end_state_reason) == ("Success", None)
    assert isinstance(session.started_at, datetime) and isinstance(session.ended_at, datetime)
    assert session.duration == pytest.approx((session.ended_at - session.started_at).total_seconds(), abs=1e-3)
    assert [(s.kind, s.name) for s in session.steps] == [
        ("agent", "billing"),
        ("tool", "charge_card"),
        ("action", "classify"),
        ("llm", "gpt-4o"),
        ("error", "Timeout"),
    ]
    assert [e.action_type for e in session.action_events] == ["classify"]
    assert [t.name for t in session.tool_events] == ["charge_card"]
    assert [m.model for m in session.llm_events] == ["gpt-4o"]
    assert [str(e.error) for e in session.error_events] == ["Timeout: slow upstream"]
    assert (session.usage.input_tokens, session.usage.output_tokens) == (1000, 100)
    assert session.cost == pytest.approx(1000 * 2.5e-6 + 100 * 10e-6)  # gpt-4o list prices
    assert session.failing_step is None
    assert session.url
    tool = session.tool_events[0]
    assert (tool.params, tool.returns, tool.error) == ({"amount": 10}, {"charged": 10}, None)
    assert tool.started_at <= tool.ended_at and tool.duration >= 0 and len(tool.span_id) == 16


def test_a_failed_session_names_the_deepest_failing_step():
    with pytest.raises(RuntimeError, match="card declined"), agentops.session("fails"):
        billing(500)
    session = agentops.get_session()
    assert session.end_state == "Fail"
    assert session.end_state_reason == "RuntimeError: card declined"
    assert (session.failing_step.kind, session.failing_step.name) == ("tool", "charge_card")
    assert session.tool_events[0].error.type.endswith("RuntimeError")
    assert session.tool_events[0].error.message == "card declined"


def test_get_session_is_fresh_and_reads_cost_before_the_end():
    handle = agentops.start_session(tags=["live"])
    agentops.record(LLMEvent(model="gpt-4o-mini", prompt="a", completion="b", prompt_tokens=100, completion_tokens=10))
    live = agentops.get_session()
    assert live.end_state is None and live.ended_at is None
    assert live.cost == pytest.approx(100 * 0.15e-6 + 10 * 0.6e-6)
    assert_cost_under(handle, 0.01)
    agentops.record(ToolEvent(name="search", params={"q": "x"}, returns=["r"]))
    assert [t.name for t in agentops.get_session().tool_events] == ["search"]
    assert live.tool_events == []  # the earlier read does not change under the user's feet
    agentops.end_session("Success")
    assert agentops.get_session().end_state == "Success"


def test_an_unpriced_model_fails_a_cost_budget_with_the_reason():
    with agentops.session("unpriced"):
        agentops.record(
            LLMEvent(model="acme-internal-7b", prompt="a", completion="b", prompt_tokens=5, completion_tokens=5)
        )
    session = agentops.get_session()
    assert session.cost is None and len(session.unpriced_steps) == 1
    with pytest.raises(AssertionError, match="could not be priced"):
        assert_cost_under(session, 0.01)


@pytest.mark.parametrize(
    ("state", "recorded", "given"),
    [("OK", "Success", None), ("Failure", "Fail", None), (None, "Success", None), (1, "Indeterminate", "1")],
)
def test_an_end_state_is_read_as_agentops_meant_it_and_never_refused(state, recorded, given):
    # Issue 15: AgentOps' code ends sessions with "Error", "Failure", TraceState... in except blocks,
    # so an end state never raises; one we do not know is kept as given, the session Indeterminate.
    agentops.start_session(tags=["odd-end"])
    session = agentops.end_session(state)
    assert session.end_state == recorded
    assert session.root.attributes.get(sc.AGENTOPS_SESSION_END_STATE_GIVEN) == given
