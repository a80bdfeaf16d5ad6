"""Cross-check the readers against real documents from the Jaeger, Tempo and OTLP repositories.

The fixtures live in ../shared/fixtures/backends (never copied into this repository); where that
folder does not exist these tests are skipped with a message saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentops_otel import semconv as sc
from agentops_otel.model import build_session
from agentops_otel.sources._jaeger import traces_from_response
from agentops_otel.sources._otlp_file import OtlpFileSource, read_records

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "backends"
pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"real backend fixtures not found at {FIXTURES} (they live outside the repo)"
)


def _jaeger(name: str):
    path = FIXTURES / name
    return traces_from_response(json.loads(path.read_text()), str(path))


def test_otlp_spec_example_with_uppercase_hex_ids():
    (span,) = read_records(FIXTURES / "otlp_proto_example_trace.json")
    assert span.trace_id == "5b8efff798038103d269b633813fc60c"
    assert span.parent_span_id == "eee19b7ec3c1b173"
    assert span.kind == "SERVER"
    assert span.end_ns - span.start_ns == 10**9
    assert span.resource[sc.SERVICE_NAME] == "my.service"
    assert span.scope == "my.library"


def test_tempo_v1_batches_envelope():
    (span,) = read_records(FIXTURES / "tempo_api_v1_batches_envelope.json")
    assert (span.trace_id, span.name) == ("5b8efff798038103d269b633813fc60c", "I'm a server span")


def test_jaeger_v3_result_envelope_with_int_enums():
    (trace,) = _jaeger("jaeger_api_v3_get_trace_response.json")
    (span,) = trace
    assert (span.trace_id, span.span_id, span.kind, span.status_code) == (
        "00000000000000000000000000000001",
        "0000000000000002",
        "SERVER",
        "ERROR",
    )


def test_otlp_links_with_typed_attributes():
    records = read_records(FIXTURES / "jaeger_storage_otlp_trace_with_links.json")
    links = [link for r in records for link in r.links]
    assert links and all(len(link.trace_id) == 32 and len(link.span_id) == 16 for link in links)
    values = {k: v for link in links for k, v in link.attributes.items()}
    assert 123 in values.values()


def test_the_jaeger_translator_pair_reads_as_the_same_spans():
    from_otlp = {
        (r.span_id, r.name, r.kind, r.start_ns // 1000)
        for r in read_records(FIXTURES / "jaeger_otlp2jaeger_input_otlp.json")
    }
    (trace,) = _jaeger("jaeger_api_traces_response.json")
    from_jaeger = {(r.span_id, r.name, r.kind, r.start_ns // 1000) for r in trace}
    assert from_otlp == from_jaeger


def test_jaeger_typed_tags_64_bit_ids_logs_and_references():
    (trace,) = _jaeger("jaeger_uimodel_trace_typed_tags.json")
    assert {r.trace_id for r in trace} == {"0" * 31 + "1"}
    typed = next(r for r in trace if "javascript_limit" in r.attributes)
    assert typed.attributes["javascript_limit"] == 9223372036854775222
    assert typed.attributes["temperature"] == 72.5
    assert typed.status_code == "ERROR"  # the `error` tag
    logged = next(r for r in trace if r.events)
    assert logged.events[0].name == "some-event"
    assert logged.events[1].attributes == {"x": "y"}
    child = next(r for r in trace if r.span_id == "0000000000000003")
    assert child.parent_span_id == "0000000000000002"


def test_a_genai_agent_trace_from_another_framework_replays_with_its_root_as_the_session():
    (trace,) = _jaeger("jaeger_ui_genai_agent_trace.json")
    session = build_session(trace)
    assert session.root.name == "POST /api/graphql"
    assert len(session.steps) == len(trace) - 1
    kinds = {s.kind for s in session.steps}
    assert {"agent", "llm", "tool"} <= kinds
    assert session.llm_calls > 0 and session.usage.input_tokens > 0
    assert any(isinstance(s.params, list) for s in session.llm_events)  # messages decoded from JSON


def test_a_saved_jaeger_answer_reads_as_a_file_source():
    source = OtlpFileSource(FIXTURES / "jaeger_api_traces_response.json")
    (summary,) = source.sessions()
    assert source.session(summary.trace_id).trace_id == summary.trace_id
