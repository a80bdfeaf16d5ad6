"""OTLP JSON files: every spelling the Collector, Tempo and hand-written documents use, and bad input."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from agentops_otel.errors import SessionNotFoundError, SourceError
from agentops_otel.model import build_session, from_readable_span
from agentops_otel.sources import open_source
from agentops_otel.sources._otlp_file import OtlpFileSource, read_records
from tests._sources_shapes import T0, otlp_dict, session_spans


@pytest.fixture(scope="module")
def spans():
    return session_spans()


@pytest.fixture(scope="module")
def expected(spans):
    return build_session([from_readable_span(s) for s in spans]).to_dict()


def _jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@pytest.mark.parametrize(
    "variant",
    [
        {"ids": "hex"},
        {"ids": "HEX"},
        {"ids": "base64", "int_enums": False},
        {"ids": "hex", "snake": True},
        {"ids": "base64", "snake": True, "int_enums": False},
    ],
)
def test_a_single_document_in_any_spelling_reads_back_as_the_recorded_session(tmp_path, spans, expected, variant):
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(otlp_dict(spans, **variant), indent=2))
    assert OtlpFileSource(path).session("sess-checkout-1").to_dict() == expected


def test_collector_lines_with_one_span_each_rebuild_one_session(tmp_path, spans, expected):
    path = _jsonl(tmp_path / "out.jsonl", [otlp_dict([s]) for s in spans])
    assert open_source(str(path)).session("sess-checkout-1").to_dict() == expected


def test_gzip_files_and_directories_of_files_are_read(tmp_path, spans, expected):
    folder = tmp_path / "rotated"
    folder.mkdir()
    (folder / "a.jsonl.gz").write_bytes(gzip.compress(json.dumps(otlp_dict(spans[:2])).encode() + b"\n"))
    _jsonl(folder / "b.json", [otlp_dict(spans[2:])])
    (folder / "notes.txt").write_text("not a trace")
    assert OtlpFileSource(folder).session("sess-checkout-1").to_dict() == expected
    assert open_source(f"file:{folder / 'a.jsonl.gz'}").session("sess-checkout-1").trace_id == expected["trace_id"]


def test_sessions_are_found_by_session_id_trace_id_or_unique_prefix(tmp_path):
    docs = [otlp_dict(session_spans("run-alpha")), otlp_dict(session_spans("run-beta", fail=False))]
    source = OtlpFileSource(_jsonl(tmp_path / "two.jsonl", docs))
    alpha = source.session("run-alpha")
    assert source.session(alpha.trace_id).session_id == "run-alpha"
    assert source.session(alpha.trace_id[:8]).session_id == "run-alpha"
    assert source.session("run-b").session_id == "run-beta"
    with pytest.raises(SessionNotFoundError, match="matches 2 sessions"):
        source.session("run-")
    with pytest.raises(SessionNotFoundError, match="no session 'nope'"):
        source.session("nope")


def test_listing_filters_by_status_tag_service_and_time_newest_first(tmp_path):
    docs = [
        otlp_dict(session_spans("failed-one", service="bot-a")),
        otlp_dict(session_spans("passed-one", fail=False, service="bot-b")),
    ]
    source = OtlpFileSource(_jsonl(tmp_path / "two.jsonl", docs))
    assert [s.session_id for s in source.sessions(status="fail")] == ["failed-one"]
    assert [s.session_id for s in source.sessions(service="bot-b")] == ["passed-one"]
    assert len(source.sessions(tags=["prod", "billing"])) == 2
    assert source.sessions(tags=["staging"]) == []
    assert source.sessions(since_ns=T0 + 1) == []
    assert len(source.sessions(limit=1)) == 1


def test_a_file_that_changes_is_read_again(tmp_path, spans):
    path = _jsonl(tmp_path / "grow.jsonl", [otlp_dict(spans)])
    source = OtlpFileSource(path)
    assert len(source.sessions()) == 1
    with path.open("a") as f:
        f.write(json.dumps(otlp_dict(session_spans("later"))) + "\n")
    os.utime(path, ns=(T0, T0))  # a different stamp even on coarse-mtime file systems
    assert {s.session_id for s in source.sessions()} == {"sess-checkout-1", "later"}


def test_a_truncated_line_names_the_file_and_line(tmp_path, spans):
    text = json.dumps(otlp_dict(spans[:1])) + "\n" + json.dumps(otlp_dict(spans[1:]))[:-40] + "\n"
    path = tmp_path / "cut.jsonl"
    path.write_text(text)
    with pytest.raises(SourceError, match=r"cut\.jsonl line 2: not valid JSON at line 1 column \d+"):
        read_records(path)


def test_a_truncated_document_names_the_line_and_column(tmp_path, spans):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(otlp_dict(spans), indent=2)[:500])
    with pytest.raises(SourceError, match=r"cut\.json: not valid JSON at line \d+ column \d+ .*truncated"):
        read_records(path)


def test_a_truncated_gzip_file_is_reported(tmp_path, spans):
    path = tmp_path / "cut.json.gz"
    path.write_bytes(gzip.compress(json.dumps(otlp_dict(spans)).encode())[:-30])
    with pytest.raises(SourceError, match=r"cut\.json\.gz: corrupt or truncated gzip"):
        read_records(path)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"hello": 1}, "not an OTLP TracesData document"),
        (
            {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz", "spanId": "00f067aa0ba902b7"}]}]}]},
            "traceId 'xyz' is neither hex nor base64",
        ),
        ({"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "no ids"}]}]}]}, "has no traceId"),
        (
            {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
                                        "spanId": "00f067aa0ba902b7",
                                        "kind": 9,
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "span kind 9 is not a known value",
        ),
        (
            {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
                                        "spanId": "00f067aa0ba902b7",
                                        "startTimeUnixNano": "soon",
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "startTimeUnixNano is not a number",
        ),
        ({"resourceSpans": "nope"}, "resourceSpans is not a list"),
        ({"resourceSpans": [["not", "an", "object"]]}, "unexpected value"),
    ],
)
def test_json_of_the_wrong_shape_gives_one_clear_error(tmp_path, doc, message):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SourceError, match=f"odd.json line 1: .*{message}"):
        read_records(path)


def test_missing_and_binary_files_give_source_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        OtlpFileSource(tmp_path / "absent.json").sessions()
    binary = tmp_path / "blob.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SourceError, match=r"blob\.json: not UTF-8 text at byte 0"):
        read_records(binary)


def test_an_empty_file_holds_no_sessions(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    assert OtlpFileSource(path).sessions() == []


def test_a_jaeger_download_of_our_session_reads_as_the_same_session(tmp_path, spans, expected):
    from tests._sources_shapes import jaeger_response, jaeger_trace

    path = tmp_path / "jaeger-download.json"
    path.write_text(json.dumps(jaeger_response([jaeger_trace([from_readable_span(s) for s in spans])]), indent=1))
    assert OtlpFileSource(path).session("sess-checkout-1").to_dict() == expected


def _rewrite(node, fn):
    if isinstance(node, dict):
        return fn({k: _rewrite(v, fn) for k, v in node.items()})
    if isinstance(node, list):
        return [_rewrite(v, fn) for v in node]
    return node


def test_64_bit_numbers_as_json_numbers_and_the_old_instrumentation_library_keys(tmp_path, spans, expected):
    def numbers(obj):
        for key in ("intValue", "startTimeUnixNano", "endTimeUnixNano", "timeUnixNano"):
            if isinstance(obj.get(key), str):
                obj[key] = int(obj[key])
        if "scopeSpans" in obj:  # OTLP before 0.15 named scopes "instrumentation libraries"
            obj["instrumentationLibrarySpans"] = [
                {"instrumentationLibrary": ss.get("scope", {}), "spans": ss["spans"]} for ss in obj.pop("scopeSpans")
            ]
        return obj

    path = tmp_path / "old.json"
    path.write_text(json.dumps(_rewrite(otlp_dict(spans), numbers)))
    assert '"startTimeUnixNano": 1767225600000000000' in path.read_text()
    session = OtlpFileSource(path).session("sess-checkout-1")
    assert session.to_dict() == expected
    assert session.root.scope == "agentops_otel"
