"""The step blamed for a failure is where the exception that ended the session was first raised;
errors the agent dealt with are handled, never the cause (issue 14). Real agents, read back through
get_session()/the handle, the store's SQL and the structural rule for traces without our ids."""

from __future__ import annotations

import contextlib

import pytest

import agentops_otel as agentops
from agentops_otel import agent, tool
from agentops_otel.model import build_session
from tests._capture import ensure_pipeline


@pytest.fixture(autouse=True)
def _pipeline():
    ensure_pipeline()


@tool
def search(query: str) -> list[str]:
    raise TimeoutError("search backend timed out")


@tool
def charge(amount: int) -> str:
    raise RuntimeError(f"card declined for {amount}")


@agent
def researcher(topic: str) -> list[str]:
    try:
        return search(topic)
    except TimeoutError:
        return []  # handled: the agent goes on without results


@agent
def billing(amount: int) -> str:
    return charge(amount)


def _names(steps) -> list[str]:
    return [s.name for s in steps]


def test_a_handled_tool_error_in_a_nested_agent_is_not_blamed_for_a_later_one():
    with pytest.raises(RuntimeError), agentops.session("refund") as handle:
        researcher("refunds")
        billing(42)
    session = handle.get()
    assert session.end_state == "Fail"
    assert session.failing_step.name == "charge"
    assert session.failing_step.error.type == "RuntimeError"
    assert _names(session.handled_errors) == ["search"]
    search_step = next(s for s in session.steps if s.name == "search")
    assert search_step.handled and not session.failing_step.handled
    failure = session.failure
    assert failure.step is session.failing_step and failure.number == session.steps.index(failure.step) + 1
    assert _names(failure.handled) == ["search"]
    assert failure.summary.startswith(f"Step {failure.number} (tool charge) raised RuntimeError")
    as_json = session.to_dict()
    assert as_json["failing_step"] == session.failing_step.span_id
    assert as_json["failure"]["handled"] == [search_step.span_id]
    assert [s["handled"] for s in as_json["steps"] if s["name"] == "search"] == [True]


def test_a_handled_error_then_a_key_error_in_the_agents_own_code_blames_no_tool():
    @agent
    def triage(ticket: dict) -> str:
        with contextlib.suppress(TimeoutError):
            search("x")
        return ticket["customer"]  # KeyError, raised in the agent itself

    with pytest.raises(KeyError), agentops.session("triage") as handle:
        triage({})
    session = handle.get()
    assert session.failing_step.name == "triage" and session.failing_step.error.type == "KeyError"
    assert _names(session.handled_errors) == ["search"]


class LookupFailed(Exception):
    pass


@tool
def lookup(order_id: str) -> dict:
    raise KeyError(order_id)


@agent
def explicit_reraiser(order_id: str) -> dict:
    try:
        return lookup(order_id)
    except KeyError as exc:
        raise LookupFailed(f"no order {order_id}") from exc


@agent
def implicit_reraiser(order_id: str) -> dict:
    try:
        return lookup(order_id)
    except KeyError:
        raise LookupFailed(f"no order {order_id}")  # noqa: B904  # the implicit context is the point


@pytest.mark.parametrize("reraiser", [explicit_reraiser, implicit_reraiser], ids=["raise-from", "context"])
def test_a_reraise_with_another_type_blames_where_the_first_exception_was_raised(reraiser):
    with pytest.raises(LookupFailed), agentops.session("orders") as handle:
        reraiser("A-17")
    session = handle.get()
    assert session.failing_step.name == "lookup" and session.failing_step.error.type == "KeyError"
    assert session.handled_errors == []  # the agent's LookupFailed is the same failure, not a handled one
    assert "LookupFailed" in session.end_state_reason


def test_an_agent_that_catches_everything_and_ends_fail_by_hand():
    handle = agentops.start_session(tags=["by-hand"])
    with contextlib.suppress(Exception):
        billing(7)
    researcher("after")
    session = agentops.end_session("Fail", end_state_reason="mail server rejected the reply")
    assert session.end_state == "Fail" and session.end_state_reason == "mail server rejected the reply"
    assert session.failing_step is None  # no exception ended it: the application did
    assert sorted(_names(session.handled_errors)) == ["billing", "charge", "search"]
    assert session.failure.summary == "Ended Fail by the application: mail server rejected the reply"
    assert handle.ended


def test_end_session_fail_inside_except_blames_the_exception_being_handled():
    agentops.start_session()
    researcher("first")
    try:
        billing(9)
    except RuntimeError as exc:
        session = agentops.end_session("Fail", end_state_reason=str(exc))
    assert session.failing_step.name == "charge"
    assert _names(session.handled_errors) == ["search"]


def test_the_exception_raised_outside_any_step_is_said_so():
    with pytest.raises(ValueError), agentops.session("plain") as handle:
        researcher("x")
        raise ValueError("bad config")
    session = handle.get()
    assert session.failing_step is None
    assert "raised in the session's own code" in session.failure.summary
    assert _names(session.handled_errors) == ["search"]


def test_without_our_ids_the_structural_rule_reads_the_same_session_alike():
    with pytest.raises(RuntimeError), agentops.session("refund") as handle:
        researcher("refunds")
        billing(42)
    from agentops_otel import semconv as sc

    ours = (sc.AGENTOPS_ERROR_ID, sc.AGENTOPS_ERROR_CHAIN, sc.AGENTOPS_SESSION_ERROR_ID,
            sc.AGENTOPS_SESSION_ERROR_CHAIN, sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID,
            sc.AGENTOPS_SESSION_FAILING_STEP_NAME)  # fmt: skip
    import dataclasses

    stripped = [
        dataclasses.replace(r, attributes={k: v for k, v in r.attributes.items() if k not in ours})
        for r in handle.get().spans
    ]
    session = build_session(stripped)
    assert session.end_state == "Fail"
    assert session.failing_step.name == "charge"
    assert _names(session.handled_errors) == ["search"]


def test_a_deep_exception_is_recorded_once_with_its_stack_trace():
    @tool
    def leaf() -> None:
        raise LookupError("deep")

    def nest(n: int):
        @agent(name=f"level{n}")
        def level() -> None:
            return nest(n - 1)() if n > 0 else leaf()

        return level

    with pytest.raises(LookupError), agentops.session("deep") as handle:
        nest(50)()
    session = handle.get()
    assert session.failing_step.name == "leaf"
    traced = [s for s in session.steps if s.error is not None and s.error.stacktrace]
    assert [s.name for s in traced] == ["leaf"]  # formatted once, on the step that raised it
    assert len({s.error.id for s in session.steps if s.error is not None}) == 1
    assert session.handled_errors == []


def _openinference_agents_run(tmp_path):
    """The OpenAI Agents SDK under OpenInference, its tool and agent failing while the SDK records the
    root "Agent workflow" OK: read live, from the store's SQL, and the same as the model."""
    import copy
    import dataclasses

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentops_otel.model import from_readable_span
    from agentops_otel.store import LocalStore
    from tests._convention_shapes import AGENTS_OPENINFERENCE, emit, ticks

    root = copy.deepcopy(AGENTS_OPENINFERENCE.root)
    agent_span = root.children[0].children[0]
    tool_span = agent_span.children[0].children[1]
    tool_span.error = agent_span.error = "weather service down"
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    emit(provider, root, ticks())
    records = [from_readable_span(s) for s in memory.get_finished_spans()]
    records = [dataclasses.replace(r, status_code="OK") if r.parent_span_id is None else r for r in records]
    path = tmp_path / "traces.db"
    store = LocalStore(path)
    store.write(records)
    return build_session(records), store.sessions()


def test_an_ok_openinference_root_over_a_failed_agent_reads_fail_everywhere(tmp_path):
    session, (listed,) = _openinference_agents_run(tmp_path)
    assert session.root.status_code == "OK"
    assert session.end_state == "Fail" == listed.end_state
    assert session.failing_step.name == "get_weather"
    assert session.handled_errors == []


def test_the_page_the_timeline_and_json_say_which_error_was_handled_and_which_caused_it():
    from agentops_otel.replay import render_timeline
    from agentops_otel.replay.html import render_html
    from tests.test_html_render import _data

    with pytest.raises(RuntimeError), agentops.session("refund") as handle:
        researcher("refunds")
        billing(42)
    session = handle.get()
    data = _data(render_html(session))
    names = [data["values"][n] for n in data["steps"]["name"]]
    marks = dict(zip(names, data["steps"]["mark"], strict=True))
    assert marks == {"researcher": 0, "search": 3, "billing": 1, "charge": 2}  # handled, error, cause
    why = data["session"]["why"]
    assert why[0] == ["amount=42", names.index("charge")]  # the chain's links point at their steps
    assert data["session"]["failure_note"].startswith(f"Caused by step {names.index('charge') + 1} (tool charge)")
    text = render_timeline(session, width=120)
    assert "Handled error: TimeoutError: search backend timed out" in text
    assert text.count("<- caused the failure") == 1 and "Why it failed: Step 4 (tool charge)" in text


def test_the_page_says_why_there_is_no_step_to_jump_to():
    from agentops_otel.replay.html import render_html
    from tests.test_html_render import _data

    agentops.start_session()
    researcher("x")
    session = agentops.end_session("Fail", end_state_reason="mail server rejected the reply")
    facts = _data(render_html(session))["session"]
    assert facts["failing"] is None and facts["end_state_reason"] == "mail server rejected the reply"
    assert facts["failure_note"] == "No step to jump to. Ended Fail by the application: mail server rejected the reply."
    assert facts["why"] == []
