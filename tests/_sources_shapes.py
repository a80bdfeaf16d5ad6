"""Our own spans, and the documents each backend would answer with for them (test helper).

The spans come from the real OpenTelemetry SDK; the OTLP JSON is the SDK's own protobuf encoding run
through protobuf's JSON mapping (base64 ids, enum names), with variants for the other spellings.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from agentops_otel import semconv as sc
from agentops_otel.model import SpanRecord

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z; every time is a whole microsecond (Jaeger's unit)
MS = 1_000_000


def session_spans(
    session_id: str = "sess-checkout-1",
    *,
    prompt: str = "I was charged twice",
    tool_output: str = "billing",
    service: str = "support-bot",
    fail: bool = True,
    extra_steps: int = 0,
    tool_name: str = "lookup",
    priced: bool = True,
) -> list[ReadableSpan]:
    """One failing support-bot session: an LLM call, a tool call, and an action that raises."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({sc.SERVICE_NAME: service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("agentops_otel")
    stamp = {sc.SESSION_ID: session_id}
    root = tracer.start_span(
        "session support",
        start_time=T0,
        attributes={
            **stamp,
            sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.SESSION,
            sc.AGENTOPS_SESSION_NAME: "support",
            sc.AGENTOPS_SESSION_TAGS: ("prod", "billing"),
            sc.AGENTOPS_SESSION_END_STATE: "Fail" if fail else "Success",
        },
    )
    ctx = set_span_in_context(root)
    llm = tracer.start_span(
        "chat gpt-4o",
        context=ctx,
        kind=SpanKind.CLIENT,
        start_time=T0 + 10 * MS,
        attributes={
            **stamp,
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
            sc.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
            sc.GEN_AI_USAGE_INPUT_TOKENS: 12,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 3,
            **(
                {sc.AGENTOPS_COST_USD: 0.00006, sc.AGENTOPS_COST_STATUS: sc.CostStatusValues.PRICED}
                if priced
                else {sc.AGENTOPS_COST_STATUS: sc.CostStatusValues.UNPRICED}
            ),
            sc.GEN_AI_INPUT_MESSAGES: json.dumps([{"role": "user", "parts": [{"type": "text", "content": prompt}]}]),
            sc.GEN_AI_OUTPUT_MESSAGES: json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": tool_output}]}]
            ),
        },
    )
    llm.end(end_time=T0 + 900 * MS)
    tool = tracer.start_span(
        f"execute_tool {tool_name}",
        context=ctx,
        start_time=T0 + 1000 * MS,
        attributes={
            **stamp,
            sc.GEN_AI_OPERATION_NAME: "execute_tool",
            sc.GEN_AI_TOOL_NAME: tool_name,
            sc.GEN_AI_TOOL_CALL_ID: "call_1",
            sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"query": prompt}),
            sc.GEN_AI_TOOL_CALL_RESULT: json.dumps({"result": tool_output, "big": 2**60}),
        },
    )
    tool.end(end_time=T0 + 1500 * MS)
    for i in range(extra_steps):
        step = tracer.start_span(
            f"step {i}",
            context=ctx,
            start_time=T0 + 1600 * MS + i * 2000,
            attributes={**stamp, sc.AGENTOPS_SPAN_TYPE: "action", sc.AGENTOPS_ACTION_TYPE: f"step_{i}"},
        )
        step.end(end_time=T0 + 1600 * MS + i * 2000 + 1000)
    action = tracer.start_span(
        "fetch_customer_data",
        context=ctx,
        start_time=T0 + 1890 * MS,
        attributes={
            **stamp,
            sc.AGENTOPS_SPAN_TYPE: "action",
            sc.AGENTOPS_ACTION_TYPE: "fetch_customer_data",
            sc.AGENTOPS_STEP_PARAMS: json.dumps({"customer_id": None}),
        },
    )
    if fail:
        action.add_event(
            "exception",
            {
                sc.EXCEPTION_TYPE: "ValueError",
                sc.EXCEPTION_MESSAGE: "customer_id cannot be None",
                sc.EXCEPTION_STACKTRACE: 'Traceback (most recent call last):\n  File "bot.py", line 3\n'
                "ValueError: customer_id cannot be None",
            },
            timestamp=T0 + 1891 * MS,
        )
        action.set_status(Status(StatusCode.ERROR, "ValueError: customer_id cannot be None"))
    action.end(end_time=T0 + 1891 * MS)
    root.set_status(Status(StatusCode.ERROR if fail else StatusCode.OK))
    root.end(end_time=T0 + 4200 * MS)
    return list(exporter.get_finished_spans())


# OTLP JSON ---------------------------------------------------------------------------------------


def _b64_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def _rewrite_ids(node: Any, convert: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: convert(v)
            if k in ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")
            and isinstance(v, str)
            else _rewrite_ids(v, convert)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_ids(v, convert) for v in node]
    return node


def otlp_dict(
    spans: Sequence[ReadableSpan], *, ids: str = "hex", int_enums: bool = True, snake: bool = False
) -> dict[str, Any]:
    """TracesData as OTLP/JSON. ids: "hex" (the OTLP/JSON spec, the Collector), "base64" (protobuf
    JSON mapping, Tempo), "HEX" (uppercase, as in the spec's example)."""
    doc = MessageToDict(encode_spans(spans), preserving_proto_field_name=snake, use_integers_for_enums=int_enums)
    if ids == "hex":
        return _rewrite_ids(doc, _b64_to_hex)
    if ids == "HEX":
        return _rewrite_ids(doc, lambda v: _b64_to_hex(v).upper())
    return doc


# Jaeger v1 (the query API's JSON model) -------------------------------------------------------------


def _jaeger_tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        # Jaeger writes int64 beyond 2^53 as a string so JavaScript keeps every digit.
        return {"key": key, "type": "int64", "value": str(value) if abs(value) > 2**53 else value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    if isinstance(value, tuple | list):
        return {"key": key, "type": "string", "value": json.dumps(list(value))}
    return {"key": key, "type": "string", "value": str(value)}


def jaeger_trace(records: Sequence[SpanRecord], *, short_trace_id: bool = False) -> dict[str, Any]:
    """One trace in the Jaeger v1 model, as Jaeger's OTLP translator writes it."""
    processes: dict[str, Any] = {}
    spans = []
    for r in records:
        process = {
            "serviceName": r.resource.get(sc.SERVICE_NAME, ""),
            "tags": [_jaeger_tag(k, v) for k, v in r.resource.items() if k != sc.SERVICE_NAME],
        }
        pid = next((k for k, p in processes.items() if p == process), f"p{len(processes) + 1}")
        processes[pid] = process
        tags = [_jaeger_tag(k, v) for k, v in r.attributes.items()]
        tags.append({"key": "span.kind", "type": "string", "value": r.kind.lower()})
        if r.scope:
            tags.append({"key": "otel.scope.name", "type": "string", "value": r.scope})
        if r.status_code != "UNSET":
            tags.append({"key": "otel.status_code", "type": "string", "value": r.status_code})
        if r.status_code == "ERROR":
            tags.append({"key": "error", "type": "bool", "value": True})
        if r.status_message:
            tags.append({"key": "otel.status_description", "type": "string", "value": r.status_message})
        trace_id = r.trace_id[16:] if short_trace_id else r.trace_id
        spans.append(
            {
                "traceID": trace_id,
                "spanID": r.span_id,
                "operationName": r.name,
                "references": []
                if r.parent_span_id is None
                else [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": r.parent_span_id}],
                "startTime": r.start_ns // 1000,
                "duration": (r.end_ns - r.start_ns) // 1000,  # type: ignore[operator]
                "tags": tags,
                "logs": [
                    {
                        "timestamp": e.time_ns // 1000,
                        "fields": [_jaeger_tag("event", e.name)] + [_jaeger_tag(k, v) for k, v in e.attributes.items()],
                    }
                    for e in r.events
                ],
                "processID": pid,
                "warnings": None,
            }
        )
    return {"traceID": spans[0]["traceID"], "spans": spans, "processes": processes, "warnings": None}


def jaeger_response(traces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"data": list(traces), "total": 0, "limit": 0, "offset": 0, "errors": None}


# A real HTTP server on 127.0.0.1 ------------------------------------------------------------------

Route = Callable[[str, dict[str, list[str]]], "tuple[int, bytes | str | dict[str, Any] | list[Any]]"]


@contextmanager
def serve_json(route: Route) -> Iterator[tuple[str, list[str]]]:
    """Serve `route(path, query) -> (status, body)` on 127.0.0.1; yields (base URL, requested paths)."""
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            parsed = urllib.parse.urlsplit(self.path)
            status, body = route(parsed.path, urllib.parse.parse_qs(parsed.query))
            data = (
                body
                if isinstance(body, bytes)
                else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
