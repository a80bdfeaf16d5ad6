"""AgentOps' API on our sessions, in process: end states, events, tags, analytics, patch, session=,
traces, the 0.4 decorators, agents as classes, validation, the client, and the auto-started session."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import datetime
from decimal import Decimal
from enum import Enum

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

import agentops_otel as agentops
from agentops_otel import ActionEvent, ErrorEvent, LLMEvent, ToolEvent, _states
from agentops_otel import semconv as sc
from agentops_otel.capture import _scope
from agentops_otel.capture._session_api import format_duration
from agentops_otel.errors import ConfigurationError
from agentops_otel.model import build_session
from agentops_otel.store import LocalStore
from tests._capture import ensure_pipeline


@pytest.fixture(autouse=True)
def _pipeline():
    ensure_pipeline()
    yield
    agentops.end_all_sessions()  # nothing a test left open leaks into the next one


class Legacy(Enum):  # AgentOps 0.3.10's agentops.enums.EndState
    SUCCESS = "Success"
    FAIL = "Fail"


@pytest.mark.parametrize(
    ("given", "state", "kept"),
    [
        ("Success", "Success", None),
        ("success", "Success", None),
        (" FAIL ", "Fail", None),
        ("Error", "Fail", None),
        ("Failure", "Fail", None),
        ("ERROR", "Fail", None),
        ("StatusCode.ERROR", "Fail", None),
        ("StatusCode.OK", "Success", None),
        ("SUCCESS", "Success", None),
        ("UNSET", "Indeterminate", None),
        (agentops.TraceState.SUCCESS, "Success", None),
        (agentops.TraceState.ERROR, "Fail", None),
        (agentops.TraceState.UNSET, "Indeterminate", None),
        (agentops.ERROR, "Fail", None),
        (StatusCode.OK, "Success", None),
        (StatusCode.ERROR, "Fail", None),
        (agentops.EndState.INDETERMINATE, "Indeterminate", None),
        (Legacy.FAIL, "Fail", None),
        (None, "Success", None),
        ("open", "Indeterminate", "open"),
        ("Escalation_Required", "Indeterminate", "Escalation_Required"),
        (42, "Indeterminate", "42"),
    ],
)
def test_an_end_state_in_any_spelling_is_read_and_never_refused(given, state, kept):
    assert _states.read_end_state(given) == (state, kept)


def test_an_unknown_end_state_is_kept_with_the_reason_and_warned_about_once(caplog):
    for _ in range(2):
        session = agentops.start_session().end("Emergency_Shutdown", "pager went off")
        assert session.end_state == "Indeterminate"
        assert session.end_state_reason == "Emergency_Shutdown: pager went off"
        assert session.root.attributes[sc.AGENTOPS_SESSION_END_STATE_GIVEN] == "Emergency_Shutdown"
    assert caplog.text.count("'Emergency_Shutdown' is not one of") == 1


def test_trace_state_reads_as_agentops_prints_it():
    assert str(agentops.TraceState.SUCCESS) == "SUCCESS"
    assert agentops.TraceState.ERROR.to_status_code() is StatusCode.ERROR
    assert [s.value for s in agentops.EndState] == ["Success", "Fail", "Indeterminate"]


def test_error_event_from_an_exception_has_type_message_and_stack():
    handle = agentops.start_session()
    try:
        {}["customer"]
    except KeyError as e:
        event = ErrorEvent(exception=e)
    assert (event.error_type, event.details) == ("KeyError", "'customer'")
    assert '{}["customer"]' in event.logs
    handle.record(event)
    (step,) = handle.end("Fail").steps
    assert step.kind == "error" and step.error.type == "KeyError"
    assert "line" in step.error.stacktrace and '{}["customer"]' in step.error.stacktrace


def test_an_event_starts_when_it_is_created_and_ends_when_it_is_recorded():
    handle = agentops.start_session()
    event = ToolEvent(name="scrape", params={"url": "u"})
    created = datetime.fromisoformat(event.init_timestamp)
    time.sleep(0.02)  # the work the event describes
    event.returns = "page"
    agentops.record(event)
    assert event.end_timestamp is not None and event.session_id == handle.session_id
    assert isinstance(event.id, uuid.UUID)
    (step,) = handle.end().steps
    assert abs(step.started_at.timestamp() - created.timestamp()) < 1e-3
    assert step.duration >= 0.02 and step.returns == "page"


def test_a_cost_given_to_an_llm_event_is_recorded_as_given():
    handle = agentops.start_session()
    agentops.record(
        LLMEvent(model="gpt-4o", prompt="hi", completion="yo", prompt_tokens=10, completion_tokens=5, cost=0.5)
    )
    session = handle.end()
    (llm,) = session.llm_events
    assert llm.cost == 0.5 and llm.attributes[sc.AGENTOPS_COST_SOURCE] == "user"
    assert session.cost == 0.5 and session.root.attributes[sc.AGENTOPS_SESSION_COST_USD] == 0.5
    assert session.root.attributes[sc.AGENTOPS_SESSION_LLM_CALLS] == 1
    with pytest.raises(ConfigurationError, match="amount in USD >= 0"):
        LLMEvent(model="gpt-4o", cost=-1)


@agentops.tool(cost=0.05)
def web_search(query):
    return [query]


def test_a_tool_cost_counts_toward_the_session_live_and_in_the_store(tmp_path):
    handle = agentops.start_session(tags=["costed"])
    web_search("a")
    web_search("b")
    session = handle.end()
    assert [t.cost for t in session.tool_events] == [0.05, 0.05]
    assert session.cost == pytest.approx(0.1) and session.llm_calls == 0
    assert session.root.attributes[sc.AGENTOPS_SESSION_COST_USD] == 0.1  # exact: summed as decimals
    with LocalStore(tmp_path / "traces.db") as store:
        store.write(list(session.spans))
        (listed,) = store.sessions()
    assert listed.cost == pytest.approx(session.cost) and listed.llm_calls == 0


def test_get_session_by_id_returns_the_session_object():
    handle = agentops.start_session()
    assert agentops.get_session(handle.session_id) is handle
    assert agentops.get_session(uuid.UUID(handle.session_id)) is handle  # AgentOps' ids are UUIDs
    assert agentops.get_session(str(uuid.uuid4())) is None
    handle.end_session("Success")
    assert agentops.get_session(handle.session_id) is handle  # still readable while we hold it


def test_tags_are_added_and_replaced_on_the_open_root():
    handle = agentops.start_session(tags=["a"])
    handle.add_tags("b")
    agentops.add_tags(["b", "c"])
    assert handle.tags == ["a", "b", "c"]
    assert handle.get().tags == ["a", "b", "c"]
    agentops.set_tags(["x"])
    handle.end_session("Success")
    handle.add_tags(["late"])  # an ended root cannot change: ignored
    assert handle.get().tags == ["x"] and handle.tags == ["x"]


def test_analytics_in_agentops_words_from_the_session_totals():
    handle = agentops.start_session()
    agentops.record(ActionEvent(action_type="plan"))
    agentops.record(ToolEvent(name="search"))
    agentops.record(LLMEvent(model="gpt-4o", prompt="p", completion="c", prompt_tokens=1000, completion_tokens=100))
    agentops.record(ErrorEvent(error_type="Timeout", details="slow"))
    analytics = handle.get_analytics()
    cost = handle.get().cost
    assert analytics == {
        "LLM calls": 1,
        "Tool calls": 1,
        "Actions": 1,
        "Errors": 1,
        "Duration": analytics["Duration"],
        "Cost": f"{cost:.6f}",
    }
    assert analytics["Duration"].endswith("s")
    assert handle.event_counts == {"llms": 1, "tools": 1, "actions": 1, "errors": 1, "apis": 0}
    assert handle.end_session("Fail") == Decimal(repr(cost)) and handle.end_session("Fail") is None
    assert handle.session_url.startswith("file://") and not handle.is_running


@pytest.mark.parametrize(("seconds", "text"), [(0.94, "0.9s"), (123.4, "2m 3.4s"), (3723.4, "1h 2m 3.4s")])
def test_durations_read_as_agentops_writes_them(seconds, text):
    assert format_duration(seconds) == text


def test_record_and_patch_address_a_session_that_is_not_current():
    first = agentops.start_session(tags=["first"])
    second = agentops.start_session(tags=["second"])  # current here
    first.record(ActionEvent(action_type="to first"))
    assert first.patch(web_search)("patched") == ["patched"]
    web_search("current")

    async def fetch():
        await asyncio.sleep(0)
        return web_search("async")

    assert asyncio.run(first.patch(fetch)()) == ["async"]
    assert [s.name for s in first.get().steps] == ["to first", "web_search", "web_search"]
    assert [s.params for s in second.get().tool_events] == [{"query": "current"}]
    first.end_session("Success")
    first.record(ActionEvent(action_type="after the end"))  # AgentOps: nothing once ended
    assert len(first.get().steps) == 3


@agentops.record_action("notify")
def notify(message):
    return message


@agentops.record_action("with own session")
def uses_its_own(session, x):
    return session, x


def test_the_session_keyword_routes_a_decorated_call_and_is_taken_out():
    target = agentops.start_session(tags=["target"])
    other = agentops.start_session(tags=["other"])
    assert notify("hi", session=target) == "hi"
    assert uses_its_own(target, 1) == (target, 1)  # a function's own `session` argument is left alone
    assert [s.name for s in target.get().steps] == ["notify"]
    assert [s.name for s in other.get().steps] == ["with own session"]


def test_start_trace_as_a_context_manager_ends_fail_on_an_exception():
    with pytest.raises(RuntimeError, match="boom"), agentops.start_trace("failing", tags={"user": "7"}) as failing:
        assert _scope.current_handle() is failing
        raise RuntimeError("boom")
    session = failing.get()
    assert (session.end_state, session.end_state_reason, session.tags) == ("Fail", "RuntimeError: boom", ["user:7"])
    assert _scope.current_handle() is None
    reused = agentops.start_trace("reused")
    with reused:  # AgentOps' "mixed usage": a trace started earlier, ended by `with`
        pass
    assert reused.get().end_state == "Success"
    with agentops.start_trace("outer") as outer, agentops.start_trace("inner") as inner:
        pass
    assert inner.get().parent_session_id == outer.session_id and inner.trace_id != outer.trace_id
    with pytest.raises(TypeError, match="unexpected keyword"):
        agentops.start_trace("x", tagz=["typo"])


def test_end_trace_without_a_context_ends_every_open_trace():
    traces = [agentops.start_trace(f"t{i}") for i in range(3)]
    agentops.end_trace("Error")  # a state where the context would go: for every trace
    assert [t.get().end_state for t in traces] == ["Fail"] * 3
    more = [agentops.start_trace(f"m{i}") for i in range(2)]
    agentops.end_trace(end_state=agentops.SUCCESS)
    assert [t.end_state for t in more] == ["Success"] * 2
    with pytest.raises(TypeError, match="start_trace"):
        agentops.end_trace(object())


def test_update_trace_metadata_sets_prefixed_attributes_on_the_current_trace(caplog):
    agentops.end_all_sessions()
    assert agentops.update_trace_metadata({"x": 1}) is False
    handle = agentops.start_trace("meta", tags=["t"])
    ok = agentops.update_trace_metadata(
        {"tier": "pro", "n": 3, "flags": [True, 1], "skip": None, "obj": {"a": 1}, "tags": ["more"]}
    )
    assert ok and handle.tags == ["t", "more"]
    agentops.update_trace_metadata({"id": "x"}, prefix="session")  # would overwrite session.id: refused
    attrs = handle.get().root.attributes
    assert attrs["trace.metadata.tier"] == "pro" and attrs["trace.metadata.n"] == 3
    assert attrs["trace.metadata.flags"] == "[true, 1]"
    assert "trace.metadata.skip" not in attrs and "trace.metadata.obj" not in attrs
    assert attrs[sc.SESSION_ID] == handle.session_id
    assert "'obj' is not a string" in caplog.text and "one of our own attributes" in caplog.text


def _shapes(decorator):
    @decorator
    def plain(x):
        return x + 1

    @decorator
    async def coroutine(x):
        await asyncio.sleep(0)
        return x + 1

    @decorator
    def generator(x):
        yield x
        yield x + 1

    @decorator
    async def async_generator(x):
        yield x
        yield x + 1

    async def drain():
        return [i async for i in async_generator(1)]

    return [plain(1), asyncio.run(coroutine(1)), list(generator(1)), asyncio.run(drain())]


@pytest.mark.parametrize(
    ("decorator", "kind"),
    [
        (agentops.tool, "tool"),
        (agentops.task, "action"),
        (agentops.operation, "action"),
        (agentops.guardrail(spec="output"), "guardrail"),
        (agentops.agent, "agent"),
        (agentops.workflow, "workflow"),
        (agentops.track_tool, "tool"),
    ],
)
def test_every_decorator_on_every_kind_of_function(decorator, kind):
    with agentops.session("shapes") as handle:
        results = _shapes(decorator)
    assert results == [2, 2, [1, 2], [1, 2]]
    steps = handle.get().steps
    assert [(s.kind, s.name) for s in steps] == [
        (kind, "plain"),
        (kind, "coroutine"),
        (kind, "generator"),
        (kind, "async_generator"),
    ]
    assert [s.returns for s in steps] == [2, 2, [1, 2], [1, 2]]


def test_workflow_and_trace_outside_a_session_are_sessions():
    assert _shapes(agentops.workflow(name="flow", tags=["w"]))[0] == 2
    session = agentops.get_session()
    assert (session.name, session.tags, session.end_state) == ("flow", ["w"], "Success")

    @agentops.trace(name="traced", tags=["t"], version=2)
    def failing():
        raise ValueError("no")

    with pytest.raises(ValueError):
        failing()
    session = agentops.get_session()
    assert (session.name, session.end_state) == ("traced", "Fail")  # AgentOps: Indeterminate
    assert session.root.attributes[sc.AGENTOPS_ENTITY_VERSION] == "2"


def test_decorator_keywords_are_recorded_and_mistakes_are_refused():
    @agentops.tool(name="lookup", version="3", tags=["crm"], capture_response=False, attributes={"team": "billing"})
    def lookup(order_id):
        return {"secret": "not captured"}

    @agentops.guardrail(spec="input", capture_request=False)
    def check(text):
        return True

    @agentops.record_tool(tool_name="old-style")
    def old():
        return 1

    @agentops.record_action(event_name="old-action")
    def old_action():
        return 1

    with agentops.session("kw") as handle:
        lookup("o-1")
        check("hello")
        old()
        old_action()
    tool_step, guard, old_tool, action_step = handle.get().steps
    assert tool_step.name == "lookup" and tool_step.params == {"order_id": "o-1"} and tool_step.returns is None
    assert tool_step.attributes[sc.AGENTOPS_ENTITY_VERSION] == "3"
    assert tool_step.attributes[sc.AGENTOPS_STEP_TAGS] == ("crm",) and tool_step.attributes["team"] == "billing"
    assert guard.attributes[sc.AGENTOPS_GUARDRAIL_SPEC] == "input" and guard.params is None and guard.returns is True
    assert (old_tool.name, action_step.name) == ("old-style", "old-action")
    with pytest.raises(TypeError, match=r"unexpected keyword argument.*colour"):
        agentops.tool(colour="red")
    with pytest.raises(ConfigurationError, match="cost= must be an amount"):
        agentops.tool(cost="cheap")


@agentops.agent(name="planner")
class Planner:
    def __init__(self, goal):
        self.goal = goal

    @agentops.task
    def plan(self):
        return [self.search(self.goal), self.helper()]

    @agentops.tool
    def search(self, q):
        return q.upper()

    def helper(self):  # undecorated: called from inside, stays in the same agent step
        return "h"

    async def plan_async(self):
        await asyncio.sleep(0)
        return self.plan()

    def steps(self):
        yield from ("a", "b")

    def __call__(self):
        return self.goal


@agentops.track_agent()
class CrewMember:
    def __init__(self):
        self.role = "researcher"

    def act(self):
        return self.role


def test_an_agent_class_nests_what_its_methods_do_under_one_agent_step_per_call():
    with agentops.session("agents") as handle:
        planner = Planner("find flights")
        assert planner.plan() == ["FIND FLIGHTS", "h"]
        assert asyncio.run(planner.plan_async()) == ["FIND FLIGHTS", "h"]
        assert list(planner.steps()) == ["a", "b"]
        assert planner() == "find flights"
        Planner("other", agentops_name="second").plan()
        assert CrewMember().act() == "researcher"
    steps = handle.get().steps
    assert [(s.kind, s.name, s.depth) for s in steps[:3]] == [
        ("agent", "planner", 1),
        ("action", "plan", 2),
        ("tool", "search", 3),
    ]
    agents = [s for s in steps if s.kind == "agent"]
    assert [a.name for a in agents] == ["planner"] * 4 + ["second", "researcher"]
    ids = {a.attributes[sc.GEN_AI_AGENT_ID] for a in agents[:4]}
    assert ids == {planner.agentops_agent_id}  # one instance, one id, over every call
    assert agents[2].returns == ["a", "b"]
    assert all(s.depth == 1 for s in agents)


def test_validate_trace_spans_checks_our_own_spans():
    handle = agentops.start_trace("validated")
    agentops.record(LLMEvent(model="gpt-4o", prompt="p", completion="c", prompt_tokens=3, completion_tokens=2))
    result = agentops.validate_trace_spans(trace_context=handle)
    assert result["trace_id"] == handle.trace_id and result["span_count"] == 2
    assert result["has_llm_spans"] and result["llm_span_names"] == ["chat gpt-4o"]
    assert result["metrics"]["total_tokens"] == 5
    assert agentops.validate_trace_spans() == result  # the current span's trace
    assert agentops.validate_trace_spans(trace_id=handle.trace_id.upper())["span_count"] == 2
    with pytest.raises(agentops.ValidationError, match="expected at least 5 spans"):
        agentops.validate_trace_spans(trace_context=handle, min_spans=5, max_retries=3, retry_delay=30)
    bare = agentops.start_trace("no llm")
    with pytest.raises(agentops.ValidationError, match="No LLM activity detected"):
        agentops.validate_trace_spans(trace_context=bare)
    assert agentops.validate_trace_spans(trace_context=bare, check_llm=False)["span_count"] == 1
    agentops.end_all_sessions()
    # AgentOps' examples validate `trace_context=None` after end_trace: the trace this context used last
    assert agentops.validate_trace_spans(check_llm=False)["trace_id"] == bare.trace_id

    def fresh_thread(out):
        try:
            agentops.validate_trace_spans()
        except ValueError as e:
            out.append(str(e))

    out: list[str] = []
    worker = threading.Thread(target=fresh_thread, args=(out,))
    worker.start()
    worker.join()
    assert out == ["No trace ID found. Provide either trace_id or trace_context parameter."]


def test_print_validation_summary(capsys):
    handle = agentops.start_trace("printed")
    agentops.record(LLMEvent(model="gpt-4o", prompt="p", completion="c", prompt_tokens=3, completion_tokens=2))
    agentops.print_validation_summary(agentops.validate_trace_spans(trace_context=handle))
    agentops.print_validation_summary({"validation_skipped": True, "reason": "No JWT token available"})
    out = capsys.readouterr().out
    assert "AgentOps Span Validation Results" in out and "Found LLM spans: chat gpt-4o" in out
    assert "Total tokens: 5" in out and "Validation successful!" in out
    assert "Validation skipped: No JWT token available" in out


def test_the_client_is_one_per_process_and_sees_every_open_session():
    assert agentops.Client() is agentops.get_client() is agentops.Client()
    agentops.end_all_sessions()
    handles = [agentops.start_session() for _ in range(2)]
    client = agentops.Client()
    assert client.current_session_ids == [h.session_id for h in handles]
    assert client.is_multi_session and client.session_count == 2 and client.is_initialized
    client.end_all_sessions()
    assert client.session_count == 0
    assert agentops.create_agent("scout", agent_id="a-1") == "a-1"


def test_configure_after_init_adds_default_tags():
    from agentops_otel import _pipeline

    settings = _pipeline.current_settings()
    before = settings.default_tags
    try:
        agentops.configure(default_tags=["cfg"], max_wait_time=100)
        assert agentops.start_session(tags=["own"]).tags == [*before, "cfg", "own"]
        with pytest.raises(ConfigurationError, match="unexpected arguments: colour"):
            agentops.configure(colour="red")
    finally:
        settings.default_tags = before


def test_sessions_addressed_across_threads():
    handles = [agentops.start_session(tags=[f"s{i}"]) for i in range(4)]
    agentops.end_all_sessions()
    handles = [agentops.start_session(tags=[f"s{i}"]) for i in range(4)]

    def work(i):
        handles[i].record(ActionEvent(action_type=f"from thread {i}"))
        with handles[(i + 1) % 4].activate():
            notify(f"to {(i + 1) % 4}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for i, handle in enumerate(handles):
        names = sorted(s.name for s in handle.get().steps)
        assert names == [f"from thread {i}", "notify"]


# The session init() starts by itself, in process: a later init(auto_start_session=True) starts one here.


@pytest.fixture
def auto():
    agentops.end_all_sessions()
    handle = agentops.init(store=False, instrument_llm=False, auto_start_session=True)
    assert isinstance(handle, agentops.SessionHandle) and handle.auto_started
    yield handle
    if handle.pending:
        handle.give_way()


def test_the_auto_started_session_gives_way_while_empty(auto):
    assert auto.pending and _scope.current_handle() is auto
    explicit = agentops.start_session(tags=["explicit"])
    assert explicit.get().parent_session_id is None  # no link to a session that never was
    explicit.end_session("Success")
    assert _scope.current_handle() is None and auto.pending
    agentops.end_all_sessions()  # nothing to end: it was never recorded
    assert auto.pending and auto.end_state is None


def test_the_auto_started_session_stays_once_something_is_recorded_in_it(auto):
    span = trace.get_tracer("another.instrumentation").start_span("retrieve docs")  # any tracer's span
    span.end()
    assert not auto.pending
    inner = agentops.start_session()
    assert inner.get().parent_session_id == auto.session_id  # a session inside it, linked
    inner.end_session("Success")
    (step,) = auto.get().steps
    assert step.name == "retrieve docs" and step.attributes[sc.SESSION_ID] == auto.session_id
    agentops.end_all_sessions("Indeterminate")
    session = auto.get()
    assert session.end_state == "Indeterminate" and session.root.attributes[sc.AGENTOPS_SESSION_AUTO_STARTED]


def test_an_auto_started_session_ended_by_the_application_is_recorded_even_empty(auto):
    assert agentops.end_session("Success").end_state == "Success"
    assert not auto.pending and auto.get().steps == ()


def test_a_context_that_still_holds_the_given_way_session_records_into_it(auto):
    async def task():
        with agentops.start_trace("in task"):  # the task's copy of the context gives way
            notify("task")

    asyncio.run(task())
    assert auto.pending  # here, in the caller's context, it is still current
    notify("after the task")
    assert [s.name for s in auto.get().steps] == ["notify"]
    agentops.end_all_sessions()


def test_the_sdk_and_enums_modules_are_agentops_import_paths():
    from agentops_otel.enums import EndState, TraceState
    from agentops_otel.sdk.core import TraceContext
    from agentops_otel.sdk.decorators import agent, guardrail, operation, session, task, tool, trace, workflow

    assert (agent, guardrail, operation, session, task, tool, trace, workflow) == (
        agentops.agent,
        agentops.guardrail,
        agentops.operation,
        agentops.session,
        agentops.task,
        agentops.tool,
        agentops.trace,
        agentops.workflow,
    )
    assert TraceContext is agentops.SessionHandle and (EndState, TraceState) == (agentops.EndState, agentops.TraceState)


def test_a_session_built_from_spans_counts_given_costs_only_once_summed():
    handle = agentops.start_session()
    web_search("x")
    agentops.record(
        LLMEvent(model="gpt-4o", prompt="p", completion="c", prompt_tokens=1, completion_tokens=1, cost=1.0)
    )
    spans = handle.end().spans
    assert build_session(spans).cost == pytest.approx(1.05)


def test_the_smaller_agentops_calls():
    inherited = str(uuid.uuid4())
    handle = agentops.start_session(inherited_session_id=inherited)
    assert handle.session_id == inherited
    agent_id = handle.create_agent("scout")
    assert agentops.end_session(handle, end_state="Failure").end_state == "Fail"  # 0.4: the session first
    (created,) = handle.get().steps
    assert (created.kind, created.name, created.attributes[sc.GEN_AI_AGENT_ID]) == ("agent", "scout", agent_id)

    @agentops.record_function("legacy")
    def legacy():
        return 1

    @agentops.track_endpoint(name="endpoint")
    def endpoint():
        return legacy()

    assert endpoint() == 1
    session = agentops.get_session()
    assert session.name == "endpoint" and [s.name for s in session.steps] == ["legacy"]
    agentops.set_api_key("k-1")
    assert agentops.get_api_key() == "k-1" and agentops.check_agentops_update() is None
