"""LocalStoreExporter: an OpenTelemetry SpanExporter that writes each batch into the local store.

Registered as the `agentops_store` traces exporter, so `OTEL_TRACES_EXPORTER=agentops_store` works.
Every `export` commits before it returns, so what a BatchSpanProcessor flushes at exit is on disk.
It never raises into the caller: a failure is logged and counted (`failed_spans`), and the batch
reported as FAILURE. `write` is the store processor's way in: it tells a store locked by another
process (try again later) from a failure, and waits for a lock only `busy_timeout_s`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from .._config import store_path
from .._internal import internal_error
from ..errors import StoreError
from ..model import SpanRecord, from_readable_span
from ._schema import DEFAULT_BUSY_TIMEOUT_S, StoreLocked
from ._store import LocalStore

STORED, LOCKED, FAILED = "stored", "locked", "failed"

_log = logging.getLogger("agentops_otel.store")


class LocalStoreExporter(SpanExporter):
    """Write finished spans to the store at `path` (default: AGENTOPS_OTEL_STORE_PATH or .agentops/traces.db).

    The file is opened on the first export, so constructing the exporter never touches the disk.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> None:
        self.path = store_path(path)
        self.busy_timeout_s = busy_timeout_s  # how long one write waits for another process's lock
        self.exported_spans = 0
        self.failed_spans = 0
        self._store: LocalStore | None = None
        self._lock = threading.Lock()
        self._is_shutdown = False
        self._last_error: str | None = None

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        if self._is_shutdown:
            self._fail(len(spans), "the exporter was shut down")
            return SpanExportResult.FAILURE
        try:
            records = [from_readable_span(span) for span in spans]
        except Exception as exc:  # telemetry never raises into the application
            self._fail(len(spans), str(exc) or type(exc).__name__)
            internal_error("store spans", _log)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS if self.write(records) == STORED else SpanExportResult.FAILURE

    def write(self, records: list[SpanRecord], *, count_locked: bool = True) -> str:
        """Write records in one transaction: STORED, LOCKED (another process holds the store; nothing
        written, counted as failed unless `count_locked` is false) or FAILED (counted and logged)."""
        with self._lock:
            try:
                # The store's own sqlite calls must not be traced (sqlite3 instrumentation, if any).
                with suppress_instrumentation():
                    if self._store is None:
                        self._store = LocalStore(self.path, busy_timeout_s=self.busy_timeout_s)
                    self._store.write(records)
            except StoreLocked as exc:
                if count_locked:
                    self._fail(len(records), str(exc))
                return LOCKED
            except (StoreError, OSError, sqlite3.Error) as exc:  # the file or the disk: counted and logged
                self._fail(len(records), str(exc) or type(exc).__name__)
                return FAILED
            except Exception as exc:  # telemetry never raises into the application
                self._fail(len(records), str(exc) or type(exc).__name__)
                internal_error("store spans", _log)
                return FAILED
            self.exported_spans += len(records)
            return STORED

    def close(self) -> None:
        """Close the file; a later `write` opens it again."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _fail(self, count: int, reason: str) -> None:
        self.failed_spans += count
        # One error line per distinct cause, not one per batch.
        level = logging.DEBUG if reason == self._last_error else logging.ERROR
        self._last_error = reason
        _log.log(level, "could not store %d span(s) in %s: %s", count, self.path, reason)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True  # nothing is buffered here: every export has committed before it returned

    def shutdown(self) -> None:
        if self._is_shutdown:
            return
        self._is_shutdown = True
        self.close()
        if self.failed_spans:
            _log.warning("%d span(s) could not be stored in %s (see earlier errors)", self.failed_spans, self.path)
