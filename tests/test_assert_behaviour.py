"""Behavioural assertions on sessions recorded by the real capture API (in-process pipeline)."""

from __future__ import annotations

import dataclasses
import re

import pytest

import agentops_otel as agentops
from agentops_otel.errors import ConfigurationError
from agentops_otel.model import Session
from agentops_otel.testing import (
    assert_action_called,
    assert_called,
    assert_called_before,
    assert_called_with,
    assert_cost_under,
    assert_max_llm_calls,
    assert_no_errors,
    assert_no_none_arguments,
    assert_not_called,
    assert_steps,
    assert_tokens_under,
    assert_tool_called,
    assert_tool_not_called,
    step,
)
from tests._capture import ensure_pipeline


@agentops.tool("search")
def search(query: str, limit: int = 3) -> list[str]:
    return [query] * limit


@agentops.record_action("fetch_customer_data")
def fetch_customer_data(customer_id: str | None) -> dict[str, str]:
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id}


@agentops.tool("issue_refund")
def issue_refund(amount: float, currency: str = "EUR") -> str:
    return "ok"


def _llm(model: str = "gpt-4o", tokens: tuple[int, int] = (100, 20)) -> None:
    agentops.record(
        agentops.LLMEvent(
            model=model,
            prompt="I was charged twice",
            completion="billing",
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
        )
    )


@pytest.fixture
def support_run() -> Session:
    """llm -> search -> fetch_customer_data(None) fails -> issue_refund(50) -> llm."""
    ensure_pipeline()
    with agentops.session("support", tags=["assert"]) as handle:
        _llm()
        search("refund policy")
        with pytest.raises(ValueError):
            fetch_customer_data(None)
        issue_refund(50.0, currency="EUR")
        _llm()
    return handle.get()


def _message(excinfo: pytest.ExceptionInfo[AssertionError]) -> str:
    return str(excinfo.value)


def test_passing_assertions_return_the_matching_steps(support_run: Session) -> None:
    assert [s.name for s in assert_tool_called(support_run, "search", times=1)] == ["search"]
    assert_action_called(support_run, "fetch_customer_data")
    assert_called(support_run, "issue_refund", at_least=1, at_most=1)
    assert_not_called(support_run, "delete_account")
    assert_tool_not_called(support_run, "fetch_customer_data")  # an action, not a tool
    assert_called_before(support_run, "search", "issue_refund")
    matched = assert_called_with(support_run, "issue_refund", amount=lambda v: v < 100, currency="EUR")
    assert matched.params == {"amount": 50.0, "currency": "EUR"}
    assert_steps(support_run, ["llm", "tool:search", "issue_refund", "llm"])
    assert_steps(support_run, ["llm", "search", "action:fetch_*", "tool:issue_refund", "llm:gpt-4o"], exact=True)
    assert_max_llm_calls(support_run, 2)
    assert_cost_under(support_run, 0.01)
    assert_tokens_under(support_run, 241)


def test_wrong_count_shows_the_actual_sequence_compactly(support_run: Session) -> None:
    with pytest.raises(AssertionError) as excinfo:
        assert_tool_called(support_run, "search", times=2)
    message = _message(excinfo)
    assert message.splitlines()[0] == "tool 'search' was called 1 time, expected exactly 2 times"
    assert f"session {support_run.session_id} 'support' (Success)" in message
    assert "   1. llm gpt-4o\n" in message
    assert "   2. tool search(query='refund policy')\n" in message
    assert "   3. action fetch_customer_data(customer_id=None)  !! ValueError: customer_id cannot be None" in message
    assert "   4. tool issue_refund(amount=50.0, currency='EUR')" in message


def test_order_failure_points_at_the_step_that_came_first(support_run: Session) -> None:
    with pytest.raises(AssertionError) as excinfo:
        assert_called_before(support_run, "issue_refund", "search")
    message = _message(excinfo)
    assert "expected 'issue_refund' before 'search', but 'search' ran first (step 2)" in message
    assert re.search(r"2\. tool search\(.*\)  <-", message)
    with pytest.raises(AssertionError, match="'escalate' never ran"):
        assert_called_before(support_run, "search", "escalate")


def test_called_with_explains_each_call_that_did_not_match(support_run: Session) -> None:
    with pytest.raises(AssertionError) as excinfo:
        assert_called_with(support_run, "issue_refund", amount=lambda v: v > 100)
    assert "no call of 'issue_refund' matched amount=<lambda>:" in _message(excinfo)
    assert "step 4: amount=50.0 does not satisfy <lambda>" in _message(excinfo)
    with pytest.raises(AssertionError, match="step 4: no argument 'reason' \\(got amount, currency\\)"):
        assert_called_with(support_run, "issue_refund", reason="duplicate")
    with pytest.raises(AssertionError, match="predicate <lambda> raised AttributeError"):
        assert_called_with(support_run, "issue_refund", amount=lambda v: v.upper())
    with pytest.raises(AssertionError, match="'cancel' was never called"):
        assert_called_with(support_run, "cancel", {"name": "x"})


def test_arguments_named_like_parameters_go_in_the_dict() -> None:
    ensure_pipeline()
    with agentops.session("dict-args") as handle:
        agentops.record(agentops.ToolEvent(name="lookup", params={"name": "ada", "session": 1}))
    assert_called_with(handle, "lookup", {"name": "ada", "session": 1})


def test_no_none_arguments_names_the_step_and_argument(support_run: Session) -> None:
    with pytest.raises(AssertionError) as excinfo:
        assert_no_none_arguments(support_run)
    assert "step 3: action fetch_customer_data: customer_id is None" in _message(excinfo)


def test_subsequence_failure_says_how_far_it_matched(support_run: Session) -> None:
    with pytest.raises(AssertionError) as excinfo:
        assert_steps(support_run, ["tool:search", "tool:issue_refund", "tool:search"])
    expected = "matched 2 of 3 expected steps in order; no 'tool:search' after step `tool issue_refund("
    assert expected in _message(excinfo)


def test_exact_sequence_failures(support_run: Session) -> None:
    with pytest.raises(AssertionError, match="step 2 is `tool search\\(query='refund policy'\\)`, expected 'llm'"):
        assert_steps(support_run, ["llm", "llm"], exact=True)
    with pytest.raises(AssertionError, match="expected 2 steps, the session has 5: unexpected `action fetch_customer"):
        assert_steps(support_run, ["llm", "search"], exact=True)
    with pytest.raises(AssertionError, match="expected 6 steps, the session has 5: missing 'error'"):
        assert_steps(support_run, ["llm", "search", "action", "tool", "llm", "error"], exact=True)


def test_step_patterns_with_arguments(support_run: Session) -> None:
    assert_steps(support_run, [step("tool:issue_refund", amount=50.0)])
    with pytest.raises(AssertionError, match="no tool:issue_refund\\(amount=<lambda>\\)"):
        assert_steps(support_run, [step("tool:issue_refund", amount=lambda v: v > 60)])


def test_bad_step_patterns_are_configuration_errors(support_run: Session) -> None:
    with pytest.raises(ConfigurationError, match="'tol' is not a step kind"):
        assert_steps(support_run, ["tol:search"])
    with pytest.raises(ConfigurationError, match="empty step pattern"):
        assert_steps(support_run, [" "])
    with pytest.raises(TypeError, match="not int"):
        assert_steps(support_run, [3])  # type: ignore[list-item]


def test_budgets(support_run: Session) -> None:
    with pytest.raises(AssertionError, match=r"^2 LLM calls, expected at most 1"):
        assert_max_llm_calls(support_run, 1)
    with pytest.raises(AssertionError, match=r"^240 tokens \(200 in, 40 out\) is not under the budget of 240"):
        assert_tokens_under(support_run, 240)
    with pytest.raises(AssertionError, match=r"^cost \$0\.\d+ is not under the budget of \$0\.000001"):
        assert_cost_under(support_run, 0.000001)


def test_unpriced_call_fails_a_cost_assertion_with_the_reason() -> None:
    ensure_pipeline()
    with agentops.session("unpriced") as handle:
        _llm()
        _llm(model="in-house-model-7")
    with pytest.raises(AssertionError) as excinfo:
        assert_cost_under(handle, 100.0)
    message = _message(excinfo)
    assert message.startswith("cost unknown: 1 LLM call(s) could not be priced (the priced calls cost $0.000")
    assert "llm in-house-model-7: " in message and "in-house-model-7" in message.splitlines()[1]


def test_no_errors_lists_every_failed_step(support_run: Session) -> None:
    with pytest.raises(AssertionError) as excinfo:
        assert_no_errors(support_run)
    expected = "1 step(s) failed:\n  step 3: action fetch_customer_data(customer_id=None)  !! ValueError"
    assert expected in _message(excinfo)


def test_a_handle_is_read_when_asserting_not_when_passed() -> None:
    ensure_pipeline()
    handle = agentops.start_session(name="live")
    try:
        with pytest.raises(AssertionError, match="'search' was never called"):
            assert_tool_called(handle, "search")
        search("late")
        assert_tool_called(handle, "search", times=1)
    finally:
        handle.end("Success")


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"expected a Session or a SessionHandle .* got dict"):
        assert_no_errors({"steps": []})


def test_replay_link_in_the_message_and_long_sequences_keep_both_ends() -> None:
    ensure_pipeline()
    with agentops.session("long") as handle:
        for i in range(60):
            search(f"q{i}")
        fetch_customer_data("c1")
    pipeline_session = handle.get()
    linked = dataclasses.replace(pipeline_session, url="http://127.0.0.1:8765/replay/long")
    with pytest.raises(AssertionError) as excinfo:
        assert_not_called(linked, "fetch_customer_data")
    message = _message(excinfo)
    assert "· replay: http://127.0.0.1:8765/replay/long" in message.splitlines()[1]
    assert "   1. tool search(query='q0')" in message
    assert "  61. action fetch_customer_data(customer_id='c1')  <-" in message
    assert "more steps" in message
    assert len(message.splitlines()) < 50
