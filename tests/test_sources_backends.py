"""Jaeger and Tempo readers against their API shapes, served from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from agentops_otel import semconv as sc
from agentops_otel.errors import ConfigurationError, SessionNotFoundError, SourceError, StoreError
from agentops_otel.model import build_session, from_readable_span
from agentops_otel.sources import open_source
from agentops_otel.sources._jaeger import JaegerSource
from agentops_otel.sources._tempo import TempoSource, traceql
from tests._sources_shapes import jaeger_response, jaeger_trace, otlp_dict, serve_json, session_spans


@pytest.fixture(scope="module")
def spans():
    return session_spans()


@pytest.fixture(scope="module")
def records(spans):
    return [from_readable_span(s) for s in spans]


@pytest.fixture(scope="module")
def expected(records):
    return build_session(records).to_dict()


def test_jaeger_trace_by_id(records, expected):
    trace_id = records[0].trace_id

    def route(path, query):
        if path == f"/api/traces/{trace_id}":
            return 200, jaeger_response([jaeger_trace(records)])
        return 404, {"data": None, "errors": [{"code": 404, "msg": "trace not found"}]}

    with serve_json(route) as (url, requested):
        session = open_source(f"jaeger:{url}").session(trace_id)
    assert session.to_dict() == expected
    assert requested == [f"/api/traces/{trace_id}"]


def test_jaeger_64_bit_trace_ids_are_left_padded(records):
    doc = jaeger_response([jaeger_trace(records, short_trace_id=True)])
    short = records[0].trace_id[16:]
    with serve_json(lambda path, q: (200, doc) if path == f"/api/traces/{short}" else (404, {})) as (url, _):
        session = JaegerSource(url).session(short)
    assert session.trace_id == "0" * 16 + short
    assert session.session_id == "sess-checkout-1"


def test_jaeger_session_id_search_asks_every_service_by_tag(records, expected):
    searches = []

    def route(path, query):
        if path == "/api/services":
            return 200, {"data": ["jaeger-all-in-one", "support-bot"], "total": 2}
        if path == "/api/traces":
            searches.append(query)
            tags = json.loads(query["tags"][0]) if "tags" in query else {}
            hit = tags.get(sc.SESSION_ID, "sess-checkout-1") == "sess-checkout-1"
            return 200, jaeger_response([jaeger_trace(records)] if hit else [])
        return 404, {}

    with serve_json(route) as (url, _):
        source = JaegerSource(url)
        assert source.session("sess-checkout-1").to_dict() == expected
        assert source.session("sess-check").session_id == "sess-checkout-1"  # prefix, from recent traces
        listing = source.sessions(status="Fail", tags=["prod"])
        assert source.sessions(status="Success") == []
    assert [s.session_id for s in listing] == ["sess-checkout-1"]
    assert {q["service"][0] for q in searches} == {"support-bot"}  # Jaeger's own service is skipped
    assert json.loads(searches[0]["tags"][0]) == {sc.SESSION_ID: "sess-checkout-1"}
    assert int(searches[0]["start"][0]) < int(searches[0]["end"][0])


def test_jaeger_api_v3_answers_otlp_json(spans, records, expected):
    trace_id = records[0].trace_id

    def route(path, query):
        if path == f"/api/v3/traces/{trace_id}":
            return 200, {"result": otlp_dict(spans, ids="hex")}
        if path == "/api/v3/services":
            return 200, {"services": ["support-bot"]}
        if path == "/api/v3/traces":
            assert query["query.service_name"] == ["support-bot"]
            return 200, {"result": otlp_dict(spans, ids="hex")}
        return 404, {}

    with serve_json(route) as (url, _):
        source = open_source(f"jaeger:{url}/api/v3")
        assert source.session(trace_id).to_dict() == expected
        assert source.session("sess-checkout-1").trace_id == trace_id
        assert [s.trace_id for s in source.sessions()] == [trace_id]


def test_tempo_v2_with_base64_ids_and_enum_names(spans, records, expected):
    trace_id = records[0].trace_id
    doc = {"trace": otlp_dict(spans, ids="base64", int_enums=False), "status": "complete"}
    with serve_json(lambda p, q: (200, doc) if p == f"/api/v2/traces/{trace_id}" else (404, "")) as (url, req):
        assert TempoSource(url).session(trace_id).to_dict() == expected
    assert req == [f"/api/v2/traces/{trace_id}"]


def test_tempo_accepts_a_base64_trace_id(spans, records):
    trace_id = records[0].trace_id
    b64 = base64.b64encode(bytes.fromhex(trace_id)).decode()
    doc = {"trace": otlp_dict(spans, ids="base64")}
    with serve_json(lambda p, q: (200, doc) if p == f"/api/v2/traces/{trace_id}" else (404, "")) as (url, _):
        assert TempoSource(url).session(b64).trace_id == trace_id
        assert TempoSource(url).session(b64.rstrip("=")).trace_id == trace_id


def test_tempo_v1_batches_when_there_is_no_v2_endpoint(spans, records, expected):
    trace_id = records[0].trace_id
    doc = {"batches": otlp_dict(spans, ids="base64")["resourceSpans"]}
    with serve_json(lambda p, q: (200, doc) if p == f"/api/traces/{trace_id}" else (404, "")) as (url, req):
        assert open_source(f"tempo:{url}").session(trace_id).to_dict() == expected
    assert req == [f"/api/v2/traces/{trace_id}", f"/api/traces/{trace_id}"]


def test_tempo_search_by_session_id_and_end_state_uses_traceql(spans, records, expected):
    trace_id = records[0].trace_id
    queries = []

    def route(path, query):
        if path == "/api/search":
            queries.append(query["q"][0])
            # Tempo drops leading zeros from search results' trace ids.
            return 200, {"traces": [{"traceID": trace_id.lstrip("0"), "rootServiceName": "support-bot"}]}
        if path == f"/api/v2/traces/{trace_id}":
            return 200, {"trace": otlp_dict(spans, ids="base64", int_enums=False)}
        return 404, ""

    with serve_json(route) as (url, _):
        source = TempoSource(url)
        assert source.session("sess-checkout-1").to_dict() == expected
        listing = source.sessions(status="Fail", service="support-bot")
    assert [s.session_id for s in listing] == ["sess-checkout-1"]
    assert queries == [
        traceql(session_id="sess-checkout-1"),
        traceql(end_state="Fail", service="support-bot"),
    ]
    assert queries[0] == '{ span.session.id = "sess-checkout-1" }'


def test_traceql_quotes_values_so_they_cannot_change_the_query():
    assert traceql(session_id='x" || true') == '{ span.session.id = "x\\" || true" }'
    assert traceql() == "{}"


def test_unknown_sessions_are_not_found(records):
    def route(path, query):
        if path == "/api/search":
            return 200, {"traces": []}
        if path in ("/api/services",):
            return 200, {"data": ["support-bot"]}
        if path == "/api/traces":
            return 200, jaeger_response([])
        return 404, ""

    with serve_json(route) as (url, _):
        for source in (JaegerSource(url), TempoSource(url)):
            with pytest.raises(SessionNotFoundError, match="no session 'ghost'"):
                source.session("ghost")
            with pytest.raises(SessionNotFoundError):
                source.session("0" * 31 + "1")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["jaeger", "tempo"])
def test_an_unreachable_backend_names_the_url_and_reason(kind):
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(SourceError, match=rf"{url}/api/.*cannot connect \(.*refused"):
        open_source(f"{kind}:{url}").sessions()


@pytest.mark.parametrize("kind", ["jaeger", "tempo"])
def test_server_errors_and_truncated_answers_are_source_errors(kind, spans, records):
    trace_id = records[0].trace_id
    whole = json.dumps({"trace": otlp_dict(spans)} if kind == "tempo" else jaeger_response([jaeger_trace(records)]))

    answers = [
        ((500, "backend on fire"), "HTTP 500 Internal Server Error: backend on fire"),
        ((200, whole[:300]), r"not valid JSON at line 1 column \d+ .*truncated"),
        ((200, {"unexpected": True}), "not a"),
    ]
    for answer, message in answers:
        with serve_json(lambda p, q, answer=answer: answer) as (url, _):
            source = open_source(f"{kind}:{url}")
            with pytest.raises(SourceError, match=rf"{url}/api/.*{message}"):
                source.session(trace_id)


def test_jaeger_errors_in_the_envelope_are_reported():
    doc = {"data": None, "errors": [{"code": 400, "msg": "parameter 'service' is required"}]}
    with serve_json(lambda p, q: (200, doc)) as (url, _):
        source = JaegerSource(url)
        with pytest.raises(SourceError, match=r"Jaeger answered with errors: .*service' is required"):
            source.sessions(service="x")


@pytest.mark.parametrize("kind", ["jaeger", "tempo"])
def test_a_backend_without_a_url_shows_its_own_port_in_the_example(kind):
    port = {"jaeger": 16686, "tempo": 3200}[kind]
    with pytest.raises(ConfigurationError, match=rf"e\.g\. {kind}:http://127\.0\.0\.1:{port}$"):
        open_source(f"{kind}:localhost:{port}")


def test_a_store_file_named_explicitly_must_exist(tmp_path):
    with pytest.raises(StoreError, match=r"no store at .*typo\.db: check the path"):
        open_source(str(tmp_path / "typo.db"))
    assert not (tmp_path / "typo.db").exists()
