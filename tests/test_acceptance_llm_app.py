"""Acceptance: a user's agent program, unchanged AgentOps-style code, real openai/anthropic clients.

The program below is what a user writes (issue 3's snippet plus issue 4's clients, pointed by
`base_url` at the loopback LLM server). It runs in its own process, as an application does, so its
`init()` is the first and only one; it prints what `get_session()` says and the tests check it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openai")
pytest.importorskip("anthropic")

USER_APP = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    import anthropic, openai
    import agentops_otel as agentops
    from agentops_otel import ActionEvent, record_action, record_tool
    from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall, ErrorReply

    agentops.init(api_key="the-key-agentops-users-still-pass")
    out = {}

    def summary(s):
        return {
            "session_id": s.session_id, "trace_id": s.trace_id, "tags": s.tags, "end_state": s.end_state,
            "end_state_reason": s.end_state_reason, "cost": s.cost, "url": s.url,
            "steps": [[st.kind, st.name] for st in s.steps],
            "actions": [e.action_type for e in s.action_events],
            "tools": [[t.name, t.params, t.returns] for t in s.tool_events],
            "llm": [[l.model, l.usage.input_tokens, l.usage.output_tokens, l.cost, l.returns] for l in s.llm_events],
            "errors": [str(e.error) for e in s.steps if e.error],
            "input_tokens": s.usage.input_tokens, "output_tokens": s.usage.output_tokens,
            "cache_read": s.usage.cache_read_tokens, "cache_write": s.usage.cache_write_tokens,
            "failing_step": s.failing_step.name if s.failing_step else None,
            "duration": s.duration, "started": s.started_at is not None, "ended": s.ended_at is not None,
        }

    @record_action("fetch_customer_data")
    def fetch_customer(customer_id):
        if customer_id is None:
            raise ValueError("customer_id cannot be None")
        return {"id": customer_id, "plan": "pro"}

    @record_tool("lookup_order")
    def lookup_order(order_id):
        return {"order_id": order_id, "status": "shipped"}

    TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {
        "type": "object", "properties": {"order_id": {"type": "string"}}}}}]

    def support_agent(client, ticket, customer_id):
        agentops.start_session(tags=["support", "v2.1"])
        try:
            intent = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": ticket}]).choices[0].message.content
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": ticket}], tools=TOOLS)
            call = reply.choices[0].message.tool_calls[0]
            lookup_order(**json.loads(call.function.arguments))
            fetch_customer(customer_id)
            agentops.record(ActionEvent(action_type="session_complete", params={"intent": intent}, returns={"n": 3}))
            agentops.end_session("Success")
        except Exception as e:
            agentops.end_session("Fail", end_state_reason=str(e))
            raise

    with LLMServer() as server:
        oai = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-user-key-1234567890", max_retries=0)
        ant = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-user-1234567890", max_retries=0)

        # 1. the classic snippet, in a loop, one ticket failing
        out["loop"] = []
        for i, customer in enumerate(["c-1", None, "c-3"]):
            server.queue(Reply(text="billing", input_tokens=100, output_tokens=10))
            server.queue(Reply(tool_calls=[ToolCall("lookup_order", {"order_id": f"o-{i}"})],
                               input_tokens=200, output_tokens=20))
            try:
                support_agent(oai, f"ticket {i}: I was charged twice", customer)
            except ValueError:
                pass
            out["loop"].append(summary(agentops.get_session()))

        # 2. streaming and the Responses API, sync
        with agentops.session("openai-streams", tags=["stream"]):
            server.queue(Reply(text="one two three", input_tokens=1000, output_tokens=3))
            chunks = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "s"}],
                                                 stream=True, stream_options={"include_usage": True})
            out["streamed_text"] = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            response = oai.responses.create(model="gpt-4o-mini", input="responses please")
            out["responses_text"] = response.output_text
        out["openai_streams"] = summary(agentops.get_session())

        # 3. anthropic: tool_use, cache tokens, the stream helper, a caught 429
        with agentops.session("anthropic"):
            server.queue(Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "o-9"})],
                               input_tokens=1000, output_tokens=100, cached_tokens=2000, cache_creation_tokens=500))
            message = ant.messages.create(model="claude-haiku-4-5", max_tokens=100, tools=[
                {"name": "lookup_order", "input_schema": {"type": "object"}}],
                messages=[{"role": "user", "content": "where is o-9"}])
            out["anthropic_blocks"] = [b.type for b in message.content]
            with ant.messages.stream(model="claude-haiku-4-5", max_tokens=50,
                                     messages=[{"role": "user", "content": "stream it"}]) as stream:
                out["anthropic_stream_text"] = "".join(stream.text_stream)
        out["anthropic"] = summary(agentops.get_session())

        with agentops.session("caught-error"):
            server.queue(ErrorReply(429, retry_after=0))
            try:
                oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
            except openai.RateLimitError:
                out["caught_429"] = True
            oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "retry by hand"}])
        out["caught_error"] = summary(agentops.get_session())

        # 4. asyncio: one session per task, async clients, async streams
        aoai = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key=oai.api_key, max_retries=0)
        aant = anthropic.AsyncAnthropic(base_url=server.anthropic_base_url, api_key=ant.api_key, max_retries=0)

        async def ticket(i):
            with agentops.session(f"task-{i}", tags=[f"task-{i}"]):
                stream = await aoai.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": f"openai {i}"}], stream=True)
                async for _ in stream:
                    pass
                async with aant.messages.stream(model="claude-haiku-4-5", max_tokens=50,
                                                messages=[{"role": "user", "content": f"anthropic {i}"}]) as s:
                    await s.get_final_message()
            return summary(agentops.get_session())

        async def main():
            return await asyncio.gather(*(ticket(i) for i in range(12)))

        out["tasks"] = asyncio.run(main())

        # 5. threads, each with its own session
        def worker(i, results):
            with agentops.session(f"thread-{i}", tags=[f"thread-{i}"]):
                oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"thread {i}"}])
            results[i] = summary(agentops.get_session())
        results = {}
        threads = [threading.Thread(target=worker, args=(i, results)) for i in range(6)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        out["threads"] = [results[i] for i in range(6)]
        out["requests_with_stream_options"] = [
            r.json.get("stream_options") for r in server.requests
            if r.json.get("stream") and r.path.endswith("/chat/completions")]

    json.dump(out, sys.stdout)
    """
)


def price(model: str, provider: str, **usage: int) -> float:
    from genai_prices import Usage, calc_price

    return float(calc_price(Usage(**usage), model_ref=model, provider_id=provider).total_price)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("user-app")
    (directory / "app.py").write_text(USER_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_OTEL_", "OTEL_"))}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=directory, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    out["_dir"] = str(directory)
    return out


def test_classic_snippet_in_a_loop(app: dict[str, Any]):
    first, failed, third = app["loop"]
    assert len({s["session_id"] for s in app["loop"]}) == 3
    assert first["end_state"] == "Success" and third["end_state"] == "Success"
    assert first["tags"] == ["support", "v2.1"]
    assert first["actions"] == ["fetch_customer_data", "session_complete"]
    assert first["tools"] == [["lookup_order", {"order_id": "o-0"}, {"order_id": "o-0", "status": "shipped"}]]
    assert first["steps"] == [
        ["llm", "gpt-4o-mini"],
        ["llm", "gpt-4o-mini"],
        ["tool", "lookup_order"],
        ["action", "fetch_customer_data"],
        ["action", "session_complete"],
    ]
    assert failed["end_state"] == "Fail"
    assert failed["end_state_reason"] == "customer_id cannot be None"
    assert failed["failing_step"] == "fetch_customer_data"
    assert failed["errors"] == ["ValueError: customer_id cannot be None"]
    assert first["started"] and first["ended"] and first["duration"] > 0


def test_classic_snippet_cost_is_genai_prices_figure(app: dict[str, Any]):
    expected = price("gpt-4o-mini", "openai", input_tokens=300, output_tokens=30)
    for session in app["loop"]:
        assert session["input_tokens"] == 300 and session["output_tokens"] == 30
        assert session["cost"] == pytest.approx(expected, rel=1e-9)
        assert session["cost"] < 0.01


def test_session_url_opens_a_replay_page_offline(app: dict[str, Any]):
    url = app["loop"][1]["url"]
    assert url.startswith("file://")
    page = Path(url.removeprefix("file://")).read_text()
    assert app["loop"][1]["session_id"] in page
    assert "customer_id cannot be None" in page


def test_openai_streaming_and_responses(app: dict[str, Any]):
    session = app["openai_streams"]
    assert app["streamed_text"] == "one two three"
    assert app["responses_text"] == "echo: responses please"
    assert session["steps"] == [["llm", "gpt-4o"], ["llm", "gpt-4o-mini"]]
    streamed = session["llm"][0]
    assert streamed[1:3] == [1000, 3]
    assert streamed[3] == pytest.approx(price("gpt-4o", "openai", input_tokens=1000, output_tokens=3))
    assert streamed[4][0]["parts"][0]["content"] == "one two three"
    assert session["cost"] == pytest.approx(sum(call[3] for call in session["llm"]))


def test_streaming_never_changes_the_request(app: dict[str, Any]):
    # the user asked for usage once (openai-streams); the async tasks' streams did not ask for it
    options = app["requests_with_stream_options"]
    assert options.count({"include_usage": True}) == 1
    assert options.count(None) == 12


def test_anthropic_tool_use_cache_tokens_and_stream_helper(app: dict[str, Any]):
    session = app["anthropic"]
    assert app["anthropic_blocks"] == ["tool_use"]
    assert app["anthropic_stream_text"] == "echo: stream it"
    assert session["cache_read"] == 2000 and session["cache_write"] == 500
    expected = price(
        "claude-haiku-4-5",
        "anthropic",
        input_tokens=1000 + 2000 + 500,
        cache_read_tokens=2000,
        cache_write_tokens=500,
        output_tokens=100,
    )
    assert session["llm"][0][3] == pytest.approx(expected, rel=1e-9)


def test_a_caught_llm_error_is_a_failed_step_not_a_failed_session(app: dict[str, Any]):
    session = app["caught_error"]
    assert app["caught_429"] is True
    assert session["end_state"] == "Success"
    assert len(session["errors"]) == 1 and "RateLimitError" in session["errors"][0]
    assert [s[0] for s in session["steps"]] == ["llm", "llm"]


def test_asyncio_tasks_keep_their_own_sessions(app: dict[str, Any]):
    for i, session in enumerate(app["tasks"]):
        assert session["tags"] == [f"task-{i}"]
        assert session["end_state"] == "Success"
        assert [s[0] for s in session["steps"]] == ["llm", "llm"]
        assert session["llm"][0][4][0]["parts"][0]["content"] == f"echo: openai {i}"
        assert session["llm"][1][4][0]["parts"][0]["content"] == f"echo: anthropic {i}"


def test_threads_keep_their_own_sessions(app: dict[str, Any]):
    for i, session in enumerate(app["threads"]):
        assert session["tags"] == [f"thread-{i}"]
        assert [call[4][0]["parts"][0]["content"] for call in session["llm"]] == [f"echo: thread {i}"]
        assert session["cost"] > 0


def test_no_credential_reaches_the_store(app: dict[str, Any]):
    store = Path(app["_dir"]) / ".agentops" / "traces.db"
    data = store.read_bytes() + b"".join(p.read_bytes() for p in store.parent.glob("traces.db*"))
    for secret in (b"sk-test-user-key-1234567890", b"sk-ant-user-1234567890", b"the-key-agentops-users-still-pass"):
        assert secret not in data
