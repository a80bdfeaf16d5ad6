"""Paired: a decorated tool call and a session of 1+100 steps, ours vs bare SDK spans carrying the
same attributes (session.id, agentops.span.type, gen_ai.operation.name, gen_ai.tool.name, the
arguments and the result as JSON).

    .venv/bin/python bench/hot/steps.py [tool|action|session ...] [--rounds 20] [--calls 2000]

Two baselines: `bare` sets each attribute after start (how a hand-instrumented call reads), `bare_start`
passes them at start (one dict; the SDK's cheapest way, our floor).
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

from _hot import TOOL_ARGS, TOOL_KWARGS, paired, report, search
from _otel import init_ours
from _providers import dropping_provider

import agentops_otel
from agentops_otel import semconv as sc


def bare_call(tracer: Any, session_id: str, kind: str) -> Any:
    def call() -> Any:
        with tracer.start_as_current_span("execute_tool search") as span:
            span.set_attribute(sc.AGENTOPS_SPAN_TYPE, kind)
            span.set_attribute(sc.GEN_AI_OPERATION_NAME, "execute_tool")
            span.set_attribute(sc.GEN_AI_TOOL_NAME, "search")
            span.set_attribute(sc.GEN_AI_TOOL_CALL_ARGUMENTS, json.dumps({"query": TOOL_ARGS[0], **TOOL_KWARGS}))
            span.set_attribute(sc.SESSION_ID, session_id)
            result = search(*TOOL_ARGS, **TOOL_KWARGS)
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, json.dumps(result))
            return result

    return call


def bare_start_call(tracer: Any, session_id: str, kind: str) -> Any:
    def call() -> Any:
        attrs = {
            sc.AGENTOPS_SPAN_TYPE: kind,
            sc.GEN_AI_OPERATION_NAME: "execute_tool",
            sc.GEN_AI_TOOL_NAME: "search",
            sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"query": TOOL_ARGS[0], **TOOL_KWARGS}),
            sc.SESSION_ID: session_id,
        }
        with tracer.start_as_current_span("execute_tool search", attributes=attrs) as span:
            result = search(*TOOL_ARGS, **TOOL_KWARGS)
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, json.dumps(result))
            return result

    return call


def steps(case: str, rounds: int, calls: int) -> None:
    bare_provider, _ = dropping_provider()
    ours_provider, exported = dropping_provider()
    init_ours(ours_provider)
    tracer = bare_provider.get_tracer("bench")
    kind = "action" if case == "action" else "tool"
    decorate = agentops_otel.action if case == "action" else agentops_otel.tool
    decorated = decorate("search")(search)
    session_id = str(uuid.uuid4())

    if case == "session":

        def session_of(call_factory: Any) -> Any:
            def run() -> None:
                sid = str(uuid.uuid4())
                call = call_factory(tracer, sid, "tool")
                with tracer.start_as_current_span("session bench") as root:
                    root.set_attribute(sc.SESSION_ID, sid)
                    root.set_attribute(sc.AGENTOPS_SPAN_TYPE, "session")
                    for _ in range(100):
                        call()

            return run

        def ours() -> None:
            with agentops_otel.session("bench"):
                for _ in range(100):
                    decorated(*TOOL_ARGS, **TOOL_KWARGS)

        calls = max(1, calls // 100)
        for name, factory in (("bare", bare_call), ("bare_start", bare_start_call)):
            report(case, baseline=name, unit="us/session", **paired(ours, session_of(factory), rounds, calls))
    else:
        # Each batch in a session (a root span for the bare one), as a tool call runs in an agent.
        around = (lambda: agentops_otel.session("bench"), lambda: tracer.start_as_current_span("session"))
        for name, factory in (("bare", bare_call), ("bare_start", bare_start_call)):
            base = factory(tracer, session_id, kind)
            ours_call = lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS)  # noqa: E731
            report(case, baseline=name, unit="us/call", **paired(ours_call, base, rounds, calls, around=around))
    ours_provider.force_flush()
    agentops_otel.shutdown()
    if not exported.count:
        raise SystemExit("nothing was exported: the benchmark measured no spans")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=["tool", "action", "session"])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    for case in args.cases:
        steps(case, args.rounds, args.calls)


if __name__ == "__main__":
    main()
