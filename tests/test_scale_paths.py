"""The gate rates every session and the readers stream: at sizes that keep the suite fast, the answers
are exactly those of a whole read (the figures at 100,000 sessions and 1,000,000 spans are in bench/)."""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from agentops_otel import semconv as sc
from agentops_otel.cli import main
from agentops_otel.cost import price_records
from agentops_otel.errors import SourceError
from agentops_otel.model import SpanRecord, Usage, build_sessions, summarize
from agentops_otel.sources import _jaeger, _otlp_index, _tempo
from agentops_otel.sources._jaeger import JaegerSource
from agentops_otel.sources._otlp_file import OtlpFileSource, read_records
from agentops_otel.sources._store import StoreSource
from agentops_otel.sources._tempo import TempoSource
from agentops_otel.store import LocalStore
from tests._sources_shapes import jaeger_response, jaeger_trace, serve_json

NOW = time.time_ns()


def _session(n: int, *, start_ns: int | None = None, steps: int = 3) -> list[SpanRecord]:
    """Session n: a root (Fail every 7th), an LLM call with tokens, tools; `start_ns` may repeat."""
    start = start_ns if start_ns is not None else NOW - (n + 1) * 10**9
    trace_id, root = f"{n + 1:032x}", f"{n + 1:016x}"
    sid = f"sess-{n:05d}"
    spans = [
        SpanRecord(
            trace_id,
            f"{(n + 1) * 100 + i:016x}",
            root,
            "chat gpt-4o-mini" if i == 1 else "execute_tool search",
            start + i * 1000,
            start + i * 1000 + 500,
            attributes={
                sc.SESSION_ID: sid,
                sc.GEN_AI_OPERATION_NAME: "chat",
                sc.GEN_AI_PROVIDER_NAME: "openai",
                sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                sc.GEN_AI_USAGE_INPUT_TOKENS: 100 + n,
                sc.GEN_AI_USAGE_OUTPUT_TOKENS: 7,
            }
            if i == 1
            else {
                sc.SESSION_ID: sid,
                sc.AGENTOPS_SPAN_TYPE: "tool",
                sc.GEN_AI_TOOL_NAME: "search",
                sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"q": n}),
            },
            resource={sc.SERVICE_NAME: "bot"},
        )
        for i in range(1, steps + 1)
    ]
    state = "Fail" if n % 7 == 0 else "Success"
    root_attrs = {
        sc.SESSION_ID: sid,
        sc.AGENTOPS_SPAN_TYPE: "session",
        sc.AGENTOPS_SESSION_NAME: "bot",
        sc.AGENTOPS_SESSION_END_STATE: state,
        sc.AGENTOPS_SESSION_TAGS: ("ci",),
    }
    root_span = SpanRecord(
        trace_id,
        root,
        None,
        "session bot",
        start,
        start + 10**6,
        attributes=root_attrs,
        resource={sc.SERVICE_NAME: "bot"},
    )
    return [*spans, root_span]


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, tuple):
        return {"arrayValue": {"values": [_value(v) for v in value]}}
    return {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}


def otlp_dict(records: list[SpanRecord]) -> dict[str, Any]:
    """OTLP JSON `TracesData` of the records, as a Collector's file exporter writes it."""
    spans = [
        {
            "traceId": r.trace_id,
            "spanId": r.span_id,
            **({"parentSpanId": r.parent_span_id} if r.parent_span_id else {}),
            "name": r.name,
            "kind": 1,
            "startTimeUnixNano": str(r.start_ns),
            "endTimeUnixNano": str(r.end_ns),
            "attributes": [{"key": k, "value": _value(v)} for k, v in r.attributes.items()],
            "status": {},
        }
        for r in records
    ]
    resource = {"attributes": [{"key": sc.SERVICE_NAME, "value": {"stringValue": "bot"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}


def _store(tmp_path: Path, count: int, **kwargs: Any) -> Path:
    path = tmp_path / "traces.db"
    with LocalStore(path) as store:
        store.write(price_records([r for n in range(count) for r in _session(n, **kwargs)]))
    return path


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_check_rates_every_stored_session_with_totals_summed_in_sql(tmp_path: Path) -> None:
    path = _store(tmp_path, 2_500)
    code, out = _cli("check", "--source", f"store:{path}", "--since", "7d", "--max-failure-rate", "0.2", "--json")
    data = json.loads(out)
    assert code == 0 and data["sessions"] == 2_500 and data["limit_reached"] is False
    failed = sum(1 for n in range(2_500) if n % 7 == 0)
    assert data["checks"][0]["detail"] == f"{failed} failed of 2500 ended"
    assert data["checks"][2]["detail"] == "2500 calls in 2500 sessions"
    # The same totals the model computes from each whole session.
    whole = {
        s.session_id: summarize(s) for s in build_sessions(price_records(r for n in range(2_500) for r in _session(n)))
    }
    # The listing carries every total; the gate's stream what it rates (usage left out, steps unknown).
    assert {s.session_id: s for s in StoreSource(path).sessions()} == whole
    listed = {s.session_id: s for s in StoreSource(path).iter_sessions()}
    assert listed == {k: replace(s, usage=Usage(), steps=None) for k, s in whole.items()}
    code, out = _cli("check", "--source", f"store:{path}", "--since", "7d", "--limit", "2499")
    assert code == 2 and "more than 2499 sessions match" in out


def test_the_gates_stream_is_one_snapshot_while_the_store_is_written(tmp_path: Path) -> None:
    path = _store(tmp_path, 1_500, start_ns=NOW - 10**9)  # more than one fetch, one start time for all
    seen = []
    with LocalStore(path, create=False) as reader, LocalStore(path) as writer:
        for summary in reader.iter_sessions():
            if not seen:  # the reader's lock is free between fetches: a write here neither blocks nor shows
                writer.write(price_records(r for n in range(1_500, 1_600) for r in _session(n)))
            seen.append(summary.session_id)
        assert sorted(seen) == [f"sess-{n:05d}" for n in range(1_500)]
        assert len(list(reader.iter_sessions())) == 1_600


def _otlp_lines(sessions: list[list[SpanRecord]], per_line: int) -> list[str]:
    """Spans of all sessions interleaved, then cut into lines: every trace spans several lines."""
    mixed = [s[i] for i in range(max(map(len, sessions))) for s in sessions if i < len(s)]
    return [json.dumps(otlp_dict(mixed[at : at + per_line])) for at in range(0, len(mixed), per_line)]


def _whole(path: Path) -> list[Any]:
    return build_sessions(price_records(read_records(path)))


@pytest.mark.parametrize("packed", ["plain", "gzip"])
def test_a_streamed_file_answers_as_a_whole_read(tmp_path: Path, packed: str) -> None:
    sessions = [_session(n, steps=5) for n in range(60)]
    lines = _otlp_lines(sessions, per_line=23)
    # A trace id written with an escape the first pass cannot see: that trace is rebuilt from all its lines.
    lines.append(json.dumps(otlp_dict(_session(99, steps=2)[:1])).replace('"traceId"', '"trace\\u0049d"'))
    lines.append(json.dumps(otlp_dict(_session(99, steps=2)[1:])))
    text = "\n".join(lines) + "\n"
    path = tmp_path / ("t.jsonl.gz" if packed == "gzip" else "t.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if packed == "gzip" else text.encode())
    whole = _whole(path)
    source = OtlpFileSource(path)
    assert source.sessions() == sorted((summarize(s) for s in whole), key=lambda s: -s.start_ns)
    assert list(source.iter_sessions()) == [summarize(s) for s in whole]
    for expected in whole:
        assert source.session(expected.session_id).to_dict() == expected.to_dict()
    assert len(source.session("sess-00099").steps) == 2  # both halves of the trace the first pass missed
    assert not list(tmp_path.glob("*.agentops-index.json"))  # a small file: no file written beside it


def test_a_folder_streams_traces_that_cross_files(tmp_path: Path) -> None:
    lines = _otlp_lines([_session(n) for n in range(10)], per_line=7)
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:3]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[3:]) + "\n")
    whole = build_sessions(price_records([r for f in ("a.jsonl", "b.jsonl") for r in read_records(tmp_path / f)]))
    source = OtlpFileSource(tmp_path)
    assert list(source.iter_sessions()) == [summarize(s) for s in whole]
    assert source.session("sess-00004").to_dict() == next(s for s in whole if s.session_id == "sess-00004").to_dict()


def test_a_large_file_keeps_its_index_beside_it_and_replay_reads_only_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_otlp_index, "INDEX_MIN_BYTES", 0)
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(_otlp_lines([_session(n) for n in range(30)], per_line=9)) + "\n")
    first = OtlpFileSource(path).sessions()
    index = tmp_path / "big.jsonl.agentops-index.json"
    assert index.exists()

    def no_pass(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the file was read again although its index is up to date")

    monkeypatch.setattr(_otlp_index, "build_index", no_pass)
    again = OtlpFileSource(path)
    assert again.sessions() == first
    read_lines: list[int] = []
    real = _otlp_index.read_line
    monkeypatch.setattr(_otlp_index, "read_line", lambda *a: read_lines.append(a[1]) or real(*a))
    assert (
        again.session("sess-00012").to_dict() == next(s for s in _whole(path) if s.session_id == "sess-00012").to_dict()
    )
    assert sorted(read_lines) == [2, 5, 9, 12]  # its four spans are on four of the 14 lines: only those are read
    monkeypatch.undo()
    with path.open("a") as file:  # a changed file: its index is stale and read again
        file.write(json.dumps(otlp_dict(_session(77))) + "\n")
    assert len(OtlpFileSource(path).sessions()) == 31


def test_a_summary_reads_back_from_the_index_as_it_was_written() -> None:
    for session in build_sessions(price_records(_session(3) + _session(7))):
        summary = summarize(session)
        assert _otlp_index.summary_of(json.loads(json.dumps(summary.to_dict()))) == summary


def _jaeger_backend(records_by_trace: list[list[SpanRecord]]) -> Any:
    """A Jaeger query API that answers at most `limit` traces of a window, the newest."""

    def route(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/api/services":
            return 200, {"data": ["bot"]}
        if path == "/api/traces":
            lo, hi, limit = (int(query[k][0]) for k in ("start", "end", "limit"))
            found = [t for t in records_by_trace if lo <= min(r.start_ns for r in t) // 1000 <= hi]
            found.sort(key=lambda t: -min(r.start_ns for r in t))
            return 200, jaeger_response([jaeger_trace(t) for t in found[:limit]])
        return 404, {"data": None}

    return route


def test_jaeger_is_paged_through_by_time_windows_until_every_session_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_jaeger, "PAGE", 20)
    traces = [_session(n, steps=1) for n in range(90)]
    with serve_json(_jaeger_backend(traces)) as (url, requested):
        listed = list(JaegerSource(url).iter_sessions(since_ns=NOW - 10**12))
        code, out = _cli("check", "--source", f"jaeger:{url}", "--since", "1d", "--json")
    assert sorted(s.session_id for s in listed) == [f"sess-{n:05d}" for n in range(90)]
    assert len(requested) > 6  # more than one page was asked for
    assert code == 0 and json.loads(out)["sessions"] == 90


def test_a_window_no_search_can_split_is_an_error_not_a_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_jaeger, "PAGE", 20)
    traces = [_session(n, steps=1, start_ns=NOW - 10**9) for n in range(30)]  # one microsecond
    with serve_json(_jaeger_backend(traces)) as (url, _):
        with pytest.raises(SourceError, match=r"more than 20 traces between .* cannot split"):
            list(JaegerSource(url).iter_sessions(since_ns=NOW - 10**12))
        code, out = _cli("check", "--source", f"jaeger:{url}", "--since", "1d")
    assert code == 2 and out.startswith("error: jaeger:")


def test_tempo_is_paged_through_by_windows_of_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tempo, "PAGE", 10)
    traces = {t[0].trace_id: t for t in (_session(n, steps=1) for n in range(35))}

    def route(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/api/search":
            lo, hi, limit = (int(query[k][0]) for k in ("start", "end", "limit"))
            found = [t for t, spans in traces.items() if lo <= spans[-1].start_ns // 10**9 <= hi]
            return 200, {"traces": [{"traceID": t.lstrip("0")} for t in found[:limit]]}
        if path.startswith("/api/v2/traces/"):
            return 200, {"trace": otlp_dict(traces[path.rsplit("/", 1)[1]])}
        return 404, {}

    with serve_json(route) as (url, _):
        listed = list(TempoSource(url).iter_sessions(since_ns=NOW - 10**12))
    assert sorted(s.session_id for s in listed) == [f"sess-{n:05d}" for n in range(35)]
