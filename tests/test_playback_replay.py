"""Record a run against the loopback server, export it, stop the server, play it back: same calls, same answers.

Covers both client libraries, sync and async, plain and streaming calls. The played-back run must see
exactly what the live run saw (response ids, models, text, tool call ids and arguments, finish reasons,
usage), run the same tools, and end in the same failure, with no server to answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import agentops_otel
from agentops_otel import Recording, playback
from agentops_otel.testing.llm_server import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, LLMServer
from tests.test_playback_agent import (
    Run,
    anthropic_agent,
    anthropic_agent_async,
    instrumented_clients,
    openai_agent,
    openai_agent_async,
    record,
    script,
)

Agent = Callable[[], Run]


def _client(provider: str, asynchronous: bool, port: int) -> Any:
    """A real client for the loopback server's address, whether or not it is still running."""
    import anthropic
    import openai

    if provider == "openai":
        cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
        return cls(base_url=f"http://127.0.0.1:{port}/v1", api_key=FAKE_OPENAI_KEY, max_retries=0)
    cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
    return cls(base_url=f"http://127.0.0.1:{port}", api_key=FAKE_ANTHROPIC_KEY, max_retries=0)


def agent_for(flavour: str, port: int) -> Agent:
    """The agent of a flavour with a fresh client, closed when the run ends (async ones in their own loop)."""
    provider, asynchronous, agent, options = FLAVOURS[flavour]
    if not asynchronous:

        def run_sync() -> Run:
            with _client(provider, False, port) as client:
                return agent(client, **options)

        return run_sync

    async def run_async() -> Run:
        async with _client(provider, True, port) as client:
            return await agent(client, **options)

    return lambda: asyncio.run(run_async())


FLAVOURS: dict[str, tuple[str, bool, Any, dict[str, Any]]] = {
    "openai": ("openai", False, openai_agent, {}),
    "openai-stream": ("openai", False, openai_agent, {"stream": True}),
    "openai-async": ("openai", True, openai_agent_async, {}),
    "openai-async-stream": ("openai", True, openai_agent_async, {"stream": True}),
    "anthropic": ("anthropic", False, anthropic_agent, {}),
    "anthropic-stream": ("anthropic", False, anthropic_agent, {"stream": True}),
    "anthropic-async": ("anthropic", True, anthropic_agent_async, {}),
    "anthropic-async-stream": ("anthropic", True, anthropic_agent_async, {"stream": True}),
}


def record_to_file(flavour: str, path: Path) -> tuple[Run, agentops_otel.Session, Agent]:
    """Run live against a server, save the recording, stop the server; return the agent aimed at it."""
    with LLMServer() as server:
        script(server)
        agent = agent_for(flavour, server.port)
        run, session = record(agent)
    Recording.from_session(session).save(path)
    return run, session, agent


@pytest.fixture(autouse=True)
def _no_open_sessions() -> Iterator[None]:
    yield
    agentops_otel.end_all_sessions()


@pytest.mark.parametrize("flavour", list(FLAVOURS))
def test_a_played_back_run_sees_what_the_live_run_saw_with_the_server_stopped(flavour: str, tmp_path: Path) -> None:
    live, recorded, agent = record_to_file(flavour, tmp_path / "run.json")
    assert live.error == "ValueError: refund of 250 needs a manager"
    assert len(live.calls) == 2

    with playback(tmp_path / "run.json") as player:
        replayed, again = record(agent)

    assert replayed == live  # every response id, text, tool call, finish reason and usage, and the failure
    assert player.answered == 2 and player.divergences == [] and player.live_calls == 0
    assert [(s.kind, s.name) for s in again.steps] == [(s.kind, s.name) for s in recorded.steps]
    failures = [(s.kind, s.name, str(s.error)) for s in again.steps if s.error]
    assert failures == [("tool", "refund", "ValueError: refund of 250 needs a manager")]


@pytest.mark.parametrize("flavour", list(FLAVOURS))
def test_a_run_recorded_by_our_instrumentation_plays_back_the_same(flavour: str, tmp_path: Path) -> None:
    with instrumented_clients():
        live, recorded, agent = record_to_file(flavour, tmp_path / "run.json")
        with playback(tmp_path / "run.json") as player:
            replayed, again = record(agent)
    assert replayed == live and player.answered == 2
    provider = FLAVOURS[flavour][0]
    assert {s.record.scope for s in recorded.llm_events} == {f"agentops_otel.instrumentation.{provider}"}
    assert [(s.kind, s.name) for s in again.steps] == [(s.kind, s.name) for s in recorded.steps]


def test_playback_reads_a_session_object_as_well_as_a_file(tmp_path: Path) -> None:
    live, recorded, agent = record_to_file("openai", tmp_path / "run.json")
    with playback(recorded):
        assert agent() == live


def test_a_client_that_already_sent_requests_before_playback_is_answered_too(tmp_path: Path) -> None:
    with LLMServer() as server:
        script(server)
        with _client("openai", False, server.port) as client:
            live, session = record(lambda: openai_agent(client))
            with playback(session):
                assert openai_agent(client) == live
            assert len(server.requests) == 2  # only the live run reached the server


def test_after_playback_the_clients_go_to_the_network_again(tmp_path: Path) -> None:
    _, _, agent = record_to_file("openai", tmp_path / "run.json")
    with playback(tmp_path / "run.json"):
        agent()
    import openai

    with pytest.raises(openai.APIConnectionError):  # the server is stopped: no recording answers now
        agent()


def _responses_agent(client: Any, stream: bool) -> list[Any]:
    """Two Responses API calls: the model asks for a tool, then answers from its result."""
    seen = []
    items: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    for _ in range(2):
        request = {"model": "gpt-4.1", "instructions": "Be brief.", "input": items}
        if stream:
            with client.responses.stream(**request) as events:
                response = events.get_final_response()
        else:
            response = client.responses.create(**request)
        # Output item ids (fc_…, msg_…) are not part of a recording; everything the agent uses is.
        seen.append(response.model_dump(exclude={"created_at": True, "output": {"__all__": {"id"}}}))
        calls = [item for item in response.output if item.type == "function_call"]
        if not calls:
            break
        for call in calls:
            items += [
                {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
                {"type": "function_call_output", "call_id": call.call_id, "output": '{"sky": "clear"}'},
            ]
    return seen


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_responses_api_calls_play_back_with_their_output_items(stream: bool) -> None:
    from agentops_otel.testing.llm_server import Reply, ToolCall

    with instrumented_clients(), LLMServer() as server:
        server.queue(Reply(tool_calls=[ToolCall("weather", {"city": "Paris"})]), Reply(text="Sunny."))
        with server.openai_client() as client:
            live, session = record(lambda: _responses_agent(client, stream))
        port = server.port
    with _client("openai", False, port) as offline, playback(session) as player:
        assert _responses_agent(offline, stream) == live
    assert player.answered == 2
    assert live[1]["output"][0]["content"][0]["text"] == "Sunny."


def test_the_playback_module_itself_is_the_context_manager(tmp_path: Path) -> None:
    import agentops_otel

    live, _, agent = record_to_file("openai", tmp_path / "run.json")
    with agentops_otel.playback(tmp_path / "run.json", strict=True) as player:
        assert agent() == live
    assert player.answered == 2
