"""Compatibility keys (AGENTOPS_OTEL_COMPAT): our spans carry what Phoenix and Langfuse read (issue 20).

OpenInference: span kind, model, provider, token counts, cost, input/output values, tags. Langfuse:
`gen_ai.usage.cost`, trace tags, trace input and output; both read `session.id` and `user.id`.
Off by default; never overwrites a key a span already has; our own reading of a span is unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from agentops_otel import semconv as sc
from agentops_otel._compat import CompatKeys
from agentops_otel._config import compat_targets
from agentops_otel.cost import CostProcessor, Pricer
from agentops_otel.model import build_sessions, from_readable_span

ROOT = Path(__file__).resolve().parent.parent
SID = "s-compat"


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer()


def run(pricer: Pricer, targets: frozenset[str] | None) -> list[ReadableSpan]:
    """A session with an action, an LLM call, an embedding and a tool, through the cost processor."""
    memory = InMemorySpanExporter()
    extra = CompatKeys(targets) if targets is not None else None
    provider = TracerProvider()
    provider.add_span_processor(CostProcessor([SimpleSpanProcessor(memory)], pricer=pricer, extra_keys=extra))
    tracer = provider.get_tracer("tests.compat")
    root = {sc.AGENTOPS_SPAN_TYPE: "session", sc.SESSION_ID: SID, sc.AGENTOPS_SESSION_TAGS: ("billing", "v2")}
    with tracer.start_as_current_span("session refund", attributes=root):
        step = {sc.SESSION_ID: SID, sc.AGENTOPS_SPAN_TYPE: "action", sc.AGENTOPS_ACTION_TYPE: "plan"}
        with tracer.start_as_current_span("plan", attributes={**step, sc.AGENTOPS_STEP_PARAMS: '{"order": "A-1"}'}):
            pass
        llm = {
            sc.SESSION_ID: SID,
            sc.AGENTOPS_SPAN_TYPE: "llm",
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 1200,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 80,
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 200,
            sc.GEN_AI_INPUT_MESSAGES: '[{"role":"user","parts":[{"type":"text","content":"refund A-1"}]}]',
            sc.GEN_AI_OUTPUT_MESSAGES: '[{"role":"assistant","parts":[{"type":"text","content":"ok"}]}]',
        }
        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=llm):
            pass
        embedding = {
            sc.SESSION_ID: SID,
            sc.GEN_AI_OPERATION_NAME: "embeddings",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "text-embedding-3-small",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 30,
            sc.OPENINFERENCE_SPAN_KIND: "EMBEDDING",  # already there: kept as it is
        }
        with tracer.start_as_current_span("embeddings text-embedding-3-small", attributes=embedding):
            pass
        tool = {
            sc.SESSION_ID: SID,
            sc.AGENTOPS_SPAN_TYPE: "tool",
            sc.GEN_AI_OPERATION_NAME: "execute_tool",
            sc.GEN_AI_TOOL_NAME: "refund",
            sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"order":"A-1"}',
            sc.GEN_AI_TOOL_CALL_RESULT: '"refunded"',
        }
        with tracer.start_as_current_span("execute_tool refund", attributes=tool):
            pass
        with tracer.start_as_current_span("db.query", attributes={sc.SESSION_ID: SID}):
            pass
    return list(memory.get_finished_spans())


def record(pricer: Pricer, targets: frozenset[str] | None) -> dict[str, dict[str, Any]]:
    return {s.name: dict(s.attributes or {}) for s in run(pricer, targets)}


def test_openinference_keys_say_kind_model_tokens_cost_and_content(pricer: Pricer) -> None:
    spans = record(pricer, frozenset({"openinference"}))
    llm = spans["chat gpt-4o-mini"]
    assert llm[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert (llm[sc.LLM_MODEL_NAME], llm[sc.LLM_PROVIDER], llm[sc.LLM_SYSTEM]) == (
        "gpt-4o-mini-2024-07-18",
        "openai",
        "openai",
    )
    assert (llm[sc.LLM_TOKEN_COUNT_PROMPT], llm[sc.LLM_TOKEN_COUNT_COMPLETION], llm[sc.LLM_TOKEN_COUNT_TOTAL]) == (
        1200,
        80,
        1280,
    )
    assert llm[sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ] == 200
    assert llm[sc.LLM_COST_TOTAL] == llm[sc.AGENTOPS_COST_USD] > 0
    assert llm[sc.INPUT_VALUE] == llm[sc.GEN_AI_INPUT_MESSAGES] and llm[sc.INPUT_MIME_TYPE] == "application/json"
    assert spans["embeddings text-embedding-3-small"][sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    tool = spans["execute_tool refund"]
    assert (tool[sc.OPENINFERENCE_SPAN_KIND], tool[sc.TOOL_NAME], tool[sc.INPUT_VALUE], tool[sc.OUTPUT_VALUE]) == (
        "TOOL",
        "refund",
        '{"order":"A-1"}',
        '"refunded"',
    )
    assert spans["plan"][sc.OPENINFERENCE_SPAN_KIND] == "CHAIN"
    root = spans["session refund"]
    assert root[sc.OPENINFERENCE_SPAN_KIND] == "CHAIN" and tuple(root[sc.TAG_TAGS]) == ("billing", "v2")
    assert not {k for k in spans["db.query"] if k.startswith(("openinference.", "input.", "llm."))}
    assert not {k for k in spans["chat gpt-4o-mini"] if k.startswith("langfuse.")}


def test_langfuse_keys_say_cost_tags_and_the_trace_input_and_output(pricer: Pricer) -> None:
    spans = record(pricer, frozenset({"langfuse"}))
    llm = spans["chat gpt-4o-mini"]
    assert llm[sc.GEN_AI_USAGE_COST] == llm[sc.AGENTOPS_COST_USD] > 0
    assert sc.INPUT_VALUE not in llm  # Langfuse reads gen_ai.input.messages itself
    assert spans["plan"][sc.INPUT_VALUE] == '{"order": "A-1"}'  # ...but not agentops.step.params
    root = spans["session refund"]
    assert tuple(root[sc.LANGFUSE_TRACE_TAGS]) == ("billing", "v2")
    assert root[sc.LANGFUSE_TRACE_INPUT] == '{"order": "A-1"}'  # the earliest step's input
    assert root[sc.LANGFUSE_TRACE_OUTPUT] == '"refunded"'  # the latest step's output
    assert sc.OPENINFERENCE_SPAN_KIND not in llm


def test_off_by_default_and_our_reading_is_the_same_with_the_keys(pricer: Pricer) -> None:
    plain = record(pricer, None)
    del plain["embeddings text-embedding-3-small"]  # recorded with an OpenInference kind of its own
    assert not {k for attrs in plain.values() for k in attrs if k.startswith(("openinference.", "llm.", "langfuse."))}
    assert compat_targets("") == frozenset()

    def summary(spans: list[ReadableSpan]) -> Any:
        (session,) = build_sessions(from_readable_span(span) for span in spans)
        return [(s.kind, s.name, s.usage, s.cost, s.params, s.returns) for s in session.steps], session.cost

    assert summary(run(pricer, frozenset({"openinference", "langfuse"}))) == summary(run(pricer, None))


def test_compat_targets_read_all_and_ignore_unknown_names_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        assert compat_targets(" OpenInference , bogus") == frozenset({"openinference"})
    assert "ignoring bogus" in caplog.text
    assert compat_targets("all") == frozenset({"openinference", "langfuse"})


def test_the_environment_variable_reaches_init_and_user_id_is_recorded(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import json
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import agentops_otel as agentops
        mine = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(mine))
        agentops.init(tracer_provider=provider, store=False, instrument_llm=False)

        @agentops.record_tool("refund")
        def refund(order):
            return "refunded"

        with agentops.session("refund", tags=["billing"], user_id="user-7"):
            refund("A-1")
        print(json.dumps({s.name: dict(s.attributes) for s in mine.get_finished_spans()}, default=list))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    env.update(AGENTOPS_OTEL_DEBUG="1", AGENTOPS_OTEL_COMPAT="all", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    spans = json.loads(result.stdout)
    root = spans["session refund"]
    assert root[sc.USER_ID] == "user-7" and sc.AGENTOPS_SESSION_END_STATE in root
    assert root[sc.LANGFUSE_TRACE_TAGS] == ["billing"] and root[sc.LANGFUSE_TRACE_OUTPUT] == '"refunded"'
    assert spans["execute_tool refund"][sc.OPENINFERENCE_SPAN_KIND] == "TOOL"
