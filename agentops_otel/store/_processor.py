"""LocalStoreProcessor: hands ended spans to the local store, never dropping one and never making the
application wait.

The thread that ends a span only appends it to a queue. One worker thread writes batches, and waits
for another process's lock on the store at most `WRITE_WAIT_S` per attempt. While the store stays
locked (a `BEGIN EXCLUSIVE` elsewhere, a long reader checkpoint), spans wait in memory up to
`max_memory` spans, then go to files beside the store (`_spill`); once the lock clears, the spilled
files are written first, then what waits in memory, so a process's spans reach the store in the order
they ended. At shutdown the worker writes what is left within the exit deadline (waiting at most
`EXIT_LOCK_WAIT_S` for a lock); what a lock still keeps out is spilled, and the next run writes it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import deque
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from .. import semconv as sc
from .._internal import internal_error
from ..model import SpanRecord, from_readable_span
from ._exporter import LOCKED, STORED, LocalStoreExporter
from ._spill import Spill

_log = logging.getLogger("agentops_otel.store")

MAX_MEMORY = 8_192  # spans held in memory while the store is locked, before they go to the spill
BATCH = 512
DELAY_S = 0.2
WRITE_WAIT_S = 0.25  # one write waits this long for another process's lock, then tries again later
EXIT_LOCK_WAIT_S = 2.0  # at exit, a locked store is waited for this long, then the rest is spilled
DEFAULT_EXIT_TIMEOUT_S = 10.0


class LocalStoreProcessor(SpanProcessor):
    def __init__(self, exporter: LocalStoreExporter, *, max_memory: int = MAX_MEMORY, batch: int = BATCH) -> None:
        if max_memory < 1 or batch < 1:
            raise ValueError("max_memory and batch must be >= 1")
        exporter.busy_timeout_s = min(exporter.busy_timeout_s, WRITE_WAIT_S)
        self.exporter = exporter
        self.spill = Spill(exporter.path)
        self.spilled_spans = 0  # spans this process had to put in the spill (the store was locked)
        self._max_memory, self._batch = max_memory, batch
        self._stopped = False
        self._start()
        if hasattr(os, "register_at_fork"):  # a forked child gets a worker (and a queue) of its own
            ref = weakref.WeakMethod(self._start)
            os.register_at_fork(after_in_child=lambda: (method := ref()) and method(in_child=True))

    def _start(self, *, in_child: bool = False) -> None:
        if in_child and self._stopped:
            return
        self._queue: deque[ReadableSpan] = deque()
        self._held: deque[list[SpanRecord]] = deque()  # taken from the queue, not yet in the store
        self._held_spans = 0
        self._spill_waiting: bool | None = None  # unknown until the worker first looks
        self._locked_since: float | None = None
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._flush_requested = self._flush_done = 0
        self._all_written = True
        self._deadline = 0.0
        self._stopping = False
        self._worker = threading.Thread(target=self._run, name="agentops-otel-store", daemon=True)
        self._worker.start()

    # -- the application's side: append only ---------------------------------------------------

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        # A session root is written when it starts too (as open), so a running session is listed with
        # its name and tags; its ended copy replaces that row.
        if not self._stopped and span.attributes.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION:
            self._queue.append(span)

    def on_end(self, span: ReadableSpan) -> None:
        if self._stopped:
            self._write_late(span)
            return
        self._queue.append(span)
        if len(self._queue) == self._batch:
            self._wake.set()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Have the worker write what is queued now; True when all of it is in the store (False while
        another process holds the store locked: the spans wait, in memory or spilled)."""
        if self._stopped:
            return True
        with self._flushed:
            self._flush_requested += 1
            target = self._flush_requested
        self._wake.set()
        with self._flushed:
            done = self._flushed.wait_for(lambda: self._flush_done >= target, timeout_millis / 1000)
        return done and self._all_written

    def request_flush(self) -> None:
        self._wake.set()

    def shutdown(self, timeout_millis: float | None = None) -> None:
        if self._stopped:
            return
        timeout_s = DEFAULT_EXIT_TIMEOUT_S if timeout_millis is None else timeout_millis / 1000
        self._deadline = time.monotonic() + timeout_s
        self._stopping = True
        self._wake.set()
        self._worker.join(timeout_s)
        self._stopped = True
        if self._worker.is_alive():
            _log.error(
                "agentops_otel: %d spans were not written to %s within the exit deadline (%.1f s)",
                len(self._queue) + self._held_spans,
                self.exporter.path,
                timeout_s,
            )
        self.exporter.shutdown()
        waiting = self.spill.pending_spans() if self.spilled_spans else 0
        if waiting:
            _log.warning(
                "agentops_otel: %d spans wait in %s: another process held %s locked; the next run writes them",
                waiting,
                self.spill.directory,
                self.exporter.path,
            )

    def _write_late(self, span: ReadableSpan) -> None:
        """A span ended after shutdown (an exit hook that ran after ours): written at once, else spilled."""
        records = self._records([span])
        if records and self.exporter.write(records, count_locked=False) == LOCKED:
            self._spill_or_count([records])

    # -- the worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(WRITE_WAIT_S if self._locked_since is not None else DELAY_S)
            self._wake.clear()
            stopping, target = self._stopping, self._flush_requested
            try:
                if stopping:
                    self._finish()
                else:
                    self._all_written = self._write_all()
            except Exception:  # a bug of ours must not kill the worker and strand the queue
                internal_error("run the local store writer")
            with self._flushed:
                self._flush_done = target
                self._flushed.notify_all()
            if stopping:
                return

    def _write_all(self) -> bool:
        """Spilled files first, then what is held, then the queue; False while the store is locked."""
        if self._spill_waiting is not False and not self._write_spilled():
            return self._locked()
        while self._held or self._queue:
            if not self._held:
                self._take()
                continue
            if self.exporter.write(self._held[0], count_locked=False) == LOCKED:
                return self._locked()
            self._held_spans -= len(self._held.popleft())  # stored, or failed and counted by the exporter
        if self._locked_since is not None:
            _log.info("agentops_otel: %s is writable again", self.exporter.path)
        self._locked_since = None
        return True

    def _take(self) -> None:
        spans = [self._queue.popleft() for _ in range(min(self._batch, len(self._queue)))]
        records = self._records(spans)
        if records:
            self._held.append(records)
            self._held_spans += len(records)

    def _records(self, spans: list[ReadableSpan]) -> list[SpanRecord]:
        try:
            return [from_readable_span(span) for span in spans]
        except Exception:  # one span we cannot read must not strand the others
            records = []
            for span in spans:
                try:
                    records.append(from_readable_span(span))
                except Exception:
                    self.exporter.failed_spans += 1
                    internal_error("read a span for the local store", _log)
            return records

    def _write_spilled(self) -> bool:
        while (found := self.spill.claim_oldest()) is not None:
            claimed, records = found
            outcome = self.exporter.write(records, count_locked=False)
            if outcome == LOCKED:
                self.spill.release(claimed)
                return False
            if outcome == STORED:
                self.spill.done(claimed)
            else:  # the store refused them (counted and logged by the exporter): kept aside for a person
                self.spill.quarantine(claimed, f"{self.exporter.path} refused these spans; see the log")
        self._spill_waiting = False
        return True

    def _locked(self) -> bool:
        if self._locked_since is None:
            self._locked_since = time.monotonic()
            _log.warning(
                "agentops_otel: %s is locked by another process; spans wait in memory, then in %s",
                self.exporter.path,
                self.spill.directory,
            )
        if self._held_spans + len(self._queue) > self._max_memory:
            self._spill_everything()
        return False

    def _spill_everything(self) -> None:
        while self._queue:
            self._take()
        batches = list(self._held)
        self._held.clear()
        self._held_spans = 0
        self._spill_or_count(batches)

    def _spill_or_count(self, batches: list[list[SpanRecord]]) -> None:
        for records in batches:
            if self.spill.put(records):
                self.spilled_spans += len(records)
                self._spill_waiting = True
            else:  # the disk refused the spill too: the one way a span is lost, counted and logged
                self.exporter.failed_spans += len(records)
                _log.error(
                    "agentops_otel: %d spans could not be stored or spilled to %s", len(records), self.spill.directory
                )

    def _finish(self) -> None:
        """Write what is left by the deadline, waiting a little for a lock; spill what it keeps out."""
        give_up_at = min(self._deadline, time.monotonic() + EXIT_LOCK_WAIT_S) - WRITE_WAIT_S
        while not self._write_all():
            if time.monotonic() >= give_up_at:
                self._spill_everything()
                return
            time.sleep(WRITE_WAIT_S / 2)
