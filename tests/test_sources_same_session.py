"""Done-when of replay-from-anywhere: one session read from the local store, an OTLP JSON file, a
Jaeger answer and a Tempo answer is the same session and renders the same replay."""

from __future__ import annotations

import json

from agentops_otel.model import from_readable_span
from agentops_otel.replay import render_timeline
from agentops_otel.replay.html import render_html
from agentops_otel.sources import open_source
from agentops_otel.store import LocalStore
from tests._sources_shapes import jaeger_response, jaeger_trace, otlp_dict, serve_json, session_spans


def test_store_file_jaeger_and_tempo_give_the_same_session(tmp_path):
    spans = session_spans(prompt="I was charged twice <b>", extra_steps=5)
    records = [from_readable_span(s) for s in spans]
    trace_id = records[0].trace_id

    with LocalStore(tmp_path / "traces.db") as store:
        store.write(records)
    from_store = open_source(f"store:{tmp_path / 'traces.db'}").session("sess-checkout-1")

    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(otlp_dict(spans)) + "\n")
    from_file = open_source(str(path)).session("sess-checkout-1")

    def route(p, q):
        if p == f"/api/traces/{trace_id}":
            return 200, jaeger_response([jaeger_trace(records)])
        if p == f"/api/v2/traces/{trace_id}":
            return 200, {"trace": otlp_dict(spans, ids="base64", int_enums=False)}
        return 404, ""

    with serve_json(route) as (url, _):
        from_jaeger = open_source(f"jaeger:{url}").session(trace_id)
        from_tempo = open_source(f"tempo:{url}").session(trace_id)

    sessions = {"store": from_store, "file": from_file, "jaeger": from_jaeger, "tempo": from_tempo}
    reference = sessions.pop("store")
    assert len(reference.steps) == 8
    for where, session in sessions.items():
        assert session.to_dict() == reference.to_dict(), where
        assert render_html(session) == render_html(reference), where
        assert render_timeline(session, width=120) == render_timeline(reference, width=120), where
