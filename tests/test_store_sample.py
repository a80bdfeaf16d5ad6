"""Sample span records with fixed ids and times (shared by the store, timeline and CLI tests).

The support session mirrors DESIGN.md's example: an LLM classifies the intent, a tool looks the
order up, and `fetch_customer_data` fails because it got `customer_id=None`.
"""

from __future__ import annotations

import json
from typing import Any

from agentops_otel import semconv as sc
from agentops_otel.model import EventRecord, LinkRecord, SpanRecord, build_session
from agentops_otel.store import LocalStore

T0 = 1_763_950_000_000_000_000  # 2025-11-24T02:06:40Z
MS = 1_000_000
RESOURCE = {sc.SERVICE_NAME: "support-agent"}


def span(
    trace_id: str,
    span_id: str,
    parent: str | None,
    name: str,
    start_ms: float,
    end_ms: float | None,
    attrs: dict[str, Any],
    *,
    status: str = "UNSET",
    events: tuple[EventRecord, ...] = (),
    links: tuple[LinkRecord, ...] = (),
    t0: int = T0,
    resource: dict[str, Any] | None = None,
) -> SpanRecord:
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        start_ns=t0 + int(start_ms * MS),
        end_ns=None if end_ms is None else t0 + int(end_ms * MS),
        kind="CLIENT" if name.startswith("chat") else "INTERNAL",
        status_code=status,
        attributes=attrs,
        events=events,
        links=links,
        resource=RESOURCE if resource is None else resource,
        scope="agentops_otel",
    )


def _text(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


def llm_attrs(session_id: str | None, prompt: str, answer: str, tokens: tuple[int, int], cost: float | None) -> dict:
    attrs: dict[str, Any] = {
        sc.AGENTOPS_SPAN_TYPE: "llm",
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
        sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
        sc.GEN_AI_USAGE_INPUT_TOKENS: tokens[0],
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: tokens[1],
        sc.GEN_AI_INPUT_MESSAGES: _text("user", prompt),
        sc.GEN_AI_OUTPUT_MESSAGES: _text("assistant", answer),
        sc.AGENTOPS_COST_STATUS: "priced" if cost is not None else "unpriced",
    }
    if cost is not None:
        attrs[sc.AGENTOPS_COST_USD] = cost
    if session_id is not None:
        attrs[sc.SESSION_ID] = session_id
    return attrs


def support_session(
    n: int = 1,
    *,
    fail: bool = True,
    tags: tuple[str, ...] = ("support", "v2.1"),
    start_offset_s: float = 0,
    service: str = "support-agent",
) -> list[SpanRecord]:
    """One session (trace id `{n:032x}`-based, session id `sess-{n:04d}-...`), 4 spans, fixed times."""
    trace_id = f"{n:08x}" + "ab" * 12
    session_id = f"sess-{n:04d}-7f3a"
    t0 = T0 + int(start_offset_s * 1e9)
    root, llm, tool, action = (f"{n:04x}{k:012x}" for k in (1, 2, 3, 4))
    resource = {sc.SERVICE_NAME: service}
    on = {sc.SESSION_ID: session_id}
    error_events = (
        EventRecord(
            "exception",
            t0 + 1891 * MS,
            {
                sc.EXCEPTION_TYPE: "ValueError",
                sc.EXCEPTION_MESSAGE: "customer_id cannot be None",
                sc.EXCEPTION_STACKTRACE: 'Traceback (most recent call last):\n  File "agent.py", line 12\n',
            },
        ),
    )
    root_attrs: dict[str, Any] = {
        **on,
        sc.AGENTOPS_SPAN_TYPE: "session",
        sc.AGENTOPS_SESSION_NAME: "support-agent",
        sc.AGENTOPS_SESSION_TAGS: tags,
        sc.AGENTOPS_SESSION_END_STATE: "Fail" if fail else "Success",
    }
    if fail:
        root_attrs[sc.AGENTOPS_SESSION_END_STATE_REASON] = "ValueError: customer_id cannot be None"
        root_attrs[sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID] = action
        root_attrs[sc.AGENTOPS_SESSION_FAILING_STEP_NAME] = "fetch_customer_data"
    customer = None if fail else "C-981"
    return [
        span(trace_id, root, None, "session support-agent", 0, 1893, root_attrs, status="ERROR" if fail else "OK",
             t0=t0, resource=resource),
        span(
            trace_id, llm, root, "chat gpt-4o", 0, 1890,
            llm_attrs(session_id, "I was charged twice for order A-1001, please help!", "billing", (120, 4), 0.00034),
            t0=t0, resource=resource,
        ),
        span(
            trace_id, tool, root, "execute_tool lookup_order", 1890, 1890.6,
            {
                **on,
                sc.AGENTOPS_SPAN_TYPE: "tool",
                sc.GEN_AI_OPERATION_NAME: "execute_tool",
                sc.GEN_AI_TOOL_NAME: "lookup_order",
                sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"order_id": "A-1001"}),
                sc.GEN_AI_TOOL_CALL_RESULT: json.dumps({"order_id": "A-1001", "customer_id": customer}),
            },
            t0=t0, resource=resource,
        ),
        span(
            trace_id, action, root, "fetch_customer_data", 1890.7, 1891.2,
            {
                **on,
                sc.AGENTOPS_SPAN_TYPE: "action",
                sc.AGENTOPS_ACTION_TYPE: "fetch_customer_data",
                sc.AGENTOPS_STEP_PARAMS: json.dumps({"customer_id": customer}),
                **({sc.ERROR_TYPE: "ValueError"} if fail else {sc.AGENTOPS_STEP_RETURNS: '{"plan": "pro"}'}),
            },
            status="ERROR" if fail else "UNSET",
            events=error_events if fail else (),
            t0=t0, resource=resource,
        ),
    ]  # fmt: skip


def foreign_trace(n: int, *, fail_child: bool) -> list[SpanRecord]:
    """A trace of another GenAI instrumentation: no session root of ours, no session.id."""
    trace_id = "f" * 8 + f"{n:024x}"
    root, child = (f"f{n:03x}{k:012x}" for k in (1, 2))
    return [
        span(trace_id, root, None, "invoke_agent planner", 0, 50, {sc.GEN_AI_OPERATION_NAME: "invoke_agent"},
             t0=T0 + n * 10**9),
        span(trace_id, child, root, "chat gpt-4o", 5, 45, llm_attrs(None, "plan", "ok", (10, 2), None),
             status="ERROR" if fail_child else "UNSET", t0=T0 + n * 10**9),
    ]  # fmt: skip


def test_records_round_trip_through_the_store_unchanged(tmp_path):
    records = support_session(1) + foreign_trace(2, fail_child=True)
    linked = span("1" * 32, "2" * 16, None, "plain", 0, 1, {"k": (1, 2)}, links=(LinkRecord("3" * 32, "4" * 16, {}),))
    with LocalStore(tmp_path / "s.db") as store:
        store.write([*records, linked])
        for trace in {r.trace_id for r in [*records, linked]}:
            expected = sorted((r for r in [*records, linked] if r.trace_id == trace), key=lambda r: r.start_ns)
            assert store.trace(trace) == expected


def test_a_listed_summary_matches_the_session_built_from_the_same_spans(tmp_path):
    from agentops_otel.model import summarize

    records = support_session(1)
    with LocalStore(tmp_path / "s.db") as store:
        store.write(records)
        (listed,) = store.sessions()
    assert listed == summarize(build_session(records))


def test_a_batch_is_stored_whole_or_not_at_all(tmp_path):
    from dataclasses import replace

    import pytest

    good = support_session(1)
    broken = replace(support_session(2)[0], start_ns=2**70)  # too big for SQLite: the batch fails
    with LocalStore(tmp_path / "s.db") as store:
        with pytest.raises(OverflowError):
            store.write([*good, broken])
        assert store.span_count() == 0 and store.sessions() == []
        store.write(good)
        assert store.span_count() == 4
