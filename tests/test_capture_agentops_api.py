"""Code written for AgentOps' classic API runs unchanged and records what an AgentOps user expects."""

import threading

import pytest
from opentelemetry import trace

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, LLMEvent, ToolEvent, record_action
from tests._capture import ensure_pipeline


@pytest.fixture(autouse=True)
def _pipeline():
    ensure_pipeline()


@record_action("fetch_customer_data")
def fetch_customer(customer_id):
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"id": customer_id, "plan": "pro"}


def run_support_agent(customer_id):
    agentops.init(api_key="sk-not-used-1234567890abcdef")
    agentops.start_session(tags=["support", "v2.1"])
    try:
        customer = fetch_customer(customer_id)
        agentops.record(ActionEvent(action_type="session_complete", params={"intent": "billing"}, returns={"n": 3}))
        agentops.end_session("Success")
        return customer
    except Exception as e:
        agentops.end_session("Fail", end_state_reason=str(e))
        raise


def test_the_classic_snippet_records_a_successful_session():
    run_support_agent("c-42")
    session = agentops.get_session()
    assert [e.action_type for e in session.action_events] == ["fetch_customer_data", "session_complete"]
    assert session.tags == ["support", "v2.1"]
    assert session.end_state == "Success"
    fetch, complete = session.action_events
    assert fetch.params == {"customer_id": "c-42"}
    assert fetch.returns == {"id": "c-42", "plan": "pro"}
    assert complete.params == {"intent": "billing"} and complete.returns == {"n": 3}
    assert session.cost == 0.0  # no LLM call: nothing to pay, and nothing unpriced
    assert session.url  # never an empty string
    assert session.duration is not None and session.duration >= 0


def test_a_failing_session_names_the_step_that_caused_it():
    with pytest.raises(ValueError, match="customer_id cannot be None"):
        run_support_agent(None)
    session = agentops.get_session()
    assert session.end_state == "Fail"
    assert session.end_state_reason == "customer_id cannot be None"
    assert session.failing_step is not None
    assert session.failing_step.name == "fetch_customer_data"
    assert session.failing_step.params == {"customer_id": None}
    assert str(session.failing_step.error) == "ValueError: customer_id cannot be None"
    assert session.error_events == [session.failing_step]
    assert session.root.status_code == "ERROR"


def test_sessions_in_a_loop_are_separate_traces():
    ids = []
    for customer in ("a", "b", "c"):
        run_support_agent(customer)
        session = agentops.get_session()
        ids.append((session.session_id, session.trace_id))
        assert session.action_events[0].params == {"customer_id": customer}
    assert len(set(ids)) == 3


def test_fixture_session_around_a_test_that_starts_its_own_sessions():
    outer = agentops.start_session(tags=["test"])  # what a user's fixture does
    run_support_agent("inner")  # the code under test starts and ends its own session
    inner = agentops.get_session()
    assert inner.tags == ["support", "v2.1"] and inner.end_state == "Success"
    assert inner.parent_session_id == outer.session_id
    assert inner.trace_id != outer.trace_id
    assert [link.span_id for link in inner.root.links] == [outer.get().root.span_id]
    ended = agentops.end_session()  # the fixture's teardown ends the outer one
    assert ended.session_id == outer.session_id and ended.end_state == "Success"
    assert agentops.get_session().session_id == inner.session_id  # still the most recently started


def test_events_of_every_kind_become_steps():
    handle = agentops.start_session()
    tool = agentops.record(ToolEvent(name="search", params={"q": "refund"}, returns=["doc1"]))
    agentops.record(LLMEvent(model="gpt-4o", prompt="hi", completion="hello", prompt_tokens=5, completion_tokens=2))
    agentops.record(ErrorEvent(trigger_event=tool, error_type="Timeout", details="CRM took 30s"))
    session = handle.end("Fail", "CRM timeout")
    kinds = [(s.kind, s.name) for s in session.steps]
    assert kinds == [("tool", "search"), ("llm", "gpt-4o"), ("error", "Timeout")]
    llm = session.llm_events[0]
    assert (llm.prompt_tokens, llm.completion_tokens) == (5, 2)
    assert llm.prompt == [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    assert session.usage.input_tokens == 5 and session.usage.output_tokens == 2
    error = session.failing_step
    assert error.name == "Timeout" and error.error.message == "CRM took 30s"
    assert error.attributes[agentops.semconv.AGENTOPS_ERROR_TRIGGER_SPAN_ID] == tool.span_id


def test_record_rejects_what_is_not_an_event():
    with pytest.raises(TypeError, match="ActionEvent, ToolEvent, LLMEvent or ErrorEvent"):
        agentops.record({"action_type": "x"})


def test_an_unknown_end_state_never_raises_and_is_kept_as_given(caplog):
    handle = agentops.start_session()
    session = handle.end("Done", "the batch finished")  # AgentOps 0.4 accepts any string
    assert session.end_state == "Indeterminate"
    assert session.end_state_reason == "Done: the batch finished"
    assert session.root.attributes[agentops.semconv.AGENTOPS_SESSION_END_STATE_GIVEN] == "Done"
    assert "'Done' is not one of Success, Fail, Indeterminate" in caplog.text
    assert agentops.start_session().end("success").end_state == "Success"  # case-insensitive, as AgentOps accepted


def test_end_session_twice_changes_nothing():
    handle = agentops.start_session()
    first = handle.end("Fail", "boom")
    second = handle.end("Success")
    assert first.end_state == second.end_state == "Fail"


def test_end_session_with_no_session_in_this_context_returns_none():
    results = []
    worker = threading.Thread(target=lambda: results.append((agentops.end_session(), agentops.get_session())))
    worker.start()
    worker.join()
    assert results == [(None, None)]  # a new thread starts with no session


def test_end_all_sessions_ends_every_open_session():
    handles = [agentops.start_session(tags=[str(i)]) for i in range(3)]
    agentops.end_all_sessions()
    assert [h.get().end_state for h in handles] == ["Indeterminate"] * 3
    # Ended out of order, they still restore the context from before the first one.
    assert not trace.get_current_span().is_recording()


def test_a_bare_session_decorator_runs_the_function_in_a_session_named_after_it():
    @agentops.session
    def triage(x):
        return x * 2

    assert triage(5) == 10
    session = agentops.get_session()
    assert session.name == "triage" and session.end_state == "Success"


def test_async_with_session_ends_it_by_the_outcome():
    import asyncio

    async def main():
        async with agentops.session("async-triage", tags=["a"]) as handle:
            await asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            async with agentops.session("async-fail"):
                raise RuntimeError("nope")
        return handle.get(), agentops.get_session()

    ok, failed = asyncio.run(main())
    assert (ok.name, ok.end_state, ok.tags) == ("async-triage", "Success", ["a"])
    assert (failed.end_state, failed.end_state_reason) == ("Fail", "RuntimeError: nope")


@record_action("step")
def _step(i):
    return i


def test_a_session_decorated_generator_is_one_session_around_its_whole_body():
    @agentops.session("streaming")
    def produce(n):
        for i in range(n):
            yield _step(i)  # recorded inside the generator's session
        _step(99)

    outside = []
    items = []
    for item in produce(3):
        items.append(item)
        outside.append(agentops.get_session())  # the caller's code between items runs outside it
    assert items == [0, 1, 2]
    assert all(s is None or s.name != "streaming" for s in outside)
    session = agentops.get_session()
    assert (session.name, session.end_state) == ("streaming", "Success")
    assert [s.params["i"] for s in session.action_events] == [0, 1, 2, 99]


def test_a_session_decorated_generator_that_raises_or_is_closed_early():
    @agentops.session("failing-stream")
    def broken():
        yield _step(1)
        raise KeyError("missing")

    with pytest.raises(KeyError):
        list(broken())
    failed = agentops.get_session()
    assert (failed.end_state, failed.end_state_reason) == ("Fail", "KeyError: 'missing'")

    @agentops.session("abandoned")
    def endless():
        while True:
            yield _step(0)

    stream = endless()
    next(stream)
    stream.close()
    closed = agentops.get_session()
    assert (closed.name, closed.end_state, len(closed.action_events)) == ("abandoned", "Success", 1)


def test_a_session_decorated_async_generator():
    import asyncio

    @agentops.session("async-stream")
    async def produce():
        for i in range(2):
            yield _step(i)

    async def main():
        return [item async for item in produce()], agentops.get_session()

    items, session = asyncio.run(main())
    assert items == [0, 1] and session.end_state == "Success" and len(session.action_events) == 2


def test_a_recorded_tool_event_carries_the_tool_call_id_it_is_given():
    from agentops_otel import semconv as sc

    with agentops.session("events") as handle:
        agentops.record(ToolEvent(name="search", params={"q": "x"}, tool_call_id="call_42"))
    (tool,) = handle.get().tool_events
    assert tool.attributes[sc.GEN_AI_TOOL_CALL_ID] == "call_42"
