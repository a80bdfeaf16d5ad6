"""Sessions are isolated per asyncio task and per thread: no span lands in the wrong session."""

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry import trace

import agentops_otel as agentops
from agentops_otel import record_tool
from agentops_otel import semconv as sc
from tests._capture import ensure_pipeline


@pytest.fixture(autouse=True)
def _pipeline():
    ensure_pipeline()


@record_tool("echo")
async def echo_async(value):
    await asyncio.sleep(0.001)
    return value


@record_tool("echo")
def echo(value):
    return value


def test_100_concurrent_asyncio_sessions_keep_their_own_steps():
    async def one(i):
        with agentops.session(f"task-{i}") as handle:
            for j in range(3):
                await echo_async(f"{i}-{j}")
        return i, handle.get()

    async def main():
        return await asyncio.gather(*(one(i) for i in range(100)))

    results = asyncio.run(main())
    for i, session in results:
        assert [s.params for s in session.steps] == [{"value": f"{i}-{j}"} for j in range(3)]
        assert {s.attributes[sc.SESSION_ID] for s in session.steps} == {session.session_id}
        assert session.end_state == "Success"
    assert len({s.trace_id for _, s in results}) == 100


def test_8_threads_with_their_own_sessions():
    barrier = threading.Barrier(8)

    def work(i):
        agentops.start_session(tags=[f"thread-{i}"])
        barrier.wait()  # all eight sessions open at once
        for j in range(20):
            echo(f"{i}-{j}")
        agentops.end_session("Success")
        return i, agentops.get_session()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for i, session in results:
        assert session.tags == [f"thread-{i}"]
        assert [s.params["value"] for s in session.steps] == [f"{i}-{j}" for j in range(20)]


def test_a_session_carried_into_a_worker_thread():
    handle = agentops.start_session(name="fan-out")

    def work(value):
        with handle.activate():
            return echo(value)

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(work, ["a", "b", "c", "d"])) == ["a", "b", "c", "d"]
    # contextvars.copy_context() carries it too, as executors that copy the context do.
    ctx = contextvars.copy_context()
    worker = threading.Thread(target=ctx.run, args=(echo, "e"))
    worker.start()
    worker.join()
    session = handle.end()
    assert sorted(s.params["value"] for s in session.steps) == ["a", "b", "c", "d", "e"]
    assert all(s.parent_span_id == session.root.span_id for s in session.steps)


def test_spans_of_any_tracer_inside_a_session_carry_the_session_id():
    other = trace.get_tracer("someone-else")
    with agentops.session() as handle, other.start_as_current_span("db.query"):
        pass
    (step,) = handle.get().steps
    assert step.kind == "other" and step.span_name == "db.query"
    assert step.attributes[sc.SESSION_ID] == handle.session_id


def test_a_client_library_span_inside_an_llm_span_is_not_a_second_llm_call():
    # anthropic >= 2 traces itself: its span for a call nests inside our LLM span for the same call.
    llm = {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini", sc.GEN_AI_USAGE_INPUT_TOKENS: 100}
    tracer = trace.get_tracer("client-library")
    with (
        agentops.session() as handle,
        tracer.start_as_current_span("chat gpt-4o-mini", attributes=llm),
        tracer.start_as_current_span("client.messages.create", attributes=llm),
    ):
        pass
    session = handle.get()
    assert session.llm_calls == 1 and session.usage.input_tokens == 100
    assert [s.kind for s in session.steps] == ["llm", "other"]
    assert session.cost == session.llm_events[0].cost  # priced once


def test_memory_holds_the_sessions_still_in_hand_and_only_a_few_others():
    from agentops_otel._pipeline import current_pipeline

    recorder = current_pipeline().recorder
    kept = agentops.start_session(name="kept")
    for _ in range(600):
        echo("x")  # 600 steps: more than the recorder keeps of sessions nobody holds
    kept.end()
    for i in range(300):
        with agentops.session(f"loop-{i}"):
            echo(i)
    assert len(kept.get().steps) == 600  # its handle is alive: kept whole
    assert len(recorder) <= 500 + 600 + 2  # the loop's sessions beyond the bound are gone
