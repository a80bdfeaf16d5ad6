"""LocalStoreProcessor: hands ended spans to the local store without losing any.

The SDK's BatchSpanProcessor drops spans when its queue is full. The store is a file on this machine,
so instead of dropping we apply back-pressure: a worker thread writes batches in the background, and
when the queue is full the thread that ended the span writes a batch itself. Memory stays bounded,
the application only waits when it outruns the disk, and every span handed to us reaches the store
(or is counted and logged by the exporter if the disk refuses it).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from .. import semconv as sc
from .._internal import internal_error
from ._exporter import LocalStoreExporter

MAX_QUEUE = 8_192
BATCH = 512
DELAY_S = 0.2


class LocalStoreProcessor(SpanProcessor):
    def __init__(self, exporter: LocalStoreExporter, *, max_queue: int = MAX_QUEUE, batch: int = BATCH) -> None:
        if max_queue < 1 or batch < 1:
            raise ValueError("max_queue and batch must be >= 1")
        self.exporter = exporter
        self.backpressure_writes = 0  # how often the application wrote a batch itself (queue full)
        self._max_queue, self._batch = max_queue, batch
        self._queue: deque[ReadableSpan] = deque()
        self._write_lock = threading.Lock()  # one writer at a time keeps batches in order
        self._wake = threading.Event()
        self._stopped = False
        self._start_worker()
        if hasattr(os, "register_at_fork"):  # a forked child gets a worker of its own
            ref = weakref.WeakMethod(self._start_worker)
            os.register_at_fork(after_in_child=lambda: (method := ref()) and method())

    def _start_worker(self) -> None:
        self._worker = threading.Thread(target=self._run, name="agentops-otel-store", daemon=True)
        self._worker.start()

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        # A session root is written when it starts too (as open), so a running session is listed with
        # its name and tags; its ended copy replaces that row.
        if not self._stopped and span.attributes.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION:
            self._queue.append(span)

    def on_end(self, span: ReadableSpan) -> None:
        if self._stopped:
            self.exporter.export([span])  # counted as failed by the exporter after shutdown
            return
        self._queue.append(span)
        size = len(self._queue)
        if size >= self._max_queue:
            self.backpressure_writes += 1
            self._write_some()
        elif size >= self._batch:
            self._wake.set()

    def _drain(self, limit: int) -> list[ReadableSpan]:
        batch: list[ReadableSpan] = []
        try:
            while len(batch) < limit:
                batch.append(self._queue.popleft())
        except IndexError:
            pass
        return batch

    def _write_some(self) -> None:
        with self._write_lock:
            batch = self._drain(self._batch)
            if batch:
                self.exporter.export(batch)

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(DELAY_S)
            self._wake.clear()
            try:
                while self._queue:
                    self._write_some()
            except Exception:  # a bug of ours must not kill the worker and strand the queue
                internal_error("run the local store writer")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        while self._queue:
            self._write_some()
        return True

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._wake.set()
        self._worker.join(timeout=5)
        self.force_flush()
        self.exporter.shutdown()
