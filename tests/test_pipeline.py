"""init(): joins an existing provider, configures from the environment, flushes at exit.

Each case runs in a fresh interpreter, because the global TracerProvider can be set once per process.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    environment.update({"AGENTOPS_OTEL_STORE_PATH": str(tmp_path / "traces.db"), "PYTHONPATH": str(ROOT)}, **env)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result


def test_init_joins_an_existing_sdk_provider_and_keeps_its_processors(tmp_path):
    out = run_python(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import agentops_otel as agentops
        from agentops_otel import semconv as sc

        mine = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(mine))
        trace.set_tracer_provider(provider)

        assert agentops.init(api_key="ignored") is provider
        assert agentops.init() is provider  # idempotent
        assert trace.get_tracer_provider() is provider

        @agentops.record_tool("search")
        def search(q):
            return q

        with agentops.session("joined"):
            search("x")
        with trace.get_tracer("app").start_as_current_span("app-span"):
            pass
        spans = {s.name: dict(s.attributes) for s in mine.get_finished_spans()}
        print(json.dumps({"names": sorted(spans), "sid": spans["execute_tool search"].get(sc.SESSION_ID),
                          "root_sid": spans["session joined"].get(sc.SESSION_ID)}))
        """,
        tmp_path,
    )
    seen = json.loads(out.stdout)
    assert seen["names"] == ["app-span", "execute_tool search", "session joined"]
    assert seen["sid"] and seen["sid"] == seen["root_sid"]


def test_a_processor_added_after_init_gets_cost_and_shutdown_hands_the_provider_back(tmp_path):
    out = run_python(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import agentops_otel as agentops
        from agentops_otel import semconv as sc

        before, after = InMemorySpanExporter(), InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(before))
        trace.set_tracer_provider(provider)
        agentops.init(store=False, instrument_llm=False)
        provider.add_span_processor(SimpleSpanProcessor(after))  # the application adds one later
        tracer = provider.get_tracer("app")
        with agentops.session("priced"):
            tracer.start_span("chat gpt-4o-mini", attributes={
                sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: "openai",
                sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini", sc.GEN_AI_USAGE_INPUT_TOKENS: 1000,
                sc.GEN_AI_USAGE_OUTPUT_TOKENS: 100}).end()
        def cost(exporter):
            return [s.attributes.get(sc.AGENTOPS_COST_USD) for s in exporter.get_finished_spans()
                    if s.name.startswith("chat")]
        agentops.shutdown()
        with tracer.start_as_current_span("after-shutdown"):
            pass
        print(json.dumps({"before": cost(before), "after": cost(after),
                          "later": [s.name for s in before.get_finished_spans()][-1]}))
        """,
        tmp_path,
    )
    seen = json.loads(out.stdout)
    assert seen["before"] == seen["after"] and seen["after"][0] > 0
    assert seen["later"] == "after-shutdown"  # the application's own processors keep working


def test_init_accepts_a_tracer_provider_argument_and_rejects_a_non_sdk_one(tmp_path):
    out = run_python(
        """
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.trace import NoOpTracerProvider
        import agentops_otel as agentops
        from agentops_otel.errors import ConfigurationError
        try:
            agentops.init(tracer_provider=NoOpTracerProvider())
        except ConfigurationError as e:
            print("rejected:", e)
        try:
            agentops.init(not_an_option=1)
        except ConfigurationError as e:
            print("rejected:", e)
        provider = TracerProvider()
        assert agentops.init(tracer_provider=provider) is provider
        with agentops.session() as s:
            pass
        print("ok", s.get().end_state)
        """,
        tmp_path,
    )
    lines = out.stdout.splitlines()
    assert lines[0].startswith("rejected: tracer_provider must be an opentelemetry.sdk.trace.TracerProvider")
    assert lines[1] == "rejected: init() got unexpected arguments: not_an_option"
    assert lines[2] == "ok Success"


def test_nothing_configured_records_into_the_local_store_and_open_sessions_end_at_exit(tmp_path):
    run_python(
        """
        import agentops_otel as agentops
        agentops.init()

        @agentops.record_action("step")
        def step(i):
            return i

        done = agentops.start_session(tags=["done"])
        step(0)
        agentops.end_session("Success")
        agentops.start_session(tags=["left-open"])
        for i in range(500):
            step(i)
        # exit without ending the second session
        """,
        tmp_path,
        OTEL_SERVICE_NAME="exit-flush-test",
    )
    from agentops_otel.sources import open_source

    source = open_source(f"store:{tmp_path / 'traces.db'}")
    summaries = {s.tags[0]: s for s in source.sessions()}
    assert summaries["done"].end_state == "Success"
    assert summaries["left-open"].end_state == "Indeterminate"
    left_open = source.session(summaries["left-open"].session_id)
    assert len(left_open.steps) == 500
    assert left_open.service == "exit-flush-test"
    assert "process exited" in left_open.end_state_reason


def test_no_init_means_no_recording_and_unchanged_behaviour(tmp_path):
    out = run_python(
        """
        import asyncio
        import agentops_otel as agentops

        @agentops.record_tool("t")
        def t(x):
            return x * 2

        @agentops.record_action("a")
        async def a(x):
            return x + 1

        print(t(2), asyncio.run(a(1)), agentops.get_session())
        """,
        tmp_path,
    )
    assert out.stdout.split() == ["4", "2", "None"]
    assert not (tmp_path / "traces.db").exists()


def test_content_capture_can_be_turned_off_by_the_upstream_variable(tmp_path):
    out = run_python(
        """
        import json
        import agentops_otel as agentops
        from agentops_otel import semconv as sc
        agentops.init(store=False)

        @agentops.record_tool("secret_tool")
        def secret_tool(x):
            return x

        with agentops.session() as s:
            secret_tool("private prompt")
        step = s.get().tool_events[0]
        print(json.dumps([k for k in step.attributes if k.startswith("gen_ai.tool.call")]))
        """,
        tmp_path,
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="NO_CONTENT",
    )
    assert json.loads(out.stdout) == []


def test_sampled_out_sessions_never_raise_and_still_read_back(tmp_path):
    out = run_python(
        """
        import json
        import agentops_otel as agentops
        agentops.init()

        @agentops.record_tool("lookup")
        def lookup(x):
            if x is None:
                raise ValueError("x cannot be None")
            return x

        seen = []
        for i in range(10):
            with agentops.session("fine"):
                lookup(i)
            try:
                with agentops.session("broken", tags=["t"]):
                    lookup(None)
            except ValueError:
                s = agentops.get_session()
                seen.append([s.name, s.tags, s.end_state, s.end_state_reason, len(s.steps), bool(s.url)])
        agentops.start_session()
        seen.append(agentops.end_session("Fail", "boom").end_state)
        print(json.dumps(seen))
        """,
        tmp_path,
        OTEL_TRACES_SAMPLER="traceidratio",
        OTEL_TRACES_SAMPLER_ARG="0.5",
    )
    seen = json.loads(out.stdout)
    assert seen[-1] == "Fail"
    for name, tags, state, reason, steps, has_url in seen[:-1]:
        assert (name, tags, state, reason, has_url) == ("broken", ["t"], "Fail", "ValueError: x cannot be None", True)
        assert steps in (0, 1)  # sampled out: no steps; sampled in: the failing lookup


def test_sessions_recorded_in_forked_worker_processes_reach_the_store(tmp_path):
    script = tmp_path / "workers.py"
    script.write_text(
        textwrap.dedent(
            """
            import multiprocessing as mp
            import agentops_otel as agentops
            agentops.init()

            @agentops.record_tool("work")
            def work_step(i):
                return i

            def work(i):
                with agentops.session(f"child-{i}"):
                    work_step(i)

            if __name__ == "__main__":
                agentops.start_session(name="parent")
                ctx = mp.get_context("fork")
                processes = [ctx.Process(target=work, args=(i,)) for i in range(2)]
                for p in processes:
                    p.start()
                for p in processes:
                    p.join()
                with ctx.Pool(2) as pool:  # the pool's workers end with SIGTERM on leaving the block
                    pool.map(work, range(2, 5))
                agentops.end_session("Success")
            """
        )
    )
    run_python(script.read_text(), tmp_path)
    from agentops_otel.sources import open_source

    sessions = open_source(f"store:{tmp_path / 'traces.db'}").sessions()
    assert sorted(s.name for s in sessions) == ["child-0", "child-1", "child-2", "child-3", "child-4", "parent"]
    assert {s.end_state for s in sessions} == {"Success"}


def test_a_later_init_applies_a_prices_file_and_auto_start_session_starts_one(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text('{"models": [{"model": "acme-7b", "input_mtok": 1.0, "output_mtok": 2.0}]}')
    out = run_python(
        f"""
        import json
        import agentops_otel as agentops
        from agentops_otel import LLMEvent
        agentops.init()
        agentops.init(prices_file={str(prices)!r}, auto_start_session=True)   # AgentOps style
        agentops.record(LLMEvent(model="acme-7b", prompt="hi", completion="ok",
                                 prompt_tokens=1_000_000, completion_tokens=500_000))
        session = agentops.end_session("Success")
        print(json.dumps([session.cost, session.llm_calls, session.end_state]))
        """,
        tmp_path,
    )
    assert json.loads(out.stdout) == [2.0, 1, "Success"]


def test_a_client_library_imported_after_init_is_instrumented_then(tmp_path):
    out = run_python(
        """
        import json, sys
        import agentops_otel as agentops
        agentops.init()
        imported_by_init = "openai" in sys.modules or "anthropic" in sys.modules
        from agentops_otel.testing.llm_server import LLMServer
        import openai
        with LLMServer() as server:
            client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-not-a-real-key-000000")
            with agentops.session("late import") as handle:
                client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        print(json.dumps([imported_by_init, [(s.kind, s.name) for s in handle.get().steps]]))
        """,
        tmp_path,
    )
    assert json.loads(out.stdout) == [False, [["llm", "gpt-4o-mini"]]]


def test_init_after_shutdown_records_again_in_the_same_process(tmp_path):
    out = run_python(
        """
        import agentops_otel as agentops
        agentops.init(store=False, instrument_llm=False, auto_start_session=False)

        @agentops.tool("lookup")
        def lookup(x):
            return x

        with agentops.session("first") as first:
            lookup(1)
        agentops.shutdown()
        agentops.init(store=False, instrument_llm=False, auto_start_session=False)
        with agentops.session("second") as second:
            lookup(2)
        print([s.name for s in first.get().steps], [s.name for s in second.get().steps], second.get().end_state)
        """,
        tmp_path,
    )
    assert out.stdout.split("\n")[0] == "['lookup'] ['lookup'] Success"


def test_shutdown_delivers_what_the_applications_own_batch_processor_holds_and_leaves_it_running(tmp_path):
    out = run_python(
        """
        import json
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import agentops_otel as agentops

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=600_000))
        agentops.init(tracer_provider=provider, store=False, auto_start_session=False)

        @agentops.tool
        def lookup(i):
            return i

        with agentops.session("theirs"):
            lookup(1)
        agentops.shutdown()
        delivered = sorted(s.name for s in exporter.get_finished_spans())
        with provider.get_tracer("app").start_as_current_span("after"):
            pass
        provider.force_flush()
        later = [s.name for s in exporter.get_finished_spans()][len(delivered):]
        print(json.dumps([delivered, later]))
        """,
        tmp_path,
    )
    delivered, later = json.loads(out.stdout)
    assert delivered == ["execute_tool lookup", "session theirs"]  # sent by shutdown(), not 10 minutes later
    assert later == ["after"]  # their processor still runs: flushed, not shut down
