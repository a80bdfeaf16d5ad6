"""The embedded local store: every span in one SQLite file in the working directory.

    from agentops_otel.store import LocalStore, LocalStoreExporter

    store = LocalStore(".agentops/traces.db")        # creates the file and schema when absent
    store.write(records)                              # SpanRecords, one transaction
    store.sessions(status="Fail", limit=10)           # SessionSummary list, newest first
    store.trace(trace_id)                             # the SpanRecords of one trace

`LocalStoreExporter` is the OpenTelemetry `SpanExporter` over it (`OTEL_TRACES_EXPORTER=agentops_store`);
with no arguments it writes to `AGENTOPS_OTEL_STORE_PATH` or `.agentops/traces.db`. The pipeline feeds it
through `LocalStoreProcessor`, which never drops a span and never makes the application wait: while another
process holds the file locked, spans wait in memory, then in `traces.db.spill/` beside it, and are written
when the lock clears. The file is in WAL mode with a busy timeout, so several processes can write while
others read. A file that is not a
store, is of a newer schema or is corrupt raises `agentops_otel.errors.StoreError`.
"""

from ._exporter import LocalStoreExporter
from ._processor import LocalStoreProcessor
from ._schema import SCHEMA_VERSION
from ._store import LocalStore

__all__ = ["SCHEMA_VERSION", "LocalStore", "LocalStoreExporter", "LocalStoreProcessor"]
