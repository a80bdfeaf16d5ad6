"""Reading sessions back through the CLI, as a user runs it: `replay ID` of a 10,000-span session
from the local store (text and HTML), and `sessions --source file:` over a Collector-style OTLP file.

Values: CPU seconds of the fresh process (wait4; interpreter start-up included); spans per CPU
second (`wall`: the same in wall time); `peak_mb`: the process's own peak RSS (VmHWM).
"""

from __future__ import annotations

import json
import os
from typing import Any

from _harness import emit, run_cli, run_variant, scaled

SESSION_SPANS = scaled(10_000, 1_000)
OTLP_LINES, OTLP_SPANS_PER_LINE = scaled(100, 4), 1_000


def _record_session(path: str, spans: int) -> str:
    """Record one session of `spans` spans (tools, actions, an LLM call every 10 steps) into the store."""
    import agentops_otel
    from agentops_otel import LLMEvent, record

    provider = agentops_otel.init(store=True, store_path=path, instrument_llm=False, auto_start_session=False)
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
    """`agentops-otel replay ID` (text, or `--html`) in a fresh process, as a user runs it."""
    path = os.path.join(os.getcwd(), "replay.db")
    session_id = _record_session(path, SESSION_SPANS)
    out = os.path.join(os.getcwd(), "replay.out")
    args = ["replay", session_id, "--source", f"store:{path}", "--width", "120"]
    if kind == "html":
        args += ["--html", os.path.join(os.getcwd(), "replay.html")]
    ran = run_cli(args, out)
    if ran["returncode"] != 0:
        raise SystemExit(f"replay exited {ran['returncode']}: {ran['stderr']}")
    output = os.path.join(os.getcwd(), "replay.html") if kind == "html" else out
    emit(
        value=round(ran["cpu_s"], 3),
        unit="s",
        wall=round(ran["wall_s"], 3),
        peak_mb=round(ran["peak_mb"], 1),
        spans=SESSION_SPANS,
        output_kb=os.path.getsize(output) // 1024,
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
    """`agentops-otel sessions --source file:...` over a Collector-style file, end to end in a fresh
    process (reading, pricing, building and listing every session): spans per CPU second."""
    path = os.path.join(os.getcwd(), "traces.jsonl")
    with open(path, "w") as file:
        for line in range(OTLP_LINES):
            file.write(_otlp_line(line) + "\n")
    out = os.path.join(os.getcwd(), "sessions.json")
    ran = run_cli(["sessions", "--source", f"file:{path}", "--limit", "1000000", "--json"], out)
    if ran["returncode"] != 0:
        raise SystemExit(f"sessions exited {ran['returncode']}: {ran['stderr']}")
    with open(out) as file:
        listed = json.load(file)
    expected = OTLP_LINES * OTLP_SPANS_PER_LINE
    steps = sum(s["steps"] + 1 for s in listed)
    if len(listed) != OTLP_LINES or steps != expected:
        raise SystemExit(f"listed {len(listed)} sessions and {steps} spans, expected {OTLP_LINES} and {expected}")
    emit(
        value=round(expected / ran["cpu_s"]),
        unit="spans/s",
        wall=round(expected / ran["wall_s"]),
        spans=expected,
        peak_mb=round(ran["peak_mb"], 1),
    )


if __name__ == "__main__":
    run_variant({"replay-text": lambda: replay("text"), "replay-html": lambda: replay("html"), "otlp-read": otlp_read})
