"""Acceptance: turn a recorded failure into a deterministic regression test (issue 10).

A user's tool-calling agent (openai with a streamed answer, then anthropic) runs once against the
loopback server in its own process, failing on a lost order; `agentops-otel export` writes the
recording; then, with no server at all, the agent's own code replays it here: same answers, same
failure, and a changed prompt is reported as a divergence at the right call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentops_otel import PlaybackDivergence, PlaybackError, playback
from agentops_otel.errors import AgentOpsOtelError

pytest_plugins = ["pytester"]
openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

AGENT = textwrap.dedent(
    """
    import json

    LOOKUP = {"type": "function", "function": {"name": "lookup_order", "parameters": {
        "type": "object", "properties": {"order_id": {"type": "string"}}}}}

    class OrderLost(Exception):
        pass

    def lookup_order(order_id):
        return {"order_id": order_id, "status": "lost"}

    def support_agent(oai, ant, text):
        first = oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": text}], tools=[LOOKUP])
        call = first.choices[0].message.tool_calls[0]
        order = lookup_order(**json.loads(call.function.arguments))
        chunks = oai.chat.completions.create(model="gpt-4o-mini", stream=True, messages=[
            {"role": "user", "content": text},
            {"role": "assistant", "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps(order)}])
        answer = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        summary = ant.messages.create(model="claude-haiku-4-5", max_tokens=50,
                                      messages=[{"role": "user", "content": "summarise: " + answer}])
        if order["status"] == "lost":
            raise OrderLost(summary.content[0].text)
        return answer
    """
)

RECORD = textwrap.dedent(
    """
    import anthropic, openai
    import agentops_otel as agentops
    from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall
    from agent import support_agent, OrderLost

    agentops.init()
    with LLMServer() as server:
        server.queue(Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A-1"})]))
        server.queue(Reply(text="Your order A-1 is lost, sorry."))
        server.queue(Reply(text="Order lost."))
        oai = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-secret-123456", max_retries=0)
        ant = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-secret-123456", max_retries=0)
        try:
            with agentops.session("refund"):
                support_agent(oai, ant, "where is A-1")
        except OrderLost:
            pass
    print(agentops.get_session().session_id)
    """
)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("recorded-failure")
    (directory / "agent.py").write_text(AGENT)
    (directory / "record.py").write_text(RECORD)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_OTEL_", "OTEL_"))}
    run = subprocess.run(
        [sys.executable, "record.py"], cwd=directory, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    session_id = run.stdout.strip()
    out = directory / "refund.json"
    export = subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", "export", session_id[:8], "-o", str(out)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert export.returncode == 0, export.stderr
    return out


@pytest.fixture
def agent(recording: Path):
    namespace: dict = {}
    exec(compile(AGENT, str(recording.parent / "agent.py"), "exec"), namespace)
    return namespace


def dead_clients():
    """Clients pointed at a closed port: any call that reaches the network fails."""
    oai = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test", max_retries=0)
    ant = anthropic.Anthropic(base_url="http://127.0.0.1:9", api_key="sk-ant-test", max_retries=0)
    return oai, ant


def test_recording_holds_no_credentials(recording: Path):
    text = recording.read_text()
    assert "sk-test-secret-123456" not in text and "sk-ant-secret-123456" not in text
    assert json.loads(text)["end_state"] == "Fail"


def test_recorded_failure_replays_without_a_server(agent: dict, recording: Path):
    oai, ant = dead_clients()
    with pytest.raises(agent["OrderLost"], match=r"Order lost\."), playback(recording) as player:
        agent["support_agent"](oai, ant, "where is A-1")
    assert player.divergences == []


def test_a_changed_prompt_is_a_divergence_at_the_first_call(agent: dict, recording: Path):
    oai, ant = dead_clients()
    with pytest.raises(PlaybackDivergence) as caught, playback(recording):
        agent["support_agent"](oai, ant, "where is B-2")
    message = str(caught.value)
    assert caught.value.call_number == 1
    assert "where is A-1" in message and "where is B-2" in message


def test_stopping_early_leaves_recorded_calls_unmade(agent: dict, recording: Path):
    oai, _ = dead_clients()
    with pytest.raises(PlaybackDivergence), playback(recording):
        oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "where is A-1"}],
            tools=[agent["LOOKUP"]],
        )


def test_a_missing_or_foreign_recording_is_a_clear_error(tmp_path: Path):
    missing = tmp_path / "no-such-recording.json"
    with pytest.raises(AgentOpsOtelError, match=r"no-such-recording\.json"), playback(missing):
        pass
    foreign = tmp_path / "notes.json"
    foreign.write_text('{"hello": "world"}')
    with pytest.raises(PlaybackError), playback(foreign):
        pass


def test_the_marker_replays_a_recording_committed_beside_the_test(
    recording: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    for name in list(os.environ):
        if name.startswith(("AGENTOPS_OTEL_", "OTEL_")):
            monkeypatch.delenv(name)
    pytester.makepyfile(agent=AGENT)
    (pytester.path / "refund.json").write_text(recording.read_text())
    pytester.makepyfile(
        test_refund="""
        import anthropic, openai, pytest
        from agent import OrderLost, support_agent

        def clients():
            return (openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test", max_retries=0),
                    anthropic.Anthropic(base_url="http://127.0.0.1:9", api_key="sk-ant-test", max_retries=0))

        @pytest.mark.agentops_playback("refund.json")
        def test_lost_order_still_fails_the_same_way(agentops_playback):
            with pytest.raises(OrderLost, match="Order lost"):
                support_agent(*clients(), "where is A-1")
            assert agentops_playback.answered == 3

        @pytest.mark.agentops_playback("refund.json")
        def test_a_new_prompt_diverges(agentops_playback):
            support_agent(*clients(), "where is my order A-1?")
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    assert "where is my order A-1?" in result.stdout.str()
