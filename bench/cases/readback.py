"""Reading sessions back: replay of a 10,000-span session from the local store (text and HTML), and
the OTLP JSON reader's rate on a Collector-style file.

Values: CPU seconds for store -> Session -> rendered output; spans read per CPU second (`wall`: the
same in wall time).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from _harness import emit, run_variant, scaled

SESSION_SPANS = scaled(10_000, 1_000)
OTLP_LINES, OTLP_SPANS_PER_LINE = scaled(20, 4), 1_000


def _record_session(path: str, spans: int) -> str:
    """Record one session of `spans` spans (tools, actions, an LLM call every 10 steps) into the store."""
    import agentops_otel
    from agentops_otel import LLMEvent, record

    provider = agentops_otel.init(store=True, store_path=path, instrument_llm=False)
    search = agentops_otel.record_tool("search")(lambda query, limit=5: {"hits": ["doc-1", "doc-2"], "q": query})
    lookup = agentops_otel.record_action("lookup_order")(lambda order_id: {"order": order_id, "status": "paid"})
    with agentops_otel.session("replay-bench", tags=["bench"]) as handle:
        for i in range(spans - 1):
            if i % 1000 == 999:  # the store's export queue holds 2,048 spans: a faster burst loses some
                provider.force_flush()
            if i % 10 == 0:
                record(
                    LLMEvent(
                        model="gpt-4o-mini", prompt=f"step {i}", completion="ok", prompt_tokens=120, completion_tokens=8
                    )
                )
            elif i % 2:
                search(f"refund policy {i}")
            else:
                lookup(f"order-{i}")
    agentops_otel.shutdown()
    return handle.session_id


def replay(kind: str) -> None:
    from agentops_otel.sources._store import StoreSource

    path = os.path.join(os.getcwd(), "replay.db")
    session_id = _record_session(path, SESSION_SPANS)
    start, wall = time.process_time(), time.perf_counter()
    session = StoreSource(path).session(session_id)
    loaded = time.process_time()
    if kind == "text":
        from agentops_otel.replay import render_timeline

        output = render_timeline(session)
    else:
        from agentops_otel.replay.html import render_html

        output = render_html(session)
    done, wall = time.process_time(), time.perf_counter() - wall
    if len(session.steps) < SESSION_SPANS - 1:
        raise SystemExit(f"the store returned {len(session.steps)} steps of {SESSION_SPANS - 1}")
    emit(
        value=done - start,
        unit="s",
        wall=round(wall, 3),
        load_s=round(loaded - start, 3),
        render_s=round(done - loaded, 3),
        spans=SESSION_SPANS,
        output_kb=len(output) // 1024,
    )


def _attribute(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def _otlp_line(line: int) -> str:
    """One `TracesData` line, as the Collector's file exporter writes it: a trace of 1,000 spans."""
    from agentops_otel import semconv as sc

    trace_id = f"{line + 1:032x}"
    root_id = f"{(line + 1) << 20:016x}"
    base = 1_700_000_000_000_000_000 + line * 10**9
    spans = [
        {
            "traceId": trace_id,
            "spanId": root_id,
            "name": "session bench",
            "kind": 1,
            "startTimeUnixNano": str(base),
            "endTimeUnixNano": str(base + 10**9),
            "attributes": [_attribute(sc.SESSION_ID, f"session-{line}"), _attribute(sc.AGENTOPS_SPAN_TYPE, "session")],
            "status": {"code": 1},
        }
    ]
    for i in range(1, OTLP_SPANS_PER_LINE):
        start = base + i * 1000
        spans.append(
            {
                "traceId": trace_id,
                "spanId": f"{((line + 1) << 20) + i:016x}",
                "parentSpanId": root_id,
                "name": "chat gpt-4o-mini" if i % 3 == 0 else "execute_tool search",
                "kind": 3 if i % 3 == 0 else 1,
                "startTimeUnixNano": str(start),
                "endTimeUnixNano": str(start + 900),
                "attributes": [
                    _attribute(sc.SESSION_ID, f"session-{line}"),
                    _attribute(sc.GEN_AI_OPERATION_NAME, "chat" if i % 3 == 0 else "execute_tool"),
                    _attribute(sc.GEN_AI_REQUEST_MODEL, "gpt-4o-mini"),
                    _attribute(sc.GEN_AI_USAGE_INPUT_TOKENS, 120),
                    _attribute(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 8),
                    _attribute(sc.GEN_AI_TOOL_CALL_ARGUMENTS, f'{{"query": "refund policy {i}"}}'),
                ],
                "status": {},
            }
        )
    resource = {"attributes": [_attribute(sc.SERVICE_NAME, "bench")]}
    doc = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}]}]}
    return json.dumps(doc)


def otlp_read() -> None:
    from agentops_otel.sources._otlp_file import read_records

    path = os.path.join(os.getcwd(), "traces.jsonl")
    with open(path, "w") as file:
        for line in range(OTLP_LINES):
            file.write(_otlp_line(line) + "\n")
    cpu, wall = time.process_time(), time.perf_counter()
    records = read_records(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    expected = OTLP_LINES * OTLP_SPANS_PER_LINE
    if len(records) != expected:
        raise SystemExit(f"read {len(records)} spans of {expected}")
    emit(value=expected / cpu, unit="spans/s", wall=round(expected / wall), spans=expected)


if __name__ == "__main__":
    run_variant({"replay-text": lambda: replay("text"), "replay-html": lambda: replay("html"), "otlp-read": otlp_read})
