"""Programs written for AgentOps 0.3 (its notebooks and canaries, in our own words), run unchanged but for
`import agentops_otel as agentops`, with the real openai and anthropic clients against the loopback
LLM server: each records the sessions, steps, end states, tags and tokens AgentOps would record."""

from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from agentops_otel.testing.llm_server import Reply, Rule, ToolCall
from tests._agentops_programs import run_program

pytest_plugins = ["tests._llm_fixtures"]

pytest.importorskip("openai")
pytest.importorskip("anthropic")


def test_two_sequential_sessions_the_first_one_started_by_init(llm_server, tmp_path):
    # openai-gpt notebook: init() starts the first session, end_session ends it, start_session opens the next.
    _, sessions = run_program(
        """
        import os
        from openai import OpenAI
        import agentops_otel as agentops
        from agentops_otel import ActionEvent

        openai = OpenAI(api_key=os.getenv("OPENAI_API_KEY"))
        agentops.init(os.getenv("AGENTOPS_API_KEY"), default_tags=["openai-gpt-notebook"])
        message = [{"role": "user", "content": "Write a haiku about tracing."}]
        response = openai.chat.completions.create(model="gpt-3.5-turbo", messages=message, temperature=0.5)
        print(response.choices[0].message.content)
        agentops.end_session("Success")

        agentops.start_session(tags=["openai-gpt-notebook-events"])

        @agentops.record_action("add numbers")
        def add(x, y):
            return x + y

        add(2, 4)
        messages = ({"role": "user", "content": "say hello"},)  # a tuple, as the notebook passes it
        response = openai.chat.completions.create(model="gpt-3.5-turbo", messages=messages)
        text = response.choices[0].message.content
        if "hello" in text:
            agentops.record(ActionEvent(action_type="Agent says hello", logs=str(text), returns=str(text)))
        agentops.end_session("Success")
        """,
        tmp_path,
        llm_server,
    )
    first, second = sessions
    assert first.auto_started and first.end_state == "Success"
    assert first.tags == ["openai-gpt-notebook"] and first.kinds == ["llm"]
    assert second.tags == ["openai-gpt-notebook", "openai-gpt-notebook-events"]
    assert second.steps == [
        ("action", "add numbers", 1),
        ("llm", "gpt-3.5-turbo", 1),
        ("action", "Agent says hello", 1),
    ]
    add = second.session.action_events[0]
    assert (add.params, add.returns) == ({"x": 2, "y": 4}, 6)
    assert second.end_state == "Success" and second.llm_calls == 1


def test_recorded_events_actions_tools_and_errors(llm_server, tmp_path):
    # recording-events notebook: manual events, an ErrorEvent from a caught exception, a tool never recorded.
    result, (session,) = run_program(
        """
        from openai import OpenAI
        import agentops_otel as agentops
        from agentops_otel import ActionEvent, ErrorEvent, ToolEvent, record_action

        agentops.init()
        client = OpenAI()

        @record_action("add numbers")
        def add(x, y=3):
            return x + y

        print(add(2))
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        agentops.record(ActionEvent(action_type="Agent says hello", params={"message": "Hi"}, returns="Hi Back!"))

        def scrape_website(url):
            tool_event = ToolEvent(name="scrape_website", params={"url": url})
            try:
                1 / 0
            except Exception as e:
                agentops.record(ErrorEvent(exception=e, trigger_event=tool_event))

        scrape_website("https://example.com")
        agentops.end_session("Success")
        """,
        tmp_path,
        llm_server,
    )
    assert result.stdout.strip() == "5"
    assert session.kinds == ["action", "llm", "action", "error"]
    assert session.session.action_events[0].params == {"x": 2}  # as passed (AgentOps adds the default y=3)
    error = session.session.steps[-1]
    assert error.name == "ZeroDivisionError" and error.error.message == "division by zero"
    assert "1 / 0" in error.error.stacktrace  # the stack of the caught exception
    assert session.session.tool_events == []
    assert session.end_state == "Success"


def test_concurrent_sessions_addressed_by_object(llm_server, tmp_path):
    # multi_session_llm: patch(), the session= keyword on the module-level client, session.record.
    result, sessions = run_program(
        """
        import openai
        import agentops_otel as agentops
        from agentops_otel import ActionEvent

        agentops.init("key", auto_start_session=False)
        session_1 = agentops.start_session(tags=["multi-session-test-1"])
        session_2 = agentops.start_session(tags=["multi-session-test-2"])
        print("session_id_1:", session_1.session_id)
        print("session_id_2:", session_2.session_id)
        messages = [{"role": "user", "content": "Hello"}]
        session_1.patch(openai.chat.completions.create)(model="gpt-3.5-turbo", messages=messages)
        session_1.patch(openai.chat.completions.create)(model="gpt-3.5-turbo", messages=messages, temperature=0.5)
        openai.chat.completions.create(model="gpt-3.5-turbo", messages=messages, session=session_2)
        session_1.record(ActionEvent(action_type="test event"))
        assert agentops.get_session(session_1.session_id) is session_1
        cost = session_1.end_session(end_state="Success")
        print("cost:", type(cost).__name__, cost)
        session_2.end_session(end_state="Success")
        print("again:", session_2.end_session(end_state="Success"))
        """,
        tmp_path,
        llm_server,
    )
    one, two = sessions
    assert one.tags == ["multi-session-test-1"] and two.tags == ["multi-session-test-2"]
    assert one.kinds == ["llm", "llm", "action"] and two.kinds == ["llm"]
    assert one.end_state == two.end_state == "Success"
    printed = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert printed["session_id_1"] == one.session.session_id
    assert printed["cost"] == f"Decimal {Decimal(repr(one.session.cost))}"  # AgentOps 0.3 returned a Decimal
    assert printed["again"] == "None"
    # the keyword never reached the API: the server saw three ordinary requests
    assert all("session" not in r.json for r in llm_server.requests)


def test_agents_as_classes_and_a_session_ended_by_exit(llm_server, tmp_path):
    # multi_agent_example: @track_agent classes, no end_session: Indeterminate at exit.
    _, (session,) = run_program(
        """
        from openai import OpenAI
        import agentops_otel as agentops
        from agentops_otel import track_agent

        agentops.init("key", default_tags=["multi-agent-notebook"])
        client = OpenAI()

        @track_agent(name="qa")
        class QaAgent:
            def completion(self, prompt):
                res = client.chat.completions.create(
                    model="gpt-3.5-turbo",
                    messages=[{"role": "system", "content": "You are a qa engineer."},
                              {"role": "user", "content": prompt}])
                return res.choices[0].message.content

        @track_agent(name="engineer")
        class EngineerAgent:
            def completion(self, prompt):
                res = client.chat.completions.create(
                    model="gpt-3.5-turbo", messages=[{"role": "user", "content": prompt}])
                return res.choices[0].message.content

        qa, engineer = QaAgent(), EngineerAgent()
        code = engineer.completion("python function to test prime number")
        qa.completion("Write a python unit test that test the following function: " + code)
        client.chat.completions.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": "untracked"}])
        print(qa.agentops_agent_name, engineer.agentops_agent_name)
        """,
        tmp_path,
        llm_server,
    )
    assert session.steps == [
        ("agent", "engineer", 1),
        ("llm", "gpt-3.5-turbo", 2),
        ("agent", "qa", 1),
        ("llm", "gpt-3.5-turbo", 2),
        ("llm", "gpt-3.5-turbo", 1),
    ]
    assert session.end_state == "Indeterminate" and session.tags == ["multi-agent-notebook"]
    assert "exited" in session.reason


def test_openai_sync_async_and_streaming_with_a_reason(llm_server, tmp_path):
    # openai_example_sync / _async: a plain and a streamed call each, end_state_reason given.
    _, (session,) = run_program(
        """
        import asyncio
        from openai import AsyncOpenAI, OpenAI
        import agentops_otel as agentops

        agentops.init("key", default_tags=["openai-sync-example"])
        openai, aopenai = OpenAI(), AsyncOpenAI()
        system, user = "You are a famous children's book author", "Write a story about a cyber-warrior"
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        print(openai.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content)
        for chunk in openai.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True):
            print(chunk.choices[0].delta.content or "", end="")

        async def main():
            response = await aopenai.chat.completions.create(model="gpt-4o-mini", messages=messages)
            stream = await aopenai.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
            async for chunk in stream:
                pass

        asyncio.run(main())
        agentops.end_session(end_state="Success", end_state_reason="The story was generated successfully.")
        """,
        tmp_path,
        llm_server,
    )
    assert session.kinds == ["llm"] * 4 and session.end_state == "Success"
    assert session.reason == "The story was generated successfully."
    assert session.tokens[0] > 0 and session.session.llm_events[0].usage.output_tokens > 0


def test_anthropic_streaming_tools_and_async(llm_server, tmp_path):
    # anthropic-example-sync, antrophic-example-tool, -async: stream events, a tool_use turn, AsyncAnthropic.
    llm_server.add_rule(
        Rule(
            tool_offered="get_weather",
            after_tool_result=False,
            reply=Reply(text="Let me look.", tool_calls=[ToolCall("get_weather", {"location": "Paris"})]),
        )
    )
    result, (session,) = run_program(
        """
        import asyncio
        import anthropic
        import agentops_otel as agentops

        agentops.init("key", default_tags=["anthropic-example"])
        client = anthropic.Anthropic()
        stream = client.messages.create(max_tokens=1024, model="claude-3-5-sonnet-20240620", stream=True,
                                        messages=[{"role": "user", "content": "Tell me a story"}])
        text = ""
        for event in stream:
            if event.type == "content_block_delta":
                text += event.delta.text
            elif event.type == "message_stop":
                break
        tools = [{"name": "get_weather", "description": "Weather in a city",
                  "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}]
        question = {"role": "user", "content": "What is the weather in Paris?"}
        message = client.messages.create(model="claude-3-5-sonnet-20240620", max_tokens=1024, tools=tools,
                                         messages=[question])
        tool_use = message.content[1]
        print(tool_use.name, tool_use.input["location"])
        final = client.messages.create(model="claude-3-5-sonnet-20240620", max_tokens=1024, tools=tools, messages=[
            question, {"role": "assistant", "content": message.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "sunny"}]}])

        async def main():
            aclient = anthropic.AsyncAnthropic()
            await aclient.messages.create(model="claude-3-5-haiku-20241022", max_tokens=100,
                                          messages=[{"role": "user", "content": "async hello"}])

        asyncio.run(main())
        agentops.end_session("Success")
        """,
        tmp_path,
        llm_server,
    )
    assert result.stdout.split() == ["get_weather", "Paris"]
    assert session.kinds == ["llm"] * 4 and session.end_state == "Success"
    assert [s.model for s in session.session.llm_events][-1] == "claude-3-5-haiku-20241022"


def test_stop_instrumenting_leaves_later_calls_unrecorded(llm_server, tmp_path):
    # providers/openai_canary: two recorded calls, stop_instrumenting(), one untracked call.
    _, (session,) = run_program(
        """
        from openai import OpenAI
        import agentops_otel as agentops

        agentops.init(default_tags=["openai-provider-test"])
        client = OpenAI()
        client.chat.completions.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": "one"}])
        for _ in client.chat.completions.create(model="gpt-3.5-turbo", stream=True,
                                                messages=[{"role": "user", "content": "two"}]):
            pass
        agentops.stop_instrumenting()
        client.chat.completions.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": "untracked"}])
        agentops.end_session(end_state="Success")
        """,
        tmp_path,
        llm_server,
    )
    assert session.llm_calls == 2 and len(llm_server.requests) == 3


def test_error_end_states_written_in_except_blocks(tmp_path):
    # The docs' and examples' end states: "Error" and "Failure" mean Fail; an unknown one never raises.
    result, sessions = run_program(
        """
        import agentops_otel as agentops

        agentops.init(auto_start_session=False)

        def run(state):
            agentops.start_session(tags=[state])
            try:
                raise RuntimeError("the model refused")
            except RuntimeError as e:
                agentops.end_session(state, end_state_reason=str(e))

        for state in ("Error", "Failure", "Escalation_Required"):
            run(state)
        print("still running")
        """,
        tmp_path,
    )
    assert result.stdout.strip() == "still running"
    assert [(s.tags, s.end_state) for s in sessions] == [
        (["Error"], "Fail"),
        (["Failure"], "Fail"),
        (["Escalation_Required"], "Indeterminate"),
    ]
    assert sessions[0].reason == "the model refused" and sessions[0].session.root.status_code == "ERROR"
    assert sessions[2].given_state == "Escalation_Required"
    assert sessions[2].reason == "Escalation_Required: the model refused"
    assert result.stderr.count("'Escalation_Required' is not one of") == 1


def test_an_empty_auto_started_session_leaves_no_trace(tmp_path):
    # init() with nothing recorded afterwards, and sessions started explicitly in worker threads.
    _, sessions = run_program(
        """
        import threading
        import agentops_otel as agentops

        session = agentops.init()
        assert session.is_init_trace and session.session_id

        def worker(i):
            agentops.start_session(tags=[f"worker-{i}"]).end_session("Success")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        """,
        tmp_path,
    )
    assert sorted(s.tags[0] for s in sessions) == ["worker-0", "worker-1", "worker-2"]
    assert not any(s.auto_started for s in sessions)


def test_the_fixture_pattern_records_one_session_per_test(llm_server, tmp_path):
    # A user's pytest suite: init() in a fixture, then start_session(tags=[test name]) per test.
    (tmp_path / "test_agent.py").write_text(
        """
import pytest
from openai import OpenAI
import agentops_otel as agentops

@pytest.fixture(autouse=True)
def agentops_session(request):
    agentops.init(default_tags=["suite"])
    session = agentops.start_session(tags=[request.node.name])
    yield session
    session.end_session("Success")

@pytest.mark.parametrize("question", ["refund", "invoice", "password"])
def test_answers(question):
    reply = OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    assert question in reply.choices[0].message.content
"""
    )
    result, sessions = run_program(
        """
        import sys, pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "test_agent.py"]))
        """,
        tmp_path,
        llm_server,
    )
    assert "3 passed" in result.stdout
    assert [s.tags for s in sessions] == [
        ["suite", "test_answers[refund]"],
        ["suite", "test_answers[invoice]"],
        ["suite", "test_answers[password]"],
    ]
    assert all(s.kinds == ["llm"] and s.end_state == "Success" for s in sessions)


@pytest.mark.parametrize(("variable", "sessions_expected"), [(None, 0), ("true", 1)])
def test_recording_started_without_init_starts_no_session_unless_asked(tmp_path, variable, sessions_expected):
    # `opentelemetry-instrument python app.py` builds our pipeline without the application calling init().
    launcher = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert launcher, "opentelemetry-instrument is not installed next to this Python"
    env = {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai,agentops_openai,agentops_anthropic"}  # no LLM here
    if variable:
        env["AGENTOPS_AUTO_START_SESSION"] = variable
    _, sessions = run_program(
        f"""
        import subprocess, sys
        app = "from opentelemetry import trace; trace.get_tracer('app').start_span('work').end()"
        sys.exit(subprocess.run([{launcher!r}, sys.executable, "-c", app]).returncode)
        """,
        tmp_path,
        env=env,
    )
    assert len(sessions) == sessions_expected
    if sessions:
        assert sessions[0].auto_started and sessions[0].steps == [("other", "work", 1)]
