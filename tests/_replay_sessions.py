"""Sessions for the replay page and viewer tests, built from span records (test helper).

`agent_session()` is a 9.7 s support agent with nesting (agent > LLM, tool, agent > action), a chat
whose tool result is JSON text inside a string, and a failing action whose traceback passes through
our step decorator and wrapt, as a real one does.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from typing import Any

from agentops_otel import semconv as sc
from agentops_otel.model import EventRecord, Session, SpanRecord, build_session

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
MS = 1_000_000
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/.venv/lib/python3.12/site-packages/agentops_otel/capture/_decorators.py", line 190, in call\n'
    "    result = run(*args, **kwargs)\n"
    "             ^^^^^^^^^^^^^^^^^^^^\n"
    '  File "/srv/app/.venv/lib/python3.12/site-packages/wrapt/wrappers.py", line 598, in __call__\n'
    "    return self._self_wrapper(self.__wrapped__, self._self_instance, args, kwargs)\n"
    '  File "/srv/app/bot/tools.py", line 57, in fetch_customer_data\n'
    '    raise ValueError("customer_id cannot be None")\n'
    "ValueError: customer_id cannot be None\n"
)


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


class Builder:
    """Span records of one trace, with counting ids."""

    def __init__(self, session_id: str = "sess-agent-1", service: str = "support-bot", t0: int = T0) -> None:
        self.trace_id = hashlib.sha256(session_id.encode()).hexdigest()[:32]
        self.session_id = session_id
        self.service = service
        self.t0 = t0
        self.records: list[SpanRecord] = []
        self._ids = itertools.count(1)

    def span(
        self,
        name: str,
        start_ms: float,
        end_ms: float | None,
        parent: SpanRecord | None = None,
        attributes: dict[str, Any] | None = None,
        *,
        status: str = "UNSET",
        events: tuple[EventRecord, ...] = (),
    ) -> SpanRecord:
        record = SpanRecord(
            trace_id=self.trace_id,
            span_id=f"{next(self._ids):016x}",
            parent_span_id=None if parent is None else parent.span_id,
            name=name,
            start_ns=self.t0 + int(start_ms * MS),
            end_ns=None if end_ms is None else self.t0 + int(end_ms * MS),
            status_code=status,
            attributes={sc.SESSION_ID: self.session_id, **(attributes or {})},
            events=events,
            resource={sc.SERVICE_NAME: self.service},
        )
        self.records.append(record)
        return record

    def root(self, end_ms: float | None, end_state: str | None, reason: str | None = None, **extra: Any) -> SpanRecord:
        attributes = {
            sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.SESSION.value,
            sc.AGENTOPS_SESSION_NAME: extra.pop("name", "support"),
            sc.AGENTOPS_SESSION_TAGS: tuple(extra.pop("tags", ("prod", "billing"))),
        }
        if end_state is not None:
            attributes[sc.AGENTOPS_SESSION_END_STATE] = end_state
        if reason is not None:
            attributes[sc.AGENTOPS_SESSION_END_STATE_REASON] = reason
        status = "ERROR" if end_state == "Fail" else "OK" if end_ms is not None else "UNSET"
        return self.span("session support", 0, end_ms, None, attributes, status=status)

    def llm(
        self, parent: SpanRecord, start: float, end: float, messages: list[Any], reply: list[Any], **kw: Any
    ) -> SpanRecord:
        priced = kw.get("cost", 0.0000228) is not None
        attributes = {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: kw.get("model", "gpt-4o-mini"),
            sc.GEN_AI_USAGE_INPUT_TOKENS: kw.get("tokens", (120, 8))[0],
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: kw.get("tokens", (120, 8))[1],
            **(
                {sc.AGENTOPS_COST_USD: kw.get("cost", 0.0000228), sc.AGENTOPS_COST_STATUS: "priced"}
                if priced
                else {sc.AGENTOPS_COST_STATUS: "unpriced"}
            ),
            sc.GEN_AI_INPUT_MESSAGES: json.dumps(messages),
            sc.GEN_AI_OUTPUT_MESSAGES: json.dumps(reply),
        }
        return self.span(f"chat {kw.get('model', 'gpt-4o-mini')}", start, end, parent, attributes)

    def tool(self, parent: SpanRecord, name: str, start: float, end: float, arguments: Any, result: Any) -> SpanRecord:
        attributes = {
            sc.GEN_AI_OPERATION_NAME: "execute_tool",
            sc.GEN_AI_TOOL_NAME: name,
            sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps(arguments),
            sc.GEN_AI_TOOL_CALL_RESULT: json.dumps(result),
        }
        return self.span(f"execute_tool {name}", start, end, parent, attributes)

    def agent(self, parent: SpanRecord, name: str, start: float, end: float, **kw: Any) -> SpanRecord:
        attributes = {sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: name}
        return self.span(f"invoke_agent {name}", start, end, parent, attributes, **kw)

    def action(self, parent: SpanRecord, name: str, start: float, end: float, params: Any, **kw: Any) -> SpanRecord:
        attributes = {
            sc.AGENTOPS_SPAN_TYPE: "action",
            sc.AGENTOPS_ACTION_TYPE: name,
            sc.AGENTOPS_STEP_PARAMS: json.dumps(params),
            **kw.pop("attributes", {}),
        }
        return self.span(name, start, end, parent, attributes, **kw)

    def failure(self, parent: SpanRecord, name: str, start: float, end: float, params: Any) -> SpanRecord:
        event = EventRecord(
            "exception",
            self.t0 + int(end * MS),
            {
                sc.EXCEPTION_TYPE: "ValueError",
                sc.EXCEPTION_MESSAGE: "customer_id cannot be None",
                sc.EXCEPTION_STACKTRACE: TRACEBACK,
            },
        )
        return self.action(parent, name, start, end, params, status="ERROR", events=(event,))

    def session(self) -> Session:
        return build_session(self.records)


def agent_session(
    session_id: str = "sess-agent-1",
    *,
    end_state: str | None = "Fail",
    reason: str | None = "ValueError: customer_id cannot be None",
    name: str = "support",
    step_name: str = "fetch_customer_data",
    fail: bool = True,
) -> Session:
    """9.7 s: planner agent (LLM, tool, LLM, billing agent > action that fails), then a last LLM call."""
    b = Builder(session_id)
    root = b.root(None if end_state is None else 9700, end_state, reason, name=name)  # no end state: running
    planner = b.agent(root, "planner", 5, 9000)
    question = _text("user", "I was charged twice for order A-1003!")
    call = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup_order", "arguments": {"order_id": "A-1003"}}],
    }
    order = {"order_id": "A-1003", "customer_id": None, "total": 99.0}
    b.llm(planner, 10, 900, [_text("system", "You are a support agent."), question], [call])
    b.tool(planner, "lookup_order", 1000, 1500, {"order_id": "A-1003"}, order)
    answer = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": json.dumps(order)}]}
    b.llm(
        planner,
        1600,
        2500,
        [_text("system", "You are a support agent."), question, call, answer],
        [_text("assistant", "Let me check the customer.")],
    )
    billing = b.agent(planner, "billing", 2600, 9000)
    if fail:
        b.failure(billing, step_name, 2700, 2800, {"customer_id": None})
    else:
        b.action(billing, step_name, 2700, 2800, {"customer_id": "C-1"})
    b.llm(root, 9100, 9600, [question], [_text("assistant", "Sorry, something went wrong.")])
    return b.session()


def many_steps(count: int, session_id: str = "sess-long") -> Session:
    """`count` action steps 1 ms apart under one agent, the last one failing."""
    b = Builder(session_id)
    root = b.root(count + 100, "Fail", "ValueError: customer_id cannot be None")
    agent = b.agent(root, "worker", 1, count + 50)
    for i in range(count - 1):
        b.action(agent, f"step_{i}", 2 + i, 2.5 + i, {"i": i, "query": f"refund {i}"})
    b.failure(agent, "fetch_customer_data", count + 2, count + 3, {"customer_id": None})
    return b.session()


def fleet(now_ns: int | None = None, *, running: bool = True) -> list[list[SpanRecord]]:
    """Seven sessions of two services over the last five hours: failures, a running one (unless not
    `running`: backends hold only ended spans), an unpriced LLM call, different costs, durations, step
    counts and tags (the viewer's and check's test fleet)."""
    now = time.time_ns() if now_ns is None else now_ns
    hour = 3600 * 1000  # ms
    plans = [
        # id, service, hours ago, end state, duration ms, tags, LLM costs (None: unpriced), tool output
        ("run-a", "shop", 4.5, "Fail", 3000, ("prod", "billing"), (0.002,), "refund sent"),
        ("run-b", "shop", 4.0, "Success", 1200, ("prod",), (0.001, 0.004), "order shipped"),
        ("run-c", "support", 3.0, "Success", 800, ("prod", "billing"), (0.0005,), "all good"),
        ("run-d", "support", 2.0, "Fail", 5000, ("staging",), (0.003, 0.001, 0.002), "duplicate charge found"),
        ("run-e", "shop", 1.0, "Indeterminate", 2500, (), (0.0007,), "timeout talking to the bank"),
        ("run-f", "support", 0.5, "Success", 400, ("prod",), (None,), "answered"),
        (
            "run-g",
            "shop",
            0.1,
            None if running else "Success",
            None if running else 700,
            ("prod",),
            (0.0001,),
            "still working",
        ),
    ]
    traces = []
    for session_id, service, ago, state, duration, tags, costs, output in plans:
        b = Builder(session_id, service, t0=now - int(ago * hour * MS))
        root = b.root(
            duration, state, f"{session_id} ended {state}" if state else None, name=f"ticket {session_id}", tags=tags
        )
        for i, cost in enumerate(costs):
            b.llm(
                root,
                10 + i * 100,
                90 + i * 100,
                [_text("user", f"help {session_id} #{i}")],
                [_text("assistant", "ok")],
                cost=cost,
            )
        b.tool(root, "lookup", 400, 450, {"order": session_id}, {"result": output})
        if state == "Fail":
            b.failure(root, "charge_card", 500, 520, {"customer_id": None})
        traces.append(b.records)
    return traces


def _any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_any_value(v) for v in value]}}
    return {"stringValue": str(value)}


def _attributes(attributes: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": _any_value(v)} for k, v in attributes.items()]


def otlp_document(records: list[SpanRecord]) -> dict[str, Any]:
    """One OTLP/JSON TracesData (hex ids, as the Collector's file exporter writes) of span records."""
    statuses = {"UNSET": 0, "OK": 1, "ERROR": 2}
    spans = [
        {
            "traceId": r.trace_id,
            "spanId": r.span_id,
            **({"parentSpanId": r.parent_span_id} if r.parent_span_id else {}),
            "name": r.name,
            "kind": 1,
            "startTimeUnixNano": str(r.start_ns),
            **({"endTimeUnixNano": str(r.end_ns)} if r.end_ns is not None else {}),
            "attributes": _attributes(r.attributes),
            "events": [
                {"timeUnixNano": str(e.time_ns), "name": e.name, "attributes": _attributes(e.attributes)}
                for e in r.events
            ],
            "status": {"code": statuses[r.status_code]},
        }
        for r in records
    ]
    resource = {"attributes": _attributes(records[0].resource)}
    return {
        "resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "agentops_otel"}, "spans": spans}]}]
    }
