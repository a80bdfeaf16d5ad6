"""Files that are not (usable) stores give one clear StoreError, to readers, writers and the exporter."""

from __future__ import annotations

import os
import sqlite3

import pytest

from agentops_otel.errors import SessionNotFoundError, StoreError
from agentops_otel.sources._store import StoreSource
from agentops_otel.store import SCHEMA_VERSION, LocalStore, LocalStoreExporter
from tests.test_store_sample import support_session


def _random_bytes(path):
    path.write_bytes(os.urandom(4096))


def _other_program_db(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()


def _newer_schema(path):
    LocalStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def _truncated(path):
    with LocalStore(path) as store:
        for n in range(1, 60):
            store.write(support_session(n, start_offset_s=n))
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 3)


BAD_FILES = {
    "random bytes": (_random_bytes, "not a readable agentops-otel store"),
    "another program's sqlite db": (_other_program_db, "not an agentops-otel store"),
    "newer schema": (_newer_schema, "newer agentops-otel"),
    "truncated store": (_truncated, "not a readable agentops-otel store"),
}


@pytest.fixture(params=sorted(BAD_FILES))
def bad_store(request, tmp_path):
    make, message = BAD_FILES[request.param]
    path = tmp_path / "traces.db"
    make(path)
    return path, message


def test_listing_a_bad_file_raises_store_error_naming_it(bad_store):
    path, message = bad_store
    with pytest.raises(StoreError, match=message) as info:
        StoreSource(path).sessions()
    assert str(path) in str(info.value)


def test_opening_a_bad_file_by_id_raises_store_error(bad_store):
    path, message = bad_store
    with pytest.raises(StoreError, match=message):
        StoreSource(path).session("sess-0001")


def test_writing_to_a_bad_file_raises_store_error_and_leaves_it_alone(bad_store):
    path, message = bad_store
    before = path.read_bytes()
    with pytest.raises(StoreError, match=message), LocalStore(path) as store:
        store.write(support_session(1))
    assert path.read_bytes() == before


def test_the_exporter_reports_failure_on_a_bad_file_without_raising(bad_store, caplog):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    path, message = bad_store
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("work"):
        pass
    exporter = LocalStoreExporter(path)
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.FAILURE
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.FAILURE
    exporter.shutdown()
    assert exporter.failed_spans == 2
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and message in errors[0].getMessage()  # one line per cause, not per batch
    provider.shutdown()


def test_a_missing_file_reads_as_an_empty_store_and_is_not_created(tmp_path):
    path = tmp_path / "nothing" / "traces.db"
    source = StoreSource(path)
    assert source.sessions() == []
    with pytest.raises(SessionNotFoundError, match="no sessions recorded yet"):
        source.session("abc")
    assert not path.parent.exists()


def test_an_empty_file_reads_as_empty_and_becomes_a_store_when_written(tmp_path):
    path = tmp_path / "traces.db"
    path.touch()
    assert StoreSource(path).sessions() == []
    with LocalStore(path) as store:
        store.write(support_session(1))
    assert [s.session_id for s in StoreSource(path).sessions()] == ["sess-0001-7f3a"]


def test_a_directory_in_place_of_the_file_gives_store_error(tmp_path):
    path = tmp_path / "traces.db"
    path.mkdir()
    with pytest.raises(StoreError, match="cannot open"):
        LocalStore(path)


def test_a_store_folder_it_creates_keeps_the_traces_out_of_git(tmp_path):
    path = tmp_path / ".agentops" / "traces.db"
    LocalStore(path).close()
    assert (tmp_path / ".agentops" / ".gitignore").read_text().splitlines()[-1] == "*"
    existing = tmp_path / "mine"
    existing.mkdir()
    LocalStore(existing / "traces.db").close()
    assert not (existing / ".gitignore").exists()  # a folder the user made is theirs


def test_a_store_folder_that_cannot_be_created_gives_store_error(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreError, match="cannot create the store folder"):
        LocalStore(tmp_path / "a-file" / "sub" / "traces.db")
