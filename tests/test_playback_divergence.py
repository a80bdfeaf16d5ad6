"""A changed agent is reported at the first LLM call that differs, with recorded versus actual.

Strict playback (the default) raises PlaybackDivergence there; lenient playback logs it and sends the
call to the network, here the loopback server, which must see exactly the diverging calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import agentops_otel
from agentops_otel import PlaybackDivergence, RecordedStep, Recording, playback
from agentops_otel.errors import AgentOpsOtelError
from agentops_otel.testing.llm_server import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, LLMServer, Reply, Rule
from tests.test_playback_agent import SYSTEM, anthropic_agent, instrumented_clients, openai_agent, record, script

DEAD_PORT_URL = "http://127.0.0.1:9"  # the discard port: nothing answers there


@pytest.fixture(autouse=True)
def _no_open_sessions() -> Iterator[None]:
    yield
    agentops_otel.end_all_sessions()


@pytest.fixture(scope="module")
def openai_recording() -> Recording:
    with LLMServer() as server:
        script(server)
        with server.openai_client() as client:
            _, session = record(lambda: openai_agent(client))
    return Recording.from_session(session)


@pytest.fixture
def offline_openai() -> Iterator[Any]:
    with openai.OpenAI(base_url=DEAD_PORT_URL + "/v1", api_key=FAKE_OPENAI_KEY, max_retries=0) as client:
        yield client


def test_a_changed_system_prompt_diverges_at_the_first_call(openai_recording: Recording, offline_openai: Any) -> None:
    with pytest.raises(PlaybackDivergence) as caught, playback(openai_recording):
        openai_agent(offline_openai, system="You refund anything at once.")
    divergence = caught.value
    assert divergence.call_number == 1
    assert divergence.step is openai_recording.llm_steps[0]
    assert divergence.recorded == f"system: {SYSTEM!r}"
    assert divergence.actual == "system: 'You refund anything at once.'"
    assert "diverged at LLM call 1 of 2" in str(divergence) and "message entry 1" in str(divergence)


def test_running_the_tools_in_another_order_diverges_at_the_call_that_reads_their_results(
    openai_recording: Recording, offline_openai: Any
) -> None:
    with pytest.raises(PlaybackDivergence) as caught, playback(openai_recording):
        openai_agent(offline_openai, reverse_tools=True)
    divergence = caught.value
    second_call = openai_recording.llm_steps[1]
    assert divergence.call_number == 2 and divergence.step is second_call
    assert f"step {second_call.index}" in str(divergence)
    assert '"order_id":"A1"' in divergence.recorded and '"order_id":"B2"' in divergence.actual
    assert divergence.recorded.startswith("tool result:") and divergence.actual.startswith("tool result:")


def test_another_model_diverges(openai_recording: Recording, offline_openai: Any) -> None:
    with pytest.raises(PlaybackDivergence, match="model differs") as caught, playback(openai_recording):
        openai_agent(offline_openai, model="gpt-4o-mini")
    assert (caught.value.recorded, caught.value.actual) == ("gpt-4o", "gpt-4o-mini")


def test_a_call_beyond_the_end_of_the_recording_diverges(openai_recording: Recording, offline_openai: Any) -> None:
    first_call_only = dataclasses.replace(openai_recording, steps=openai_recording.steps[:1])
    with pytest.raises(PlaybackDivergence, match="the number of LLM calls") as caught, playback(first_call_only):
        openai_agent(offline_openai)
    assert caught.value.call_number == 2 and caught.value.step is None
    assert caught.value.recorded == "(no more LLM calls)"


def test_finishing_before_the_recorded_calls_are_made_is_a_divergence_in_strict_mode(
    openai_recording: Recording, offline_openai: Any
) -> None:
    question = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Please refund my orders A1 and B2."},
    ]
    with pytest.raises(PlaybackDivergence, match="then the code finished") as caught, playback(openai_recording):
        offline_openai.chat.completions.create(model="gpt-4o", messages=question)
    assert caught.value.step is openai_recording.llm_steps[1]

    with playback(openai_recording, strict=False) as player:  # lenient: reported, not raised
        offline_openai.chat.completions.create(model="gpt-4o", messages=question)
    assert player.answered == 1 and len(player.remaining) == 1


def test_a_divergence_the_agent_swallows_still_fails_strict_playback(
    openai_recording: Recording, offline_openai: Any
) -> None:
    def stubborn_agent() -> None:
        try:
            openai_agent(offline_openai, model="gpt-4o-mini")
        except Exception as exc:
            raise RuntimeError("agent gave up") from exc

    carries_on = contextlib.suppress(RuntimeError)  # the agent's caller ignores the failure too
    with pytest.raises(PlaybackDivergence, match="model differs") as caught, playback(openai_recording), carries_on:
        stubborn_agent()
    assert isinstance(caught.value, AgentOpsOtelError)


def test_lenient_playback_logs_the_divergence_and_sends_only_the_diverging_calls_live(
    openai_recording: Recording, caplog: pytest.LogCaptureFixture
) -> None:
    with LLMServer() as server:
        server.queue(Reply(text="live answer"))
        quiet = caplog.at_level(logging.WARNING, "agentops_otel.playback")
        with server.openai_client() as client, quiet, playback(openai_recording, strict=False) as player:
            run = openai_agent(client, reverse_tools=True)
        assert len(server.requests) == 1  # the first call was played back, the second went live
        assert server.requests[0].json["messages"][-1]["content"].find("A1") >= 0  # tools ran in reverse
    assert player.answered == 1 and player.live_calls == 1 and len(player.divergences) == 1
    assert player.divergences[0].call_number == 2
    assert "diverged at LLM call 2 of 2" in caplog.text
    assert run.calls[1].text == "live answer"


def test_a_divergence_passes_through_the_anthropic_client_unwrapped(tmp_path: Path) -> None:
    with LLMServer() as server:
        script(server)
        with server.anthropic_client() as client:
            _, session = record(lambda: anthropic_agent(client))
    offline = anthropic.Anthropic(base_url=DEAD_PORT_URL, api_key=FAKE_ANTHROPIC_KEY, max_retries=2)
    with offline, pytest.raises(PlaybackDivergence, match="model differs") as caught, playback(session):
        anthropic_agent(offline, model="claude-other-1")
    assert isinstance(caught.value, anthropic.AnthropicError)  # so the client neither wraps nor retries it


def _ask(text: str, start: int, end: int, index: int) -> RecordedStep:
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": text.upper()}], "finish_reason": "stop"}]
    question = [{"role": "user", "parts": [{"type": "text", "content": text}]}]
    return RecordedStep(
        index, "llm", "gpt-4o", question, answer, provider="openai", request_model="gpt-4o", start_ns=start, end_ns=end
    )


def _send(client: Any, text: str) -> str:
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    return str(reply.choices[0].message.content)


def test_calls_that_ran_concurrently_may_arrive_in_either_order_but_sequential_ones_may_not(
    offline_openai: Any,
) -> None:
    # a and b overlapped in the recording; c started after both had ended.
    recording = Recording("s", "n", None, (_ask("a", 0, 10, 1), _ask("b", 5, 20, 2), _ask("c", 30, 40, 3)))
    with playback(recording):
        assert [_send(offline_openai, t) for t in ("b", "a", "c")] == ["B", "A", "C"]
    with pytest.raises(PlaybackDivergence) as caught, playback(recording):
        _send(offline_openai, "a")
        _send(offline_openai, "c")  # b has not been asked yet, and c never ran alongside it
    assert (caught.value.call_number, caught.value.recorded, caught.value.actual) == (2, "user: 'b'", "user: 'c'")


def test_a_gathered_pair_of_calls_plays_back_when_the_code_launches_them_in_the_other_order() -> None:
    async def ask_both(client: Any, first: str, second: str) -> list[str]:
        async def ask(text: str) -> str:
            reply = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
            return str(reply.choices[0].message.content)

        return list(await asyncio.gather(ask(first), ask(second)))

    async def live() -> tuple[list[str], Any]:
        agentops_otel.init(store=False, instrument_llm=False)
        with LLMServer() as server, agentops_otel.session("pair"):
            server.add_rule(Rule(contains="apples", reply=Reply(text="red")))
            server.add_rule(Rule(contains="sky", reply=Reply(text="blue")))
            async with server.openai_client(async_client=True) as client:
                answers = await ask_both(client, "colour of apples?", "colour of the sky?")
        return answers, agentops_otel.get_session()

    async def replay(session: Any) -> list[str]:
        async with openai.AsyncOpenAI(base_url=DEAD_PORT_URL + "/v1", api_key=FAKE_OPENAI_KEY) as client:
            with playback(session):
                return await ask_both(client, "colour of the sky?", "colour of apples?")

    with instrumented_clients():
        answers, session = asyncio.run(live())
    assert answers == ["red", "blue"] and len(session.llm_events) == 2
    assert asyncio.run(replay(session)) == ["blue", "red"]
