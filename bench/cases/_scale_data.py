"""Large inputs for the scale cases, made once and kept under the bench cache (deterministic, so a
kept copy is the same input): a store of 100,000 sessions, an OTLP JSON Lines file of 1,000,000 spans.

Sessions look like an agent's: a root, LLM calls with tokens, tools and actions with arguments; about
3% fail. In the file, 100 sessions at a time are interleaved and cut into lines of 500 spans, as a
Collector's batches of concurrent agents are; every trace spans two lines.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

VERSION = 1
CACHE = Path(os.environ.get("AGENTOPS_OTEL_BENCH_CACHE") or Path.home() / ".cache" / "agentops-otel" / "bench")
BASE_NS = 1_790_000_000_000_000_000  # late 2026: inside `--since 3650d`
CONCURRENT, LINE_SPANS = 100, 500


def _sc() -> Any:
    from agentops_otel import semconv as sc

    return sc


def session_spans(n: int, steps: int) -> list[dict[str, Any]]:
    """Session `n` as plain span dicts: a root and `steps` children (every third an LLM call)."""
    sc = _sc()
    trace_id, root_id = f"{n + 1:032x}", f"{(n + 1) << 16:016x}"
    start = BASE_NS + n * 10**9
    failed = n % 33 == 0
    session_id = f"sess-{n:07d}"
    spans = []
    for i in range(1, steps + 1):
        at = start + i * 10**6
        attrs: dict[str, Any] = {sc.SESSION_ID: session_id}
        if i % 3 == 1:
            name = "chat gpt-4o-mini"
            attrs.update(
                {
                    sc.GEN_AI_OPERATION_NAME: "chat",
                    sc.GEN_AI_PROVIDER_NAME: "openai",
                    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                    sc.GEN_AI_USAGE_INPUT_TOKENS: 300 + i,
                    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 20 + i % 7,
                }
            )
        elif i % 3 == 2:
            name = "execute_tool search_docs"
            attrs.update(
                {
                    sc.AGENTOPS_SPAN_TYPE: "tool",
                    sc.GEN_AI_OPERATION_NAME: "execute_tool",
                    sc.GEN_AI_TOOL_NAME: "search_docs",
                    sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"query": f"refund policy {n}-{i}", "limit": 3}),
                    sc.GEN_AI_TOOL_CALL_RESULT: json.dumps({"hits": ["doc-1", "doc-2", "doc-3"]}),
                }
            )
        else:
            name = "fetch_customer_data"
            attrs.update(
                {
                    sc.AGENTOPS_SPAN_TYPE: "action",
                    sc.AGENTOPS_ACTION_TYPE: "fetch_customer_data",
                    sc.AGENTOPS_STEP_PARAMS: json.dumps({"customer_id": f"C-{n % 97}"}),
                }
            )
        error = failed and i == steps
        spans.append(
            {
                "trace_id": trace_id,
                "span_id": f"{((n + 1) << 16) + i:016x}",
                "parent": root_id,
                "name": name,
                "start": at,
                "end": at + 5 * 10**5,
                "kind": "CLIENT" if i % 3 == 1 else "INTERNAL",
                "status": "ERROR" if error else "UNSET",
                "attributes": attrs,
            }
        )
    spans.append(
        {
            "trace_id": trace_id,
            "span_id": root_id,
            "parent": None,
            "name": "session support",
            "start": start,
            "end": start + (steps + 1) * 10**6,
            "kind": "INTERNAL",
            "status": "ERROR" if failed else "OK",
            "attributes": {
                sc.SESSION_ID: session_id,
                sc.AGENTOPS_SPAN_TYPE: "session",
                sc.AGENTOPS_SESSION_NAME: "support",
                sc.AGENTOPS_SESSION_TAGS: ("bench", "nightly"),
                sc.AGENTOPS_SESSION_END_STATE: "Fail" if failed else "Success",
            },
        }
    )
    return spans


def _record(span: dict[str, Any]) -> Any:
    from agentops_otel.model import SpanRecord

    return SpanRecord(
        trace_id=span["trace_id"],
        span_id=span["span_id"],
        parent_span_id=span["parent"],
        name=span["name"],
        start_ns=span["start"],
        end_ns=span["end"],
        kind=span["kind"],
        status_code=span["status"],
        attributes=span["attributes"],
        resource={_sc().SERVICE_NAME: "support-bot"},
        scope="bench",
    )


def store(sessions: int, steps: int = 3) -> Path:
    """A store of `sessions` sessions (each a root and `steps` steps), priced as the live pipeline prices."""
    path = CACHE / "data" / f"store-{sessions}x{steps}-v{VERSION}.db"
    if path.exists():
        return path
    from agentops_otel.cost import price_records
    from agentops_otel.store import LocalStore

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with LocalStore(partial) as target:
        for first in range(0, sessions, 2_000):
            records = [_record(s) for n in range(first, min(first + 2_000, sessions)) for s in session_spans(n, steps)]
            target.write(price_records(records))
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    return path


def _any(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, tuple):
        return {"arrayValue": {"values": [_any(v) for v in value]}}
    return {"stringValue": value}


_KINDS = {"INTERNAL": 1, "CLIENT": 3}
_STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}


def _otlp(span: dict[str, Any]) -> dict[str, Any]:
    out = {
        "traceId": span["trace_id"],
        "spanId": span["span_id"],
        "name": span["name"],
        "kind": _KINDS[span["kind"]],
        "startTimeUnixNano": str(span["start"]),
        "endTimeUnixNano": str(span["end"]),
        "attributes": [{"key": k, "value": _any(v)} for k, v in span["attributes"].items()],
        "status": {"code": _STATUS[span["status"]]},
    }
    if span["parent"]:
        out["parentSpanId"] = span["parent"]
    return out


def otlp_file(spans: int, steps: int = 9) -> Path:
    """An OTLP JSON Lines file of about `spans` spans in sessions of a root and `steps` steps."""
    path = CACHE / "data" / f"otlp-{spans}x{steps}-v{VERSION}.jsonl"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    resource = {"attributes": [{"key": _sc().SERVICE_NAME, "value": {"stringValue": "support-bot"}}]}
    partial = path.with_suffix(".partial")
    sessions = spans // (steps + 1)
    with partial.open("w") as file:
        for first in range(0, sessions, CONCURRENT):
            block = [session_spans(n, steps) for n in range(first, min(first + CONCURRENT, sessions))]
            mixed = [s[i] for i in range(steps + 1) for s in block]  # interleaved, each root last
            for at in range(0, len(mixed), LINE_SPANS):
                scope = {"scope": {"name": "bench"}, "spans": [_otlp(s) for s in mixed[at : at + LINE_SPANS]]}
                file.write(json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [scope]}]}) + "\n")
    partial.rename(path)
    return path
