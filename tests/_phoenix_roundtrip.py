"""Export a failing agent session to a real Phoenix over OTLP/HTTP and over gRPC, read it back by trace
id through Phoenix's REST API, and compare span tree, names, status, attributes and events.

Not collected by the normal run: tests/test_export_phoenix.py runs this file with pytest inside a
private network namespace, where Phoenix may bind every interface (see tests/_phoenix.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from agentops_otel import semconv as sc
from agentops_otel.export import ReliableExportProcessor, build_resource, build_span_processors
from agentops_otel.model import SpanRecord, from_readable_span
from tests._phoenix import STATUS_NAMES, PhoenixServer, any_value, start_phoenix

# Attributes Phoenix derives from ours (its OpenInference conventions), e.g. llm.token_count.prompt.
PHOENIX_DERIVED = ("openinference.", "llm.", "input.", "output.", "tool.", "tool_call.", "agent.", "graph.")


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    with start_phoenix(tmp_path_factory.mktemp("phoenix")) as server:
        yield server


def run_failing_session(tracer: Tracer, session_id: str) -> str:
    """The support-bot session of our README: an LLM call, then a tool that fails the session."""
    with tracer.start_as_current_span(
        "session support-bot",
        attributes={
            sc.SESSION_ID: session_id,
            sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.SESSION,
            sc.AGENTOPS_SESSION_NAME: "support-bot",
            sc.AGENTOPS_SESSION_TAGS: ["billing", "nightly"],
            sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS: 42,
            sc.AGENTOPS_SESSION_COST_USD: 0.00042,
            sc.AGENTOPS_SESSION_COST_COMPLETE: True,
        },
    ) as root:
        with tracer.start_as_current_span(
            "invoke_agent triage",
            attributes={
                sc.SESSION_ID: session_id,
                sc.GEN_AI_OPERATION_NAME: sc.GenAiOperationNameValues.INVOKE_AGENT,
                sc.GEN_AI_AGENT_NAME: "triage",
            },
        ):
            with tracer.start_as_current_span(
                "chat gpt-4o",
                kind=SpanKind.CLIENT,
                attributes={
                    sc.SESSION_ID: session_id,
                    sc.GEN_AI_OPERATION_NAME: sc.GenAiOperationNameValues.CHAT,
                    sc.GEN_AI_PROVIDER_NAME: sc.GenAiProviderNameValues.OPENAI,
                    sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
                    sc.GEN_AI_REQUEST_TEMPERATURE: 0.2,
                    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
                    sc.GEN_AI_RESPONSE_ID: "chatcmpl-123",
                    sc.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
                    sc.GEN_AI_USAGE_INPUT_TOKENS: 42,
                    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 7,
                    sc.GEN_AI_INPUT_MESSAGES: json.dumps(
                        [{"role": "user", "parts": [{"type": "text", "content": "I was charged twice"}]}]
                    ),
                    sc.AGENTOPS_COST_USD: 0.00042,
                    sc.AGENTOPS_COST_STATUS: sc.CostStatusValues.PRICED,
                },
            ):
                pass
            with tracer.start_as_current_span(
                "execute_tool fetch_customer_data",
                attributes={
                    sc.SESSION_ID: session_id,
                    sc.GEN_AI_OPERATION_NAME: sc.GenAiOperationNameValues.EXECUTE_TOOL,
                    sc.GEN_AI_TOOL_NAME: "fetch_customer_data",
                    sc.GEN_AI_TOOL_CALL_ID: "call_1",
                    sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"customer_id": None}),
                },
                record_exception=False,
                set_status_on_exception=False,
            ) as tool:
                error = ValueError("customer_id cannot be None")
                tool.record_exception(error)
                tool.set_attribute(sc.ERROR_TYPE, "ValueError")
                tool.set_status(Status(StatusCode.ERROR, "customer_id cannot be None"))
        root.set_attribute(sc.AGENTOPS_SESSION_END_STATE, sc.SessionEndStateValues.FAIL)
        root.set_attribute(sc.AGENTOPS_SESSION_END_STATE_REASON, "ValueError: customer_id cannot be None")
        root.set_status(Status(StatusCode.ERROR, "fetch_customer_data failed"))
        return format(root.get_span_context().trace_id, "032x")


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def sent_shape(record: SpanRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "parent": record.parent_span_id,
        "status": (record.status_code, record.status_message or ""),
        "attributes": {key: _plain(value) for key, value in record.attributes.items()},
        "events": [(e.name, {k: _plain(v) for k, v in e.attributes.items()}) for e in record.events],
    }


def received_shape(span: dict[str, Any]) -> dict[str, Any]:
    status = span.get("status") or {}
    return {
        "name": span["name"],
        "parent": span.get("parent_span_id") or None,
        "status": (STATUS_NAMES[status.get("code") or 0], status.get("message") or ""),
        "attributes": {kv["key"]: any_value(kv["value"]) for kv in span.get("attributes") or []},
        "events": [
            (e["name"], {kv["key"]: any_value(kv["value"]) for kv in e.get("attributes") or []})
            for e in span.get("events") or []
        ],
    }


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_a_session_comes_back_from_phoenix_intact(
    phoenix: PhoenixServer, protocol: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", phoenix.grpc_endpoint if protocol == "grpc" else phoenix.base_url)
    processors = build_span_processors(store=None, store_path=tmp_path / "traces.db")
    assert [type(p) for p in processors] == [ReliableExportProcessor]  # OTLP only, no local store
    sent = InMemorySpanExporter()
    provider = TracerProvider(resource=build_resource("roundtrip", "1.2.3", "test"), shutdown_on_exit=False)
    provider.add_span_processor(processors[0])
    provider.add_span_processor(SimpleSpanProcessor(sent))

    trace_id = run_failing_session(provider.get_tracer("agent"), f"roundtrip-{protocol}")
    assert provider.force_flush(30_000)
    provider.shutdown()

    stats = processors[0].stats  # type: ignore[attr-defined]
    assert (stats.delivered, stats.dropped_total) == (4, 0)
    expected = {r.span_id: sent_shape(r) for r in map(from_readable_span, sent.get_finished_spans())}
    received = {s["span_id"]: received_shape(s) for s in phoenix.spans(trace_id, expected=len(expected))}
    assert received.keys() == expected.keys()
    for span_id, want in expected.items():
        got = received[span_id]
        # Phoenix adds its OpenInference view of our gen_ai.* attributes; everything we sent must be
        # there unchanged, and nothing else may appear.
        derived = {k: v for k, v in got["attributes"].items() if k.startswith(PHOENIX_DERIVED)}
        ours = {k: v for k, v in got["attributes"].items() if k not in derived}
        assert {**got, "attributes": ours} == want, want["name"]
        assert not set(derived) & set(want["attributes"])
