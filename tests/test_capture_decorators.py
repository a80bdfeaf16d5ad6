"""Decorators record steps on every kind of callable and never change what the callable does."""

import asyncio
import inspect

import pytest

import agentops_otel as agentops
from agentops_otel import agent, record_action, record_tool, tool
from agentops_otel import semconv as sc
from tests._capture import ensure_pipeline


@pytest.fixture(autouse=True)
def _pipeline():
    ensure_pipeline()


@record_tool("lookup_order")
def lookup_order(order_id: str, *, verbose: bool = False) -> dict:
    """Find an order."""
    return {"order_id": order_id, "status": "shipped"}


@tool
async def fetch_policy(name: str) -> str:
    await asyncio.sleep(0)
    return f"policy:{name}"


@record_tool("pages")
def pages(n):
    for i in range(n):
        yield {"page": i}


@record_tool("stream_tokens")
async def stream_tokens(words):
    for word in words:
        await asyncio.sleep(0)
        yield word


class Crm:
    def __init__(self):
        self.calls = 0

    @record_action("crm.update")
    def update(self, customer_id, **fields):
        self.calls += 1
        return fields


def test_signatures_docstrings_and_inspect_are_kept():
    assert lookup_order.__name__ == "lookup_order"
    assert lookup_order.__doc__ == "Find an order."
    assert str(inspect.signature(lookup_order)) == "(order_id: str, *, verbose: bool = False) -> dict"
    assert inspect.iscoroutinefunction(fetch_policy)
    assert inspect.isgeneratorfunction(pages)
    assert inspect.isasyncgenfunction(stream_tokens)


def test_functions_methods_and_coroutines_record_arguments_and_results():
    with agentops.session("decorators") as handle:
        assert lookup_order("o-1", verbose=True) == {"order_id": "o-1", "status": "shipped"}
        crm = Crm()
        assert crm.update("c-9", plan="pro") == {"plan": "pro"}
        assert asyncio.run(fetch_policy("refunds")) == "policy:refunds"
    session = handle.get()
    assert [(s.kind, s.name) for s in session.steps] == [
        ("tool", "lookup_order"),
        ("action", "crm.update"),
        ("tool", "fetch_policy"),
    ]
    order, update, policy = session.steps
    assert order.params == {"order_id": "o-1", "verbose": True}
    assert order.returns == {"order_id": "o-1", "status": "shipped"}
    assert order.span_name == "execute_tool lookup_order"
    assert order.attributes[sc.GEN_AI_OPERATION_NAME] == "execute_tool"
    assert update.params == {"customer_id": "c-9", "fields": {"plan": "pro"}}  # no `self`
    assert policy.returns == "policy:refunds"
    assert crm.calls == 1


def test_generators_record_what_they_yielded_and_end_when_exhausted_or_closed():
    with agentops.session() as handle:
        assert list(pages(3)) == [{"page": 0}, {"page": 1}, {"page": 2}]
        for item in pages(10):
            if item["page"] == 1:
                break  # broken out of: the step still ends
    full, partial = handle.get().tool_events
    assert full.returns == [{"page": 0}, {"page": 1}, {"page": 2}]
    assert partial.returns == [{"page": 0}, {"page": 1}]
    assert full.ended_at is not None and partial.ended_at is not None


def test_async_generators_record_their_items():
    async def main():
        with agentops.session() as handle:
            words = [w async for w in stream_tokens(["a", "b"])]
        return words, handle.get()

    words, session = asyncio.run(main())
    assert words == ["a", "b"]
    assert session.tool_events[0].returns == ["a", "b"]


def test_generator_steps_nest_the_spans_made_while_they_run():
    @record_tool("inner")
    def inner():
        return 1

    @record_tool("outer_gen")
    def outer_gen():
        yield inner()

    with agentops.session() as handle:
        list(outer_gen())
    steps = {s.name: s for s in handle.get().steps}
    assert steps["inner"].parent_span_id == steps["outer_gen"].span_id


def test_an_exception_marks_its_own_step_and_is_reraised_unchanged():
    error = KeyError("missing")

    @agent("planner")
    def plan():
        raise error

    with pytest.raises(KeyError) as caught, agentops.session() as handle:
        plan()
    assert caught.value is error
    session = handle.get()
    step = session.agent_events[0]
    assert step.span_name == "invoke_agent planner"
    assert step.error.type == "KeyError" and step.attributes[sc.ERROR_TYPE] == "KeyError"
    assert step.record.status_code == "ERROR"
    assert step.error.stacktrace and "raise error" in step.error.stacktrace
    assert session.end_state == "Fail" and session.end_state_reason == "KeyError: 'missing'"
    assert session.failing_step.span_id == step.span_id


def test_the_deepest_failing_step_is_blamed():
    @record_tool("db")
    def db():
        raise ConnectionError("db down")

    @agent("worker")
    def worker():
        db()

    with pytest.raises(ConnectionError), agentops.session() as handle:
        worker()
    assert handle.get().failing_step.name == "db"


def test_non_serialisable_arguments_are_captured_as_a_repr_called_once():
    class Expensive:
        reprs = 0

        def __repr__(self):
            Expensive.reprs += 1
            return "<Expensive>"

    class Broken:
        def __repr__(self):
            raise RuntimeError("no repr")

    @record_tool("odd")
    def odd(a, b, c):
        return a

    with agentops.session() as handle:
        value = Expensive()
        assert odd(value, Broken(), {1, 2}) is value
    step = handle.get().tool_events[0]
    assert step.params["a"] == "<Expensive>"
    assert "repr failed: RuntimeError" in step.params["b"]
    assert sorted(step.params["c"]) == [1, 2]
    assert Expensive.reprs == 2  # once for the arguments, once for the return value


def test_huge_arguments_are_truncated_and_flagged():
    @record_tool("bulk")
    def bulk(text):
        return len(text)

    with agentops.session() as handle:
        assert bulk("x" * 1_000_000) == 1_000_000
    step = handle.get().tool_events[0]
    raw = step.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS]
    assert len(raw) < 20_000 and "truncated" in raw
    assert step.attributes[sc.AGENTOPS_STEP_TRUNCATED] is True


def test_credentials_in_arguments_are_never_recorded():
    @record_tool("call_api")
    def call_api(url, headers, api_key):
        return "ok"

    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz123456"
    with agentops.session() as handle:
        call_api("https://x", {"Authorization": f"Bearer {secret}"}, api_key=secret)
    step = handle.get().tool_events[0]
    assert secret not in step.attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS]
    assert step.params["api_key"] == "****"
    assert step.params["headers"] == {"Authorization": "Bearer ****"}


def test_decorators_outside_any_session_still_create_spans():
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    agentops._pipeline.current_pipeline().provider.add_span_processor(processor)

    @record_action("free")
    def free(x):
        return x + 1

    try:
        assert free(1) == 2
    finally:
        processor.shutdown()
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "free"]
    assert span.parent is None
    assert sc.SESSION_ID not in span.attributes
    assert span.attributes[sc.AGENTOPS_STEP_PARAMS] == '{"x":1}'


def test_values_sent_and_exceptions_thrown_into_a_generator_reach_it_every_time():
    @record_tool("resilient")
    def resilient():
        value = None
        while True:
            try:
                value = yield value
            except ValueError as exc:
                value = f"recovered {exc}"

    with agentops.session() as handle:
        gen = resilient()
        next(gen)
        assert gen.send("a") == "a"
        assert gen.throw(ValueError("one")) == "recovered one"
        assert gen.throw(ValueError("two")) == "recovered two"  # a second throw is handled too
        gen.close()
    assert handle.get().tool_events[0].returns == [None, "a", "recovered one", "recovered two"]


def test_exceptions_thrown_into_an_async_generator_reach_it():
    @record_tool("aresilient")
    async def aresilient():
        value = None
        while True:
            try:
                value = yield value
            except ValueError as exc:
                value = f"recovered {exc}"

    async def main():
        with agentops.session() as handle:
            agen = aresilient()
            await agen.asend(None)
            assert await agen.athrow(ValueError("x")) == "recovered x"
            await agen.aclose()
        return handle.get()

    assert asyncio.run(main()).tool_events[0].returns == [None, "recovered x"]


def test_a_bug_of_ours_in_a_step_is_logged_and_the_call_goes_on_untraced(monkeypatch, caplog):
    """Production: our bug never reaches the user's call; our suite (AGENTOPS_OTEL_DEBUG=1): it surfaces."""
    from agentops_otel.capture import _decorators

    def broken(*args, **kwargs):
        raise RuntimeError("our content bug")

    @agentops.tool("lookup")
    def lookup(order_id):
        return {"order_id": order_id}

    monkeypatch.setattr(_decorators, "content_attributes", broken)
    with pytest.raises(RuntimeError, match="our content bug"):
        lookup("o-1")
    monkeypatch.delenv("AGENTOPS_OTEL_DEBUG")
    with caplog.at_level("WARNING", logger="agentops_otel"):
        assert lookup("o-2") == {"order_id": "o-2"}
    assert "could not start the span of 'execute_tool lookup'" in caplog.text
    assert "our content bug" in caplog.text  # with the traceback
