"""ReliableExportProcessor: OTLP export that never blocks the agent and never loses a span silently.

The caller's thread only appends the ended span to a bounded in-memory queue (a few hundred
nanoseconds); one worker thread encodes batches, sends them with a `Transport`, and when the
backend is unreachable, slow or answers 429/5xx, keeps the encoded batches waiting and retries them
oldest first with exponential backoff (or the server's Retry-After). Waiting batches live in memory,
counted against the queue bound, or, with a spool directory, on disk, where they survive the process
and are sent by the next run. Every span that cannot be delivered is counted by reason (see
`DeliveryStats`) and reported in one log line at shutdown.

Unlike the SDK's BatchSpanProcessor, a full queue is counted and reported, not dropped silently, and
a failed batch is kept for the next attempt instead of being discarded after one export call.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from .._internal import internal_error
from ._settings import QueueSettings
from ._spool import DiskSpool
from ._stats import (
    AFTER_SHUTDOWN,
    NOT_DELIVERED_AT_EXIT,
    QUEUE_FULL,
    REJECTED,
    SPOOL_FULL,
    DeliveryStats,
)
from ._transport import SendOutcome, Transport

_log = logging.getLogger("agentops_otel")

_MAX_RETRY_AFTER_S = 600.0  # a server asking for more than this is probably wrong; try again sooner
_SHUTDOWN_JOIN_S = 60.0


class ReliableExportProcessor(SpanProcessor):
    def __init__(
        self,
        transport: Transport,
        queue: QueueSettings | None = None,
        *,
        meter_provider: MeterProvider | None = None,
        initial_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self._transport = transport
        self._settings = queue or QueueSettings()
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self.stats = DeliveryStats(transport.endpoint, meter_provider)
        self._spool = self._open_spool()
        self._closed = False
        self._start()
        weak_self = weakref.ref(self)

        def restart_in_child() -> None:
            processor = weak_self()
            if processor is not None and not processor._closed:
                processor._start()

        os.register_at_fork(after_in_child=restart_in_child)

    def _open_spool(self) -> DiskSpool | None:
        if self._settings.spool_dir is None:
            return None
        try:
            return DiskSpool(self._settings.spool_dir, self._settings.spool_max_bytes)
        except OSError as error:
            _log.warning(
                "cannot use the OTLP spool directory %s (%s); waiting spans stay in memory",
                self._settings.spool_dir,
                error,
            )
            return None

    def _start(self) -> None:
        """(Re)initialise the per-process state; also runs in a forked child, whose worker is gone."""
        self._queue: deque[ReadableSpan] = deque()
        self._waiting: deque[tuple[bytes, int]] = deque()  # encoded batches, oldest first (no spool)
        self._waiting_spans = 0
        self._in_hand = 0  # spans the worker took from the queue and has not yet delivered or parked
        self._spool_has_batches = self._spool is not None
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._flush_requested = self._flush_done = 0
        self._stopping = False
        self._failures = 0
        self._retry_at = 0.0  # time.monotonic() before which we do not try the backend again
        self._server_asked_wait = False
        self._logged_errors: set[str] = set()
        self._worker = threading.Thread(target=self._run, name="agentops-otel-otlp-export", daemon=True)
        self._worker.start()

    # -- the caller's side: must stay cheap and never raise ------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self._closed:
            self.stats.record_dropped(1, AFTER_SHUTDOWN)
            return
        if not span.context.trace_flags.sampled:
            return
        queue = self._queue
        # Read in the reverse order of the worker's updates, so a span in transit is never missed.
        # Without a lock the bound can be exceeded by one span per concurrent caller thread.
        if len(queue) + self._in_hand + self._waiting_spans >= self._settings.max_queue_size:
            self.stats.record_dropped(1, QUEUE_FULL)
            return
        queue.append(span)
        if len(queue) == self._settings.max_batch_size:
            self._wake.set()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send what is queued now (one attempt even while backing off, unless the server asked us
        to wait). True when nothing is left waiting in memory: delivered, or safe in the spool."""
        if self._closed:
            return True
        with self._flushed:
            self._flush_requested += 1
            target = self._flush_requested
        self._wake.set()
        with self._flushed:
            done = self._flushed.wait_for(lambda: self._flush_done >= target, timeout_millis / 1000)
        return done and not self._queue and not self._waiting

    def shutdown(self) -> None:
        if self._closed:
            return
        self._stopping = True
        self._wake.set()
        self._worker.join(_SHUTDOWN_JOIN_S)
        self._closed = True
        stuck = len(self._queue) + self._in_hand + self._waiting_spans  # only when the worker did not finish in time
        self.stats.record_dropped(stuck, NOT_DELIVERED_AT_EXIT)
        try:
            self._transport.close()
        except Exception:  # closing a broken connection must not break the exit
            _log.debug("closing the OTLP transport failed", exc_info=True)
        self._report()

    # -- the worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._idle_wait())
            self._wake.clear()
            stopping = self._stopping
            target = self._flush_requested
            try:
                if stopping:
                    self._finish()
                else:
                    self._cycle(flush=target > self._flush_done)
            except Exception:  # a bug of ours must not kill the worker and strand the queue
                internal_error("run the OTLP export worker")
            with self._flushed:
                self._flush_done = target
                self._flushed.notify_all()
            if stopping:
                return

    def _idle_wait(self) -> float:
        wait = self._settings.schedule_delay_s
        if self._waiting or self._spool_has_batches:
            wait = min(wait, max(self._retry_at - time.monotonic(), 0.0))
        return wait

    def _may_send(self, flush: bool) -> bool:
        return time.monotonic() >= self._retry_at or (flush and not self._server_asked_wait)

    def _cycle(self, flush: bool) -> None:
        """Retry what waits (oldest first), then encode and send what is queued."""
        healthy = self._may_send(flush) and self._send_waiting()
        for spans in self._take_batches():
            payload = self._encode(spans)
            if payload is not None and (not healthy or self._attempt(payload, len(spans)) is False):
                healthy = False
                self._keep_waiting(payload, len(spans))
            self._in_hand -= len(spans)  # after _keep_waiting counted them, so the bound never dips

    def _finish(self) -> None:
        """At shutdown: one last delivery round unless backing off; then spool or count the rest."""
        self._cycle(flush=False)
        while self._waiting:
            _, count = self._waiting.popleft()
            self._waiting_spans -= count
            self.stats.record_dropped(count, NOT_DELIVERED_AT_EXIT)

    def _take_batches(self) -> list[list[ReadableSpan]]:
        size, queue = self._settings.max_batch_size, self._queue
        batches: list[list[ReadableSpan]] = []
        remaining = len(queue)  # spans appended while we work wait for the next cycle
        self._in_hand = remaining
        while remaining:
            take = min(size, remaining)
            batches.append([queue.popleft() for _ in range(take)])
            remaining -= take
        return batches

    def _encode(self, spans: Sequence[ReadableSpan]) -> bytes | None:
        try:
            return encode_spans(spans).SerializeToString()
        except Exception as error:
            _log.warning("agentops_otel: could not encode %d spans for OTLP: %s", len(spans), error)
            self.stats.record_dropped(len(spans), "encode_error")
            return None

    def _send_waiting(self) -> bool:
        """Deliver waiting batches oldest first; False as soon as the backend fails again."""
        while self._waiting:
            payload, count = self._waiting[0]
            if self._attempt(payload, count) is False:
                return False
            self._waiting.popleft()
            self._waiting_spans -= count
        while self._spool is not None and self._spool_has_batches:
            batch = self._spool.claim_oldest()
            if batch is None:
                self._spool_has_batches = False
                break
            if self._attempt(batch.payload, batch.span_count) is False:
                self._spool.release(batch)
                return False
            self._spool.delivered(batch)
        return True

    def _keep_waiting(self, payload: bytes, count: int) -> None:
        if self._spool is None:
            self._waiting.append((payload, count))
            self._waiting_spans += count
        elif self._spool.put(payload, count):
            self._spool_has_batches = True
            self.stats.record_spooled(count)
        else:
            self.stats.record_dropped(count, SPOOL_FULL)

    def _attempt(self, payload: bytes, count: int) -> bool | None:
        """One send. True: delivered; False: retry later; None: the backend refused it for good."""
        try:
            outcome = self._transport.send(payload)
        except Exception as error:  # a transport bug: do not retry a batch that makes it crash
            outcome = SendOutcome(False, error_type=type(error).__name__, detail=repr(error))
            internal_error("send a batch over OTLP")
        if outcome.delivered:
            if self._failures:
                _log.info("agentops_otel: OTLP export to %s works again", self._transport.endpoint)
            self._failures, self._retry_at, self._server_asked_wait = 0, 0.0, False
            self.stats.record_delivered(count - outcome.rejected_spans)
            if outcome.rejected_spans:
                self._log_once(
                    REJECTED, "the OTLP backend rejected %d spans: %s", outcome.rejected_spans, outcome.detail
                )
                self.stats.record_dropped(outcome.rejected_spans, REJECTED)
            return True
        self.stats.note_error(outcome.detail)
        if not outcome.retryable:
            self._log_once(
                outcome.error_type,
                "the OTLP backend at %s refused %d spans (not retried): %s",
                self._transport.endpoint,
                count,
                outcome.detail,
            )
            self.stats.record_dropped(count, outcome.error_type)
            return None
        self._failures += 1
        if outcome.retry_after_s is not None:
            delay = min(outcome.retry_after_s, _MAX_RETRY_AFTER_S)
        else:
            backoff = min(self._max_backoff_s, self._initial_backoff_s * 2 ** (self._failures - 1))
            delay = backoff * random.uniform(0.8, 1.0)
        self._retry_at = time.monotonic() + delay
        self._server_asked_wait = outcome.retry_after_s is not None
        if self._failures == 1:
            where = f"in {self._spool.directory}" if self._spool else "in memory"
            _log.warning(
                "agentops_otel: OTLP export to %s failed (%s); spans wait %s and are retried",
                self._transport.endpoint,
                outcome.detail,
                where,
            )
        return False

    def _log_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._logged_errors:
            self._logged_errors.add(key)
            _log.warning("agentops_otel: " + message, *args)

    def _report(self) -> None:
        """The one line at exit that says what did not reach the backend, and why."""
        stats = self.stats
        spooled = self._spool.pending_spans() if self._spool is not None else 0
        if not stats.dropped_total and not spooled:
            return
        parts = []
        if stats.dropped_total:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(stats.dropped.items()))
            parts.append(f"{stats.dropped_total} spans were not delivered ({reasons})")
        if spooled:
            parts.append(f"{spooled} spans wait in {self._spool.directory} for the next run")  # type: ignore[union-attr]
        hint = ""
        if stats.dropped_total and self._spool is None:
            hint = "; set AGENTOPS_OTEL_SPOOL_DIR to keep undelivered spans on disk for the next run"
        last = f" (last error: {stats.last_error})" if stats.last_error else ""
        _log.warning("agentops_otel: OTLP export to %s: %s%s%s", self._transport.endpoint, "; ".join(parts), last, hint)
