"""playback(tools=True): decorated tools and actions answered from the recording instead of running.

An agent (the real openai client, our OpenAI instrumentation, decorated tools, one of which fails) is
recorded against the loopback LLM server and exported to a file; the server is stopped and the tools
are broken (they raise if they run at all). Playback must then reproduce the recorded trajectory and
failure without executing them, report changed arguments as a divergence at the right step, and in
lenient mode run the real function for a call the recording does not hold.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import pytest

import agentops_otel
from agentops_otel import PlaybackDivergence, PlaybackError, playback
from agentops_otel import semconv as sc
from agentops_otel._config import DEFAULT_MAX_CONTENT_LENGTH
from agentops_otel.capture import _decorators
from agentops_otel.demo._agent import handle_ticket
from agentops_otel.playback import RecordedStep, RecordedToolError, Recording
from agentops_otel.playback._tools import recorded_exception
from agentops_otel.replay._diff import diff_sessions
from agentops_otel.testing.llm_server import FAKE_OPENAI_KEY, LLMServer, Reply, ToolCall
from tests.test_playback_agent import instrumented_clients
from tests.test_playback_demo import FAILING_TICKET
from tests.test_playback_demo import demo_recording as demo_recording  # the demo's exported failure

pytest_plugins = ["pytester"]

MODEL = "gpt-4o-mini"
SYSTEM = "You settle refund requests. Look orders up before refunding."
QUESTION = "Please refund my orders A1 and B2."
FINAL = "B2 needs a manager's approval; I escalated it."
AMOUNTS = {"A1": 30, "B2": 250}

executed: list[str] = []  # every real tool, action and agent body that ran
tools_broken = False  # set during playback: a tool that runs for real then fails loudly


class NeedsApproval(Exception):
    """A user-defined tool error: played back as a RecordedToolError of the same name."""


def _ran(what: str) -> None:
    executed.append(what)
    if tools_broken:
        raise AssertionError(f"{what} ran for real under playback")


@agentops_otel.record_tool("lookup_order")
def lookup_order(order_id: str) -> dict[str, Any]:
    _ran(f"lookup_order {order_id}")
    return {"order_id": order_id.upper(), "amount": AMOUNTS[order_id.upper()]}


@agentops_otel.record_tool("refund")
def refund(order_id: str, amount: int) -> str:
    _ran(f"refund {order_id}")
    if amount > 100:
        raise NeedsApproval(f"refund of {amount} on {order_id} needs a manager")
    return f"refunded {amount} on {order_id}"


@agentops_otel.record_action("escalate")
def escalate(reason: str) -> dict[str, Any]:
    _ran("escalate")
    return {"ticket": 7, "reason": reason}


TOOLS = {"lookup_order": lookup_order, "refund": refund}


def script(server: LLMServer) -> None:
    server.queue(
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A1"}), ToolCall("lookup_order", {"order_id": "B2"})]),
        Reply(tool_calls=[ToolCall("refund", {"order_id": "B2", "amount": 250})]),
        Reply(text=FINAL),
    )


def _call_tool(name: str, arguments: dict[str, Any]) -> str:
    """The agent's tool runner: a tool's failure goes back to the model as text."""
    try:
        return json.dumps(TOOLS[name](**arguments))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


class RefundDesk:
    def __init__(self, client: Any) -> None:
        self.client = client

    @agentops_otel.agent("refund_agent")
    def run(self, lowercase_ids: bool = False) -> dict[str, Any]:
        return _refund_agent(self.client, lowercase_ids)


def refund_agent(client: Any, lowercase_ids: bool = False) -> dict[str, Any]:
    return RefundDesk(client).run(lowercase_ids=lowercase_ids)


def _refund_agent(client: Any, lowercase_ids: bool) -> dict[str, Any]:
    """Returns what it observed: tool results as the model saw them, the answer and the escalation."""
    executed.append("refund_agent")  # the agent is the code under test: it always runs
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    results = []
    for _ in range(5):
        message = client.chat.completions.create(model=MODEL, messages=messages).choices[0].message
        if not message.tool_calls:
            ticket = escalate(message.content) if "manager" in " ".join(results) else None
            return {"results": results, "answer": message.content, "ticket": ticket}
        calls = [c.model_dump(exclude_none=True) for c in message.tool_calls]
        messages.append({"role": "assistant", "content": message.content, "tool_calls": calls})
        for call in message.tool_calls:
            arguments = json.loads(call.function.arguments)
            if lowercase_ids and call.function.name == "lookup_order":
                arguments["order_id"] = arguments["order_id"].lower()
            results.append(_call_tool(call.function.name, arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": results[-1]})
    raise RuntimeError("the agent did not finish")


EXPECTED = {
    "results": [
        '{"order_id": "A1", "amount": 30}',
        '{"order_id": "B2", "amount": 250}',
        "NeedsApproval: refund of 250 on B2 needs a manager",
    ],
    "answer": FINAL,
    "ticket": {"ticket": 7, "reason": FINAL},
}


@pytest.fixture(autouse=True)
def _fresh_tools() -> Iterator[None]:
    global tools_broken
    executed.clear()
    yield
    tools_broken = False
    agentops_otel.end_all_sessions()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, agentops_otel.Session]:
    """A live run against the loopback server, exported to a file; the server is stopped afterwards."""
    with instrumented_clients(), LLMServer() as server:
        script(server)
        with server.openai_client(max_retries=0) as client, agentops_otel.session("refund-tools"):
            outcome = refund_agent(client)
        session = agentops_otel.get_session()
    assert outcome == EXPECTED
    assert session is not None
    path = Recording.from_session(session).save(tmp_path_factory.mktemp("tools") / "refund.json")
    return path, session


@pytest.fixture
def offline_client() -> Iterator[Any]:
    """A client whose server is gone: only playback can answer it."""
    with instrumented_clients(), openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key=FAKE_OPENAI_KEY) as client:
        yield client


def _break_tools() -> None:
    global tools_broken
    executed.clear()
    tools_broken = True


def _trajectory(session: agentops_otel.Session) -> list[tuple[str, str, str | None]]:
    return [(s.kind, s.name, None if s.error is None else str(s.error)) for s in session.steps]


def test_the_recording_file_keeps_every_tool_and_action_with_arguments_results_and_the_failure(
    recorded: tuple[Path, agentops_otel.Session],
) -> None:
    path, _ = recorded
    steps = Recording.load(path).tool_steps
    assert [(s.kind, s.name, s.params) for s in steps] == [
        ("tool", "lookup_order", {"order_id": "A1"}),
        ("tool", "lookup_order", {"order_id": "B2"}),
        ("tool", "refund", {"order_id": "B2", "amount": 250}),
        ("action", "escalate", {"reason": FINAL}),
    ]
    assert steps[0].returns == {"order_id": "A1", "amount": 30}
    assert steps[2].returns is None
    assert steps[2].error == {
        "type": "tests.test_playback_tools.NeedsApproval",
        "message": "refund of 250 on B2 needs a manager",
    }
    agent_step = Recording.load(path).steps[0]
    assert agent_step.kind == "agent" and all(s.parent == agent_step.index for s in steps)


def test_tools_answered_from_the_recording_reproduce_the_trajectory_and_failure_without_running(
    recorded: tuple[Path, agentops_otel.Session], offline_client: Any
) -> None:
    path, session = recorded
    _break_tools()
    with playback(path, tools=True) as player, agentops_otel.session("refund-tools"):
        outcome = refund_agent(offline_client)
    replayed = agentops_otel.get_session()

    assert outcome == EXPECTED  # NeedsApproval came back with its name and message
    assert executed == ["refund_agent"]  # no tool or action body ran
    assert player.answered == 3 and player.tools is not None and player.tools.answered == 4
    assert not player.divergences and player.tools.live_calls == 0
    assert replayed is not None and replayed.session_id != session.session_id
    assert _trajectory(replayed) == _trajectory(session)
    diff = diff_sessions(session, replayed)
    assert diff.same, diff.render()
    answered = [s.name for s in replayed.steps if s.attributes.get(sc.AGENTOPS_PLAYBACK_ANSWERED) is True]
    assert answered == ["lookup_order", "lookup_order", "refund", "escalate"]
    failed = next(s for s in replayed.steps if s.name == "refund")
    assert failed.error is not None and failed.error.type == "tests.test_playback_tools.NeedsApproval"
    assert failed.error.message == "refund of 250 on B2 needs a manager"


def test_the_played_back_exception_is_a_recorded_tool_error_named_after_the_recorded_type(
    recorded: tuple[Path, agentops_otel.Session], offline_client: Any
) -> None:
    path, _ = recorded
    _break_tools()
    with playback(path, tools=True, strict=False):
        lookup_order("A1")
        lookup_order("B2")
        with pytest.raises(RecordedToolError) as raised:
            refund("B2", 250)
    assert type(raised.value).__name__ == "NeedsApproval" and not isinstance(raised.value, NeedsApproval)
    assert (raised.value.type, raised.value.message) == ("tests.test_playback_tools.NeedsApproval", str(raised.value))
    assert executed == []


def test_changed_arguments_are_a_divergence_at_that_tool_step_and_nothing_runs(
    recorded: tuple[Path, agentops_otel.Session], offline_client: Any
) -> None:
    path, _ = recorded
    _break_tools()
    with pytest.raises(PlaybackDivergence) as raised, playback(path, tools=True):
        refund_agent(offline_client, lowercase_ids=True)
    divergence = raised.value
    assert divergence.step is not None and (divergence.step.kind, divergence.step.name) == ("tool", "lookup_order")
    assert divergence.call_number == 1
    assert divergence.recorded == 'tool lookup_order({"order_id":"A1"})'
    assert divergence.actual == 'tool lookup_order({"order_id":"a1"})'
    assert "diverged at tool/action call 1 of 4" in str(divergence) and "the arguments differ" in str(divergence)
    assert executed == ["refund_agent"]


def test_lenient_playback_runs_the_real_function_for_a_call_the_recording_does_not_hold(
    recorded: tuple[Path, agentops_otel.Session], offline_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path, _ = recorded
    executed.clear()  # tools work: the lenient misses run them
    with caplog.at_level(logging.WARNING, "agentops_otel.playback"), playback(path, tools=True, strict=False) as player:
        outcome = refund_agent(offline_client, lowercase_ids=True)
    assert outcome == EXPECTED  # the live lookups gave the recorded results, so the LLM calls still match
    assert executed == ["refund_agent", "lookup_order a1", "lookup_order b2"]  # refund and escalate answered
    assert player.tools is not None and (player.tools.live_calls, player.tools.answered) == (2, 2)
    assert len(player.divergences) == 2 and player.answered == 3
    assert sum("the arguments differ" in r.getMessage() for r in caplog.records) == 2


def test_more_calls_than_recorded_and_recorded_calls_not_made_are_divergences(
    recorded: tuple[Path, agentops_otel.Session],
) -> None:
    path, _ = recorded
    _break_tools()
    recording = Recording.load(path)
    only_tools = Recording(recording.session_id, recording.name, recording.end_state, tuple(recording.tool_steps))
    with (
        pytest.raises(PlaybackDivergence, match="more tool and action calls than recorded") as beyond,
        playback(only_tools, tools=True),
    ):
        for order_id in ("A1", "B2"):
            lookup_order(order_id)
        with pytest.raises(RecordedToolError):
            refund("B2", 250)
        escalate(FINAL)
        escalate(FINAL)
    assert beyond.value.step is None and "beyond the end of the recording" in str(beyond.value)
    with (
        pytest.raises(PlaybackDivergence, match="1 call\\(s\\), then the code finished") as short,
        playback(only_tools, tools=True),
    ):
        lookup_order("A1")
    assert short.value.step is not None and short.value.step.params == {"order_id": "B2"}
    assert executed == []


def test_a_tool_of_another_name_diverges_and_agents_are_never_answered(
    recorded: tuple[Path, agentops_otel.Session],
) -> None:
    path, _ = recorded
    _break_tools()
    recording = Recording.load(path)
    only_tools = Recording(recording.session_id, recording.name, recording.end_state, tuple(recording.tool_steps))
    with (
        pytest.raises(PlaybackDivergence, match="another tool or action was called") as raised,
        playback(only_tools, tools=True),
    ):
        refund("A1", 30)
    assert raised.value.recorded.startswith("tool lookup_order(") and raised.value.actual.startswith("tool refund(")
    with playback(only_tools, tools=True, strict=False), pytest.raises(AttributeError):
        refund_agent(None)  # the agent body runs (and fails on its None client): agents are the code under test
    assert executed == ["refund_agent"]


# Async tools, concurrently


@agentops_otel.record_tool("lookup_order_async")
async def lookup_order_async(order_id: str) -> dict[str, Any]:
    _ran(f"lookup_order_async {order_id}")
    await asyncio.sleep(0)
    return {"order_id": order_id, "amount": AMOUNTS[order_id]}


@agentops_otel.record_tool("refund_async")
async def refund_async(order_id: str, amount: int) -> str:
    _ran(f"refund_async {order_id}")
    raise PermissionError(f"refund of {amount} on {order_id} needs a manager")


@agentops_otel.agent("async_refund_agent")
async def async_refund_agent(client: Any) -> list[str]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    tools = {"lookup_order": lookup_order_async, "refund": refund_async}
    for _ in range(5):
        message = (await client.chat.completions.create(model=MODEL, messages=messages)).choices[0].message
        if not message.tool_calls:
            return [m["content"] for m in messages if m["role"] == "tool"] + [message.content]
        calls = [c.model_dump(exclude_none=True) for c in message.tool_calls]
        messages.append({"role": "assistant", "content": message.content, "tool_calls": calls})

        async def run(name: str, arguments: dict[str, Any]) -> str:
            try:
                return json.dumps(await tools[name](**arguments))
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"

        results = await asyncio.gather(
            *(run(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls)
        )
        for call, result in zip(message.tool_calls, results, strict=True):
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    raise RuntimeError("the agent did not finish")


async def _run_async_agent(client: Any) -> list[str]:
    async with client:
        return await async_refund_agent(client)


def test_async_tools_run_concurrently_play_back_without_running(tmp_path: Path) -> None:
    with instrumented_clients(), LLMServer() as server:
        script(server)
        with agentops_otel.session("async-tools"):
            live = asyncio.run(_run_async_agent(server.openai_client(async_client=True, max_retries=0)))
        session = agentops_otel.get_session()
    assert live[-2] == "PermissionError: refund of 250 on B2 needs a manager"
    path = Recording.from_session(session).save(tmp_path / "async.json")

    _break_tools()
    offline = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key=FAKE_OPENAI_KEY)
    with instrumented_clients(), playback(path, tools=True) as player, agentops_otel.session("async-tools"):
        replayed = asyncio.run(_run_async_agent(offline))
    assert replayed == live  # PermissionError is a builtin: raised again as itself
    assert executed == [] and player.tools is not None and player.tools.answered == 3
    assert _trajectory(agentops_otel.get_session()) == _trajectory(session)


# Generators, nested tools, bad recordings


@agentops_otel.record_tool("history")
def history(order_id: str) -> Iterator[str]:
    _ran("history")
    yield f"{order_id} ordered"
    yield f"{order_id} shipped"
    raise TimeoutError("carrier did not answer")


@agentops_otel.record_tool("events")
async def events(order_id: str) -> AsyncIterator[dict[str, str]]:
    _ran("events")
    for event in ("ordered", "delivered"):
        yield {"order_id": order_id, "event": event}


@agentops_otel.record_action("settle")
def settle(order_id: str) -> str:
    _ran("settle")
    return refund(order_id, AMOUNTS[order_id])  # a tool inside the action: not expected when settle is answered


def _record_without_llm(run: Any) -> Recording:
    agentops_otel.init(store=False, instrument_llm=False)
    with agentops_otel.session("steps"):
        run()
    session = agentops_otel.get_session()
    assert session is not None
    return Recording.from_session(session)


async def _collect(agen: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in agen]


def _generators_and_nesting() -> list[Any]:
    seen: list[Any] = []
    try:
        seen.extend(history("A1"))
    except TimeoutError as exc:
        seen.append(f"TimeoutError: {exc}")
    seen.extend(asyncio.run(_collect(events("B2"))))
    seen.append(settle("A1"))
    return seen


def test_generators_yield_the_recorded_items_and_answered_steps_do_not_expect_their_inner_calls(
    tmp_path: Path,
) -> None:
    recording = _record_without_llm(_generators_and_nesting)
    live = _generators_and_nesting()
    assert live[:3] == ["A1 ordered", "A1 shipped", "TimeoutError: carrier did not answer"]
    path = recording.save(tmp_path / "steps.json")
    settle_step = next(s for s in Recording.load(path).steps if s.name == "settle")
    assert [s.name for s in Recording.load(path).inside(settle_step)] == ["refund"]

    _break_tools()
    with playback(path, tools=True) as player:
        replayed = _generators_and_nesting()
    assert replayed == live and executed == []
    assert player.tools is not None and player.tools.answered == 3 and not player.tools.remaining


def test_tools_recorded_without_content_or_truncated_cannot_be_played_back_and_say_why() -> None:
    agentops_otel.init(capture_content=False)
    try:
        no_content = _record_without_llm(lambda: lookup_order("A1"))
    finally:
        agentops_otel.init(capture_content=True)
    with pytest.raises(PlaybackError, match=r"without content .*tools=False"), playback(no_content, tools=True):
        pass
    with playback(no_content):  # the tools run for real: nothing to answer from
        assert lookup_order("B2") == {"order_id": "B2", "amount": 250}

    agentops_otel.init(max_content_length=20)
    try:
        truncated = _record_without_llm(lambda: escalate("a reason longer than twenty characters"))
    finally:
        agentops_otel.init(max_content_length=DEFAULT_MAX_CONTENT_LENGTH)
    with (
        pytest.raises(PlaybackError, match=r"truncated.*AGENTOPS_OTEL_MAX_CONTENT_LENGTH"),
        playback(truncated, tools=True),
    ):
        pass


def test_a_non_json_return_comes_back_in_its_recorded_form(tmp_path: Path) -> None:
    @agentops_otel.record_tool("pair")
    def pair(x: int) -> tuple[int, set[int]]:
        _ran("pair")
        return x, {x}

    recording = _record_without_llm(lambda: pair(1))
    _break_tools()
    with playback(recording, tools=True):
        assert pair(1) == [1, [1]]


def test_the_demo_failure_replays_with_its_tools_answered_and_their_data_gone(
    demo_recording: tuple[Path, agentops_otel.Session], offline_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentops_otel.demo import _agent

    exported, recorded_session = demo_recording
    monkeypatch.setattr(_agent, "_ORDERS", {})  # run for real, the tools would now fail differently
    monkeypatch.setattr(_agent, "_CUSTOMERS", {})
    with playback(exported, tools=True) as player:
        _, outcome = handle_ticket(offline_client, FAILING_TICKET)
    replayed = agentops_otel.get_session()
    assert outcome == "failed: ValueError: customer_id cannot be None"  # a builtin: raised again as ValueError
    assert player.tools is not None and player.tools.answered == 2 and not player.divergences
    assert replayed is not None and _trajectory(replayed) == _trajectory(recorded_session)
    diff = diff_sessions(recorded_session, replayed)
    assert diff.same, diff.render()


# Edge cases: threads, no tracer, rebuilt exceptions


meeting = threading.Barrier(2)


@agentops_otel.record_tool("meet")
def meet(who: str) -> str:
    _ran(f"meet {who}")
    meeting.wait(timeout=30)  # both calls are in flight at once: they overlap in the recording
    return f"met {who}"


def test_tools_that_ran_concurrently_in_threads_are_answered_in_either_order() -> None:
    def both(first: str, second: str) -> list[str]:
        with ThreadPoolExecutor(2) as pool:  # answered calls never reach the barrier
            calls = [pool.submit(contextvars.copy_context().run, meet, who) for who in (first, second)]
            return [call.result() for call in calls]

    recording = _record_without_llm(lambda: both("ann", "bob"))
    assert [s.params["who"] for s in recording.tool_steps] == ["ann", "bob"]
    _break_tools()
    with playback(recording, tools=True) as player:
        replayed = both("bob", "ann")
    assert replayed == ["met bob", "met ann"] and executed == []
    assert player.tools is not None and player.tools.answered == 2
    with playback(recording, tools=True):  # one after the other, in the other order: still both recorded
        assert [meet("bob"), meet("ann")] == ["met bob", "met ann"]
    with pytest.raises(PlaybackDivergence, match="the arguments differ"), playback(recording, tools=True):
        meet("cid")


def test_without_a_tracer_the_recorded_answers_still_stand_in_for_every_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def every_shape() -> list[Any]:
        return [*_generators_and_nesting(), asyncio.run(lookup_order_async("A1"))]

    recording = _record_without_llm(every_shape)
    live = every_shape()
    monkeypatch.setattr(_decorators, "tracer", lambda: None)  # nothing records: the untraced path
    _break_tools()
    with playback(recording, tools=True) as player:
        assert every_shape() == live
    assert executed == [] and player.tools is not None and player.tools.answered == 4


@pytest.mark.parametrize(
    ("error", "expected_type", "expected_text"),
    [
        ({"type": "ValueError", "message": "bad amount"}, ValueError, "bad amount"),
        ({"type": "KeyError", "message": "'A9'"}, KeyError, "'A9'"),  # str(KeyError("A9")) again
        ({"type": "TimeoutError", "message": ""}, TimeoutError, ""),
        ({"type": "UnicodeDecodeError", "message": "'utf-8' codec can't decode"}, RecordedToolError, "'utf-8'"),
        ({"type": "shop.errors.Outer.Declined", "message": "card declined"}, RecordedToolError, "card declined"),
        ({"type": "SystemExit", "message": "1"}, RecordedToolError, "1"),
        ({}, Exception, ""),
    ],
)
def test_recorded_exceptions_are_rebuilt_as_builtins_or_named_recorded_tool_errors(
    error: dict[str, str], expected_type: type[BaseException], expected_text: str
) -> None:
    exc = recorded_exception(error)
    assert isinstance(exc, expected_type) and str(exc).startswith(expected_text)
    if isinstance(exc, RecordedToolError):
        assert exc.type == error["type"] and type(exc).__name__ == error["type"].rsplit(".", 1)[-1]
        module, qualname = type(exc).__module__, type(exc).__qualname__
        assert (qualname if module == "builtins" else f"{module}.{qualname}") == error["type"]  # as the SDK records it


MARKED_TESTS = """
import pytest
import agentops_otel

@agentops_otel.record_tool("charge")
def charge(card: str, amount: int) -> dict:
    raise AssertionError("charged a real card")

@pytest.mark.agentops_playback("recordings/charge.json", tools=True)
def test_answered(agentops_playback):
    assert charge("4242", 5) == {"status": "ok", "amount": 5}
    assert agentops_playback.tools.answered == 1

@pytest.mark.agentops_playback("recordings/charge.json", tools=True)
def test_other_amount(agentops_playback):
    charge("4242", 500)

@pytest.mark.agentops_playback("recordings/charge.json", tools=True)
def test_not_called(agentops_playback):
    pass
"""


def test_the_pytest_marker_passes_tools_through_and_fails_tests_whose_tool_calls_diverge(
    pytester: pytest.Pytester,
) -> None:
    step = RecordedStep(1, "tool", "charge", {"card": "4242", "amount": 5}, {"status": "ok", "amount": 5})
    (pytester.path / "recordings").mkdir()
    Recording("charge", "charge", "Success", (step,)).save(pytester.path / "recordings" / "charge.json")
    pytester.makepyfile(test_user=MARKED_TESTS)
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = --strict-markers -p no:cacheprovider\n")

    result = pytester.runpytest_subprocess("-q")

    result.assert_outcomes(passed=2, failed=1, errors=1)  # test_not_called passes, then errors at teardown
    output = result.stdout.str()
    assert "charged a real card" not in output
    assert 'actual:   tool charge({"amount":500,"card":"4242"})' in output
    assert "fewer tool and action calls than recorded" in output
