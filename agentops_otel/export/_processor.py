"""ReliableExportProcessor: OTLP export that never blocks the agent and never loses a span silently.

The caller's thread only appends the ended span to an in-memory queue (a few hundred nanoseconds),
bounded in encoded bytes; one worker thread encodes batches that fit the receiver (by span count and
by bytes), sends them with a `Transport`, and when the backend is unreachable, slow or answers
429/5xx, keeps them and retries them oldest first with exponential backoff (or the server's
Retry-After). Batches the receiver refuses as too large are split; spans too large for any batch are
cut down with a marker (`_batches`). Waiting batches go to the disk spool (on by default beside the
local store), where they survive the process and are sent by the next run, else stay in memory.

Exit is bounded: `shutdown()` finishes by the exit deadline whatever the backend does. What the
worker has not sent by then (a hanging request included) is put in the spool by the caller's
thread, or counted. Every span that is not delivered is counted by reason (`DeliveryStats`) and
reported in one log line.
"""

from __future__ import annotations

import logging
import os
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
from ._batches import pack
from ._delivery import Batch, Delivery
from ._settings import DEFAULT_MAX_BATCH_BYTES, PROTOCOL_GRPC, PROTOCOL_HTTP, QueueSettings, exit_timeout_s
from ._spool import DiskSpool
from ._stats import AFTER_SHUTDOWN, ENCODE_ERROR, QUEUE_FULL, SPOOL_FULL, DeliveryStats
from ._transport import GrpcTransport, Transport

_log = logging.getLogger("agentops_otel")

_FIRST_GUESS_SPAN_BYTES = 1024.0  # until the first batch is encoded


class ReliableExportProcessor(SpanProcessor):
    def __init__(
        self,
        transport: Transport,
        queue: QueueSettings | None = None,
        *,
        meter_provider: MeterProvider | None = None,
        initial_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        exit_timeout: float | None = None,
    ) -> None:
        self._settings = queue or QueueSettings()
        self._max_bytes, self._max_spans = self._settings.max_queue_bytes, self._settings.max_queue_size
        self._exit_timeout_s = exit_timeout if exit_timeout is not None else exit_timeout_s()
        protocol = PROTOCOL_GRPC if isinstance(transport, GrpcTransport) else PROTOCOL_HTTP
        self.stats = DeliveryStats(transport.endpoint, meter_provider)
        self._delivery = Delivery(
            transport,
            self.stats,
            self._open_spool(),
            self._settings.max_batch_bytes or DEFAULT_MAX_BATCH_BYTES[protocol],
            initial_backoff_s=initial_backoff_s,
            max_backoff_s=max_backoff_s,
        )
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
        self._delivery.reset()
        self._queue: deque[ReadableSpan] = deque()
        self._in_hand: list[Batch] = []  # encoded, taken by the worker, not yet delivered or kept
        self._in_hand_spans: list[ReadableSpan] = []  # taken from the queue, not yet encoded
        self._held_bytes = 0.0  # encoded bytes in the worker's hand (what waits in memory is the delivery's)
        self._held_spans = 0
        self._span_bytes = _FIRST_GUESS_SPAN_BYTES  # running mean of an encoded span's size
        self._wake_at = self._settings.max_batch_size
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._flush_requested = self._flush_done = 0
        self._stopping = False
        self._worker = threading.Thread(target=self._run, name="agentops-otel-otlp-export", daemon=True)
        self._worker.start()

    # -- the caller's side: must stay cheap and never raise ------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self._closed:
            self._after_shutdown(span)
            return
        if not span.context.trace_flags.sampled:
            return
        queue, delivery = self._queue, self._delivery
        # Read without a lock: the bound can be exceeded by one span per concurrent caller thread.
        if len(queue) * self._span_bytes + self._held_bytes + delivery.waiting_bytes >= self._max_bytes or (
            self._max_spans is not None and len(queue) + self._held_spans + delivery.waiting_spans >= self._max_spans
        ):
            self.stats.record_dropped(1, QUEUE_FULL)
            return
        queue.append(span)
        if len(queue) == self._wake_at:
            self._wake.set()

    @property
    def memory_bytes(self) -> float:
        """Encoded bytes held in memory now (queued spans at their mean encoded size): the bounded figure."""
        return len(self._queue) * self._span_bytes + self._held_bytes + self._delivery.waiting_bytes

    def request_flush(self) -> None:
        """Send what is queued soon, without waiting for it (a session ended in a worker process)."""
        with self._flushed:
            self._flush_requested += 1
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
        return done and not self._queue and not self._held_spans and not self._delivery.waiting

    def shutdown(self, timeout_millis: float | None = None) -> None:
        """Deliver what is left within the exit deadline (`timeout_millis`, else AGENTOPS_OTEL_EXIT_TIMEOUT
        or the OTLP timeout); then whatever is still unsent goes to the spool, or is counted."""
        if self._closed:
            return
        timeout_s = self._exit_timeout_s if timeout_millis is None else timeout_millis / 1000
        deadline = time.monotonic() + timeout_s
        # Keep back a little of the time to put what the worker could not send into the spool.
        self._delivery.deadline = deadline - min(1.0, timeout_s / 10)
        self._stopping = True
        self._wake.set()
        self._worker.join(max(self._delivery.deadline - time.monotonic(), 0.0))
        self._closed = True
        if self._worker.is_alive():  # stuck in a request to a backend that does not answer
            self._take_over()
        try:
            self._delivery.transport.close()
        except Exception:  # closing a broken connection must not break the exit
            _log.debug("closing the OTLP transport failed", exc_info=True)
        self._report()

    def _take_over(self) -> None:
        delivery = self._delivery
        with delivery.lock:
            delivery.taken_over = True
            spans = self._in_hand_spans + [self._queue.popleft() for _ in range(len(self._queue))]
            batches = self._in_hand + delivery.take_waiting() + self._encode(spans)
            self._in_hand, self._in_hand_spans = [], []
            for batch in batches:  # to the spool, else (and when it is full) counted below
                delivery.park(batch)
            delivery.give_up_waiting()

    def _after_shutdown(self, span: ReadableSpan) -> None:
        """A span ended after shutdown (e.g. by an exit hook that ran after ours): to the spool, else counted."""
        delivery = self._delivery
        if delivery.spool is None:
            self.stats.record_dropped(1, AFTER_SHUTDOWN)
            return
        with delivery.lock:
            for batch in self._encode([span]):
                if delivery.spool.put(batch.payload, batch.count):
                    self.stats.record_spooled(batch.count)
                else:
                    self.stats.record_dropped(batch.count, AFTER_SHUTDOWN)
        delivery.log_once(
            AFTER_SHUTDOWN, "spans ended after shutdown wait in %s for the next run", delivery.spool.directory
        )

    # -- the worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._delivery.idle_wait(self._settings.schedule_delay_s))
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

    def _cycle(self, flush: bool, *, backlog: bool = True) -> None:
        """Retry what waits (oldest first), then encode and send what is queued."""
        delivery = self._delivery
        healthy = delivery.may_send(flush) and delivery.send_waiting()
        if backlog:
            healthy = healthy and delivery.send_spooled()
        for _ in range(-(-len(self._queue) // self._settings.max_batch_size)):  # what is queued now
            batches = self._take_batch()
            for batch in batches:
                left, refused = delivery.deliver(batch) if healthy else ([batch], [])
                with delivery.lock:
                    if delivery.taken_over:
                        return
                    delivery.refuse(refused)
                    healthy = healthy and not left
                    for part in left:
                        delivery.park(part)
                    self._in_hand.remove(batch)
                    self._held_bytes -= len(batch.payload)
                    self._held_spans -= batch.count

    def _finish(self) -> None:
        """At shutdown: this run's spans get one last attempt within the deadline (even while backing off,
        unless the server asked us to wait; earlier runs' spooled batches wait for the next run); the
        rest go to the spool, or are counted."""
        self._cycle(flush=True, backlog=False)
        with self._delivery.lock:
            if not self._delivery.taken_over:
                self._delivery.give_up_waiting()

    def _take_batch(self) -> list[Batch]:
        """Up to one batch's worth of spans from the queue, encoded into batches that fit the receiver."""
        queue, delivery = self._queue, self._delivery
        with delivery.lock:
            take = min(self._settings.max_batch_size, len(queue))
            self._held_spans += take
            self._held_bytes += take * self._span_bytes
            self._in_hand_spans = [queue.popleft() for _ in range(take)]
        spans = self._in_hand_spans
        batches = self._encode(spans)
        with delivery.lock:
            self._held_bytes -= len(spans) * self._span_bytes
            self._held_spans -= len(spans)
            encoded = sum(len(batch.payload) for batch in batches)
            if spans and encoded:
                self._span_bytes = 0.8 * self._span_bytes + 0.2 * encoded / len(spans)
                self._wake_at = max(1, min(self._settings.max_batch_size, int(delivery.batch_bytes / self._span_bytes)))
            self._held_bytes += encoded
            self._held_spans += sum(batch.count for batch in batches)
            self._in_hand_spans = []
            self._in_hand = batches
        return list(batches)

    def _encode(self, spans: Sequence[ReadableSpan]) -> list[Batch]:
        if not spans:
            return []
        try:
            packed = pack(encode_spans(spans), self._delivery.batch_bytes)
        except Exception as error:
            _log.warning("agentops_otel: could not encode %d spans for OTLP: %s", len(spans), error)
            self.stats.record_dropped(len(spans), ENCODE_ERROR)
            return []
        self._delivery.count_packing(packed)
        return [Batch(payload, count) for payload, count in packed.parts]

    # -- the one line at exit ----------------------------------------------------------------------

    def _report(self) -> None:
        """Say what did not reach the backend, and why."""
        stats, spool = self.stats, self._delivery.spool
        spooled = spool.pending_spans() if spool is not None else 0
        if not stats.dropped_total and not spooled:
            return
        parts = []
        if stats.dropped_total:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(stats.dropped.items()))
            kept = f"; {stats.quarantined} of them kept in {spool.directory}/quarantine" if stats.quarantined else ""  # type: ignore[union-attr]
            parts.append(f"{stats.dropped_total} spans were not delivered ({reasons}){kept}")
        if spooled:
            parts.append(f"{spooled} spans wait in {spool.directory} for the next run")  # type: ignore[union-attr]
        hint = ""
        if stats.dropped_total and spool is None:
            hint = "; AGENTOPS_OTEL_SPOOL=false keeps undelivered spans in memory only: remove it to keep them on disk"
        elif stats.dropped.get(SPOOL_FULL):
            hint = f"; the spool {spool.directory} was full or not writable (AGENTOPS_OTEL_SPOOL_MAX_BYTES)"  # type: ignore[union-attr]
        last = f" (last error: {stats.last_error})" if stats.last_error else ""
        endpoint = self._delivery.transport.endpoint
        _log.warning("agentops_otel: OTLP export to %s: %s%s%s", endpoint, "; ".join(parts), last, hint)
