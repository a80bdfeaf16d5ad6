"""Assertions on a tool-calling agent that uses the real openai client against the loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentops_otel as agentops
from agentops_otel import _pipeline
from agentops_otel.testing import (
    assert_called_with,
    assert_cost_under,
    assert_matches_snapshot,
    assert_max_llm_calls,
    assert_no_none_arguments,
    assert_steps,
    assert_tokens_under,
)
from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall
from tests._capture import ensure_pipeline

pytest_plugins = ["tests._llm_fixtures"]
pytest.importorskip("openai")

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": ["string", "null"]}}},
    },
}


@pytest.fixture
def tracer_provider() -> Iterator[Any]:
    """Instrument openai into the pipeline's own provider, so LLM calls become session steps."""
    ensure_pipeline()
    pipeline = _pipeline.current_pipeline()
    assert pipeline is not None
    yield pipeline.provider


@agentops.tool("get_weather")
def get_weather(city: str | None) -> dict[str, Any]:
    return {"city": city, "celsius": 21}


def run_agent(client: Any, question: str) -> str:
    """The usual loop: ask, run the tools the model asks for, ask again, until it answers in text."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(4):
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
        message = reply.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = get_weather(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    raise RuntimeError("the agent did not finish")


def _weather_session(llm_server: LLMServer, openai_client: Any, city: str | None) -> agentops.Session:
    llm_server.queue(Reply(tool_calls=[ToolCall("get_weather", {"city": city})], input_tokens=40, output_tokens=8))
    llm_server.queue(Reply(text="It is 21 degrees.", input_tokens=60, output_tokens=6))
    with agentops.session("weather") as handle:
        assert run_agent(openai_client, "Weather in Paris?") == "It is 21 degrees."
    return handle.get()


@pytest.mark.usefixtures("instrumented")
def test_the_agents_behaviour(llm_server: LLMServer, openai_client: Any, tmp_path: Path) -> None:
    session = _weather_session(llm_server, openai_client, "Paris")
    assert_steps(session, ["llm:gpt-4o-mini", "tool:get_weather", "llm"], exact=True)
    assert_called_with(session, "get_weather", city="Paris")
    assert_no_none_arguments(session)
    assert_max_llm_calls(session, 2)
    assert_tokens_under(session, 115)
    assert_cost_under(session, 0.001)
    assert_matches_snapshot(session, tmp_path / "weather.json", update=True)
    assert_matches_snapshot(_weather_session(llm_server, openai_client, "Paris"), tmp_path / "weather.json")
    with pytest.raises(AssertionError, match="trajectories diverge: step 2 differs"):
        assert_matches_snapshot(_weather_session(llm_server, openai_client, "Lyon"), tmp_path / "weather.json")


@pytest.mark.usefixtures("instrumented")
def test_a_none_argument_from_the_model_is_caught(llm_server: LLMServer, openai_client: Any) -> None:
    session = _weather_session(llm_server, openai_client, None)
    with pytest.raises(AssertionError) as excinfo:
        assert_no_none_arguments(session)
    message = str(excinfo.value)
    assert "step 2: tool get_weather: city is None" in message
    assert "   1. llm gpt-4o-mini\n    2. tool get_weather(city=None)  <-\n    3. llm gpt-4o-mini" in message


@pytest.mark.usefixtures("instrumented")
def test_each_tool_step_carries_the_id_of_the_model_call_it_answers(llm_server: LLMServer, openai_client: Any) -> None:
    from agentops_otel import semconv as sc

    calls = [ToolCall("get_weather", {"city": "Lyon"}, id="call_lyon"), ToolCall("get_weather", {"city": "Paris"})]
    llm_server.queue(Reply(tool_calls=calls), Reply(text="Both are 21 degrees."))
    with agentops.session("two cities") as handle:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "Lyon and Paris?"}]
        reply = openai_client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
        requested = reply.choices[0].message.tool_calls
        for call in reversed(requested):  # answered in another order than asked: matched by arguments
            get_weather(**json.loads(call.function.arguments))
        get_weather("Rome")  # no call of the model asked for this one
    by_city = {s.params["city"]: s.attributes.get(sc.GEN_AI_TOOL_CALL_ID) for s in handle.get().tool_events}
    assert by_city == {"Lyon": "call_lyon", "Paris": requested[1].id, "Rome": None}
