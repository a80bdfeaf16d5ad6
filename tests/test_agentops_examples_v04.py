"""Programs written for AgentOps 0.4 (its examples' shapes, in our own words), run unchanged but for
`import agentops_otel as agentops`, with the real openai and anthropic clients against the loopback
LLM server. Each ends as theirs do, with `validate_trace_spans` and `print_validation_summary`."""

from __future__ import annotations

import textwrap

import pytest

from tests._agentops_programs import run_program

pytest_plugins = ["tests._llm_fixtures"]

pytest.importorskip("openai")
pytest.importorskip("anthropic")

VALIDATE = """
try:
    result = agentops.validate_trace_spans(trace_context={trace})
    agentops.print_validation_summary(result)
except agentops.ValidationError as e:
    print(f"Error validating spans: {{e}}")
    raise
"""


def validated(program: str, trace: str) -> str:
    """The program, ending as every 0.4.18+ example does."""
    return textwrap.dedent(program) + VALIDATE.format(trace=trace)


def test_openai_example_an_explicit_trace_takes_the_place_of_the_empty_init_trace(llm_server, tmp_path):
    # openai_example_sync: init(auto_start_session=True, trace_name=...), then its own start_trace.
    result, sessions = run_program(
        validated(
            """
        import os
        from openai import OpenAI
        import agentops_otel as agentops

        os.environ["AGENTOPS_API_KEY"] = os.getenv("AGENTOPS_API_KEY", "your_api_key_here")
        agentops.init(auto_start_session=True, trace_name="OpenAI Sync Example", tags=["openai", "sync"])
        client = OpenAI()
        tracer = agentops.start_trace(trace_name="OpenAI Sync Example", tags=["openai-sync-example"])
        messages = [{"role": "user", "content": "Write a short story about a lighthouse."}]
        response = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        print(response.choices[0].message.content)
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pass
        agentops.end_trace(tracer, end_state="Success")
        """,
            "tracer",
        ),
        tmp_path,
        llm_server,
    )
    (session,) = sessions
    assert session.name == "OpenAI Sync Example" and not session.auto_started
    assert session.tags == ["openai", "sync", "openai-sync-example"]
    assert session.kinds == ["llm", "llm"] and session.end_state == "Success"
    assert "AgentOps Span Validation Results" in result.stdout and "Validation successful" in result.stdout
    assert "Found LLM spans: chat gpt-4o-mini, chat gpt-4o-mini" in result.stdout


def test_anthropic_async_example_validates_the_init_trace_left_open(llm_server, tmp_path):
    # anthropic-example-async: no start_trace, no end_trace; validate_trace_spans(trace_context=None).
    result, (session,) = run_program(
        validated(
            """
        import asyncio
        import anthropic
        import agentops_otel as agentops

        agentops.init(trace_name="Anthropic Async Example", tags=["anthropic-async", "agentops-example"])
        client = anthropic.AsyncAnthropic()

        async def main():
            stream = await client.messages.create(model="claude-3-7-sonnet-20250219", max_tokens=256, stream=True,
                                                  messages=[{"role": "user", "content": "A haiku, please"}])
            async for event in stream:
                if event.type == "message_stop":
                    break

        asyncio.run(main())
        """,
            "None",
        ),
        tmp_path,
        llm_server,
    )
    assert session.auto_started and session.name == "Anthropic Async Example"
    assert session.tags == ["anthropic-async", "agentops-example"]
    assert session.kinds == ["llm"] and session.end_state == "Indeterminate"  # AgentOps ends it "Shutdown"
    assert "Validation successful" in result.stdout


def test_responses_api_with_an_agent_class_and_error_in_except(llm_server, tmp_path):
    # o3_responses_example: a bare @agent class calling the Responses API; end_state="Error" on failure.
    _, sessions = run_program(
        validated(
            """
        from openai import OpenAI
        import agentops_otel as agentops

        agentops.init(trace_name="o3-responses-example", tags=["o3", "responses-api"], auto_start_session=False)
        client = OpenAI()

        @agentops.agent
        class DecisionAgent:
            def __init__(self, model="o3-mini"):
                self.model = model

            def decide(self, scenario):
                response = client.responses.create(model=self.model, input=scenario)
                return response.output[0].content[0].text

        def run(scenario, fail):
            tracer = agentops.start_trace(f"decide {scenario}", tags=["o3"])
            try:
                DecisionAgent().decide(scenario)
                if fail:
                    raise RuntimeError("no decision")
                agentops.end_trace(tracer, end_state="Success")
            except Exception:
                agentops.end_trace(tracer, end_state="Error")
            return tracer

        ok = run("ship it", fail=False)
        bad = run("rollback", fail=True)
        """,
            "ok",
        ),
        tmp_path,
        llm_server,
    )
    ok, bad = sessions
    assert ok.steps == [("agent", "DecisionAgent", 1), ("llm", "o3-mini", 2)]
    assert (ok.end_state, bad.end_state) == ("Success", "Fail")
    assert bad.session.root.status_code == "ERROR"


def test_context_manager_examples_sequential_nested_failing_and_threaded_traces(tmp_path):
    # The 0.4.15 context_manager examples: init() called again in every function, `with start_trace`
    # sequential, nested, raising, from threads and a pool; list, dict and no tags; no LLM at all.
    result, sessions = run_program(
        """
        import os
        import threading
        from concurrent.futures import ThreadPoolExecutor
        import agentops_otel as agentops
        from agentops_otel import agent, task, tool

        AGENTOPS_API_KEY = os.environ.get("AGENTOPS_API_KEY")

        @agent
        class SimpleAgent:
            def __init__(self, name):
                self.name = name

            @task
            def process_data(self, data):
                return self.use_tool(data.upper())

            @tool
            def use_tool(self, value):
                return f"processed {value}"

        def basic():
            agentops.init(api_key=AGENTOPS_API_KEY)
            with agentops.start_trace("basic_example", tags=["basic", "demo"]):
                SimpleAgent("basic").process_data("some data")
            for i in range(2):
                with agentops.start_trace(f"sequential_{i}"):
                    SimpleAgent(f"seq-{i}").process_data(str(i))
            try:
                with agentops.start_trace("error_example"):
                    raise ValueError("Simulated error")
            except ValueError:
                pass
            with agentops.start_trace("main_workflow") as outer:
                with agentops.start_trace("sub_task") as inner:
                    SimpleAgent("nested").process_data("nested")
            print("nested:", inner.get().parent_session_id == outer.session_id)

        def parallel():
            agentops.init(api_key=AGENTOPS_API_KEY)

            def work(i):
                with agentops.start_trace(f"thread_{i}", tags={"worker": i}):
                    SimpleAgent(f"t{i}").process_data(f"item {i}")

            threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(lambda i: work(10 + i), range(2)))

        agentops.init(api_key=AGENTOPS_API_KEY)
        basic()
        parallel()
        """,
        tmp_path,
    )
    assert "nested: True" in result.stdout
    by_name = {s.name: s for s in sessions}
    assert not any(s.auto_started for s in sessions)  # the empty init trace gave way to the first trace
    assert sorted(by_name) == sorted(
        ["basic_example", "sequential_0", "sequential_1", "error_example", "main_workflow", "sub_task"]
        + [f"thread_{i}" for i in (0, 1, 2, 10, 11)]
    )
    assert by_name["basic_example"].tags == ["basic", "demo"]
    assert by_name["basic_example"].steps == [
        ("agent", "SimpleAgent", 1),
        ("action", "process_data", 2),
        ("tool", "use_tool", 3),
    ]
    assert by_name["error_example"].end_state == "Fail"
    assert by_name["error_example"].reason == "ValueError: Simulated error"
    assert by_name["main_workflow"].steps == [] and by_name["sub_task"].kinds == ["agent", "action", "tool"]
    assert by_name["thread_10"].tags == ["worker:10"]
    assert all(s.end_state == "Success" for n, s in by_name.items() if n != "error_example")


def test_decorated_research_workflow_with_tool_cost(llm_server, tmp_path):
    # The 0.4 quickstart: @trace over an @agent class whose @operation calls a @tool(cost=...) and an LLM.
    result, (session,) = run_program(
        """
        from openai import OpenAI
        import agentops_otel as agentops
        from agentops_otel.sdk.decorators import agent, operation, tool, trace

        agentops.init("key", auto_start_session=False, tags=["quickstart"])
        client = OpenAI()

        @tool(name="WebSearchTool", cost=0.05)
        def web_search(query: str) -> str:
            return f"results for {query}"

        @agent(name="ResearchSpecialistAgent")
        class ResearchAgent:
            def __init__(self, agent_id: str):
                self.agent_id = agent_id

            @operation(name="ConductResearch")
            def research(self, topic: str) -> str:
                found = web_search(topic)
                reply = client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": f"Summarize: {found}"}])
                return reply.choices[0].message.content

        @trace(name="FullResearchWorkflow", tags=["research"])
        def workflow(topic: str):
            return ResearchAgent("r-1").research(topic)

        print(workflow("open telemetry"))
        """,
        tmp_path,
        llm_server,
    )
    assert "Summarize: results for open telemetry" in result.stdout
    assert session.name == "FullResearchWorkflow" and session.tags == ["quickstart", "research"]
    assert session.steps == [
        ("agent", "ResearchSpecialistAgent", 1),
        ("action", "ConductResearch", 2),
        ("tool", "WebSearchTool", 3),
        ("llm", "gpt-4o-mini", 3),
    ]
    llm = session.session.llm_events[0]
    assert session.session.cost == pytest.approx(0.05 + llm.cost)  # the tool's given cost counts
    assert session.session.tool_events[0].params == {"query": "open telemetry"}


def test_manual_trace_control_states_metadata_and_end_all(tmp_path):
    # manual-trace-control docs: a batch loop with per-item end states, update_trace_metadata, TraceState,
    # @workflow inside and outside a trace, @guardrail, generators; then end_trace() without a context.
    result, sessions = run_program(
        """
        import asyncio
        import agentops_otel as agentops

        agentops.init(auto_start_session=False, trace_name="batch")

        @agentops.guardrail(spec="input")
        def check_input(text):
            return bool(text.strip())

        @agentops.operation(name="process_item")
        def process(item):
            if not check_input(item):
                raise ValueError("empty item")
            return item[::-1]

        @agentops.workflow
        def pipeline(items):
            return [process(i) for i in items]

        @agentops.task
        def produce(n):
            for i in range(n):
                yield i

        @agentops.tool
        async def fetch(n):
            await asyncio.sleep(0)
            return n

        for item, state in (("abc", "Success"), ("", "Error"), ("xyz", "Escalation_Required")):
            trace = agentops.start_trace(f"item {item or 'empty'}", tags=["batch"])
            agentops.update_trace_metadata({"item_length": len(item), "labels": ["a", "b"], "note": None},
                                           prefix="business")
            try:
                process(item)
            except ValueError:
                pass
            agentops.end_trace(trace, end_state=state)

        with agentops.start_trace("workflow inside") as t:
            pipeline(["ab"])
            list(produce(2))
            asyncio.run(fetch(7))
        pipeline(["cd"])  # outside any trace: a session of its own
        left = [agentops.start_trace(f"left {i}") for i in range(2)]
        agentops.end_trace(end_state=agentops.TraceState.SUCCESS)
        print([h.end_state for h in left])
        """,
        tmp_path,
    )
    assert result.stdout.strip() == "['Success', 'Success']"
    ok, failed, escalated, inside, outside, *left = sessions
    assert [ok.end_state, failed.end_state, escalated.end_state] == ["Success", "Fail", "Indeterminate"]
    assert escalated.given_state == "Escalation_Required"
    attrs = ok.session.root.attributes
    assert attrs["business.item_length"] == 3 and attrs["business.labels"] == '["a", "b"]'
    assert "business.note" not in attrs
    assert ok.steps == [("action", "process_item", 1), ("guardrail", "check_input", 2)]
    assert failed.session.steps[0].error.type == "ValueError"
    assert inside.steps == [
        ("workflow", "pipeline", 1),
        ("action", "process_item", 2),
        ("guardrail", "check_input", 3),
        ("action", "produce", 1),
        ("tool", "fetch", 1),
    ]
    assert inside.session.steps[3].returns == [0, 1] and inside.session.steps[4].returns == 7
    assert outside.name == "pipeline" and outside.kinds == ["action", "guardrail"]
    assert [s.end_state for s in left] == ["Success", "Success"]


def test_a_trace_without_llm_calls_fails_validation_as_theirs_does(tmp_path):
    # mem0_memoryclient: no init() at all, start_trace initialises; lower-case end states; validation.
    result, sessions = run_program(
        """
        import agentops_otel as agentops

        tracer = agentops.start_trace("Mem0 MemoryClient Example", tags=["mem0"])
        agentops.end_trace(end_state="success")
        print(agentops.validate_trace_spans(trace_context=tracer, check_llm=False)["span_count"])
        try:
            agentops.validate_trace_spans(trace_context=None)
        except agentops.ValidationError as e:
            print("refused:", e)
        """,
        tmp_path,
    )
    (session,) = sessions
    assert session.end_state == "Success" and session.tags == ["mem0"]
    lines = result.stdout.splitlines()
    assert lines[0] == "1"
    assert lines[1].startswith(f"refused: No LLM activity detected in trace {session.session.trace_id}")


def test_validating_after_end_trace_checks_the_trace_just_ended(llm_server, tmp_path):
    # mem0_memory_example's shape: the init trace, a start_trace/end_trace pair in a function, then
    # validate_trace_spans(trace_context=None): AgentOps' init trace (holding the other) is still current.
    result, (session,) = run_program(
        validated(
            """
            from openai import OpenAI
            import agentops_otel as agentops

            agentops.init(trace_name="Memory Example", tags=["memory"])

            def remember(text):
                tracer = agentops.start_trace("Memory Example", tags=["memory", "add"])
                try:
                    OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
                    agentops.end_trace(tracer, end_state="Success")
                except Exception:
                    agentops.end_trace(tracer, end_state="Error")
                    raise

            remember("I like tea")
            """,
            "None",
        ),
        tmp_path,
        llm_server,
    )
    assert session.tags == ["memory", "add"] and session.kinds == ["llm"] and not session.auto_started
    assert "Validation successful" in result.stdout


def test_init_exporter_and_processor_get_the_spans_with_their_cost(tmp_path):
    # AgentOps 0.4 accepts init(exporter=..., processor=...) (and ignores them); ours send spans there too.
    result, (session,) = run_program(
        """
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import agentops_otel as agentops
        from agentops_otel import LLMEvent, semconv as sc

        batched, direct = InMemorySpanExporter(), InMemorySpanExporter()
        agentops.init(exporter=batched, processor=SimpleSpanProcessor(direct), auto_start_session=False)
        agentops.init(exporter=batched)  # again: still once
        with agentops.start_trace("exported"):
            agentops.record(LLMEvent(model="gpt-4o", prompt="p", completion="c", prompt_tokens=1000,
                                     completion_tokens=10))
        agentops.shutdown()
        for exporter in (batched, direct):
            print(sorted((s.name, s.attributes.get(sc.AGENTOPS_COST_STATUS)) for s in exporter.get_finished_spans()))
        """,
        tmp_path,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == lines[1] == "[('chat gpt-4o', 'priced'), ('session exported', None)]"
    assert session.name == "exported"
