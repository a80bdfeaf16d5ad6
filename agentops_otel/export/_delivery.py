"""Delivery of encoded batches: one attempt at a time, backoff, splitting what the receiver finds too
large, and the backlog of batches that could not go yet (in memory, or in the disk spool).

Runs on the export worker; at exit the caller's thread may take the backlog over (`lock`,
`taken_over`), so every change to what is held happens under the lock and never while sending.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .._internal import internal_error
from ._batches import SMALLEST_TRUNCATION, Packed, halves, span_count
from ._spool import DiskSpool, SpooledBatch
from ._stats import NOT_DELIVERED_AT_EXIT, REJECTED, SPOOL_FULL, TOO_LARGE, UNDELIVERABLE, UNREADABLE, DeliveryStats
from ._transport import SendOutcome, Transport

_log = logging.getLogger("agentops_otel")

_MAX_RETRY_AFTER_S = 600.0  # a server asking for more than this is probably wrong; try again sooner
POISON_AFTER = 3  # failures of one batch before we check whether the batches behind it get through
_MIN_BATCH_BYTES = 64 * 1024
_LAST_ATTEMPT_S = 0.05  # less time than this before the exit deadline: do not start another attempt


def _is_request(payload: bytes) -> bool:
    try:
        return span_count(ExportTraceServiceRequest.FromString(payload)) > 0
    except DecodeError:
        return False


@dataclass(eq=False)
class Batch:
    payload: bytes
    count: int
    failures: int = 0


Refused = list[tuple[Batch, SendOutcome]]


class Delivery:
    def __init__(
        self,
        transport: Transport,
        stats: DeliveryStats,
        spool: DiskSpool | None,
        batch_bytes: int,
        *,
        initial_backoff_s: float,
        max_backoff_s: float,
    ) -> None:
        self.transport = transport
        self.stats = stats
        self.spool = spool
        self.batch_bytes = batch_bytes  # lowered when the receiver refuses a batch for its size
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self.reset()

    def reset(self) -> None:
        """Per-process state (also in a forked child)."""
        self.lock = threading.Lock()
        self.taken_over = False  # the caller's thread took the backlog at exit: the worker lets go
        self.deadline: float | None = None  # time.monotonic() by which the exit flush must be done
        self.waiting: deque[Batch] = deque()  # in memory, oldest first: no spool, or it refused them
        self.waiting_bytes = self.waiting_spans = 0
        self.spool_has_batches = self.spool is not None and self.spool.has_batches()
        self._failures = 0
        self.retry_at = 0.0  # time.monotonic() before which we do not try the backend again
        self._server_asked_wait = False
        self._logged: set[str] = set()

    # -- when to send --------------------------------------------------------------------------

    def may_send(self, flush: bool) -> bool:
        return time.monotonic() >= self.retry_at or (flush and not self._server_asked_wait)

    def idle_wait(self, default: float) -> float:
        if self.waiting or self.spool_has_batches:
            return min(default, max(self.retry_at - time.monotonic(), 0.0))
        return default

    def _time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    # -- sending -------------------------------------------------------------------------------

    def deliver(self, batch: Batch) -> tuple[list[Batch], Refused]:
        """Send one batch (in parts, when the receiver refuses its size). Returns the parts still to be
        sent, oldest first (the backend failed: retry later), and those it refused for good."""
        work, refused = deque([batch]), []
        while work:
            head = work[0]
            left = self._time_left()
            if self.taken_over or (left is not None and left < _LAST_ATTEMPT_S):
                break
            outcome = self._attempt(head, left)
            if outcome.delivered:
                work.popleft()
            elif outcome.too_large and self._split(head, work):
                continue
            elif outcome.retryable:
                head.failures += 1
                break
            else:
                refused.append((work.popleft(), outcome))
        return list(work), refused

    def _split(self, head: Batch, work: deque[Batch]) -> bool:
        """Replace the refused head of `work` by its halves; False when size cannot be the reason."""
        if head.count == 1 and len(head.payload) < SMALLEST_TRUNCATION:
            return False
        try:
            packed = halves(head.payload)
        except DecodeError:
            return False
        smaller = max(_MIN_BATCH_BYTES, min(self.batch_bytes, len(head.payload) // 2))
        if smaller < self.batch_bytes:
            self.batch_bytes = smaller
            self.log_once(
                "too_large",
                "the OTLP backend at %s refused a batch of %d bytes as too large; sending at most %d bytes a batch "
                "from now on (AGENTOPS_OTEL_MAX_BATCH_BYTES sets it)",
                self.transport.endpoint,
                len(head.payload),
                smaller,
            )
        self.count_packing(packed)
        work.popleft()
        work.extendleft(reversed([Batch(payload, count) for payload, count in packed.parts]))
        return True

    def count_packing(self, packed: Packed) -> None:
        if packed.truncated:
            self.stats.record_truncated(packed.truncated)
            self.log_once(
                "truncated", "cut text values of %d spans to fit the OTLP receiver's size limit", packed.truncated
            )
        if packed.too_large:
            self.stats.record_dropped(packed.too_large, TOO_LARGE)
            self.log_once(TOO_LARGE, "%d spans are too large for the OTLP receiver and were dropped", packed.too_large)

    def _attempt(self, batch: Batch, time_left: float | None) -> SendOutcome:
        timeout = None if time_left is None else max(time_left, _LAST_ATTEMPT_S)
        try:
            outcome = self.transport.send(batch.payload, timeout)
        except Exception as error:  # a transport bug: do not retry a batch that makes it crash
            outcome = SendOutcome(False, error_type=type(error).__name__, detail=repr(error))
            internal_error("send a batch over OTLP")
        if outcome.delivered:
            if self._failures:
                _log.info("agentops_otel: OTLP export to %s works again", self.transport.endpoint)
            self._failures, self.retry_at, self._server_asked_wait = 0, 0.0, False
            self.stats.record_delivered(batch.count - outcome.rejected_spans)
            if outcome.rejected_spans:
                self.log_once(
                    REJECTED, "the OTLP backend rejected %d spans: %s", outcome.rejected_spans, outcome.detail
                )
                self.stats.record_dropped(outcome.rejected_spans, REJECTED)
            return outcome
        self.stats.note_error(outcome.detail)
        if outcome.retryable:
            self._back_off(outcome)
        return outcome

    def _back_off(self, outcome: SendOutcome) -> None:
        self._failures += 1
        if outcome.retry_after_s is not None:
            delay = min(outcome.retry_after_s, _MAX_RETRY_AFTER_S)
        else:
            backoff = min(self._max_backoff_s, self._initial_backoff_s * 2 ** (self._failures - 1))
            delay = backoff * random.uniform(0.8, 1.0)
        self.retry_at = time.monotonic() + delay
        self._server_asked_wait = outcome.retry_after_s is not None
        if self._failures == 1:
            where = f"in {self.spool.directory}" if self.spool else "in memory"
            _log.warning(
                "agentops_otel: OTLP export to %s failed (%s); spans wait %s and are retried",
                self.transport.endpoint,
                outcome.detail,
                where,
            )

    def refuse(self, refused: Refused) -> None:
        for batch, outcome in refused:
            reason = TOO_LARGE if outcome.too_large else outcome.error_type
            self.log_once(
                reason,
                "the OTLP backend at %s refused %d spans (not retried): %s",
                self.transport.endpoint,
                batch.count,
                outcome.detail,
            )
            self.stats.record_dropped(batch.count, reason)

    def log_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._logged:
            self._logged.add(key)
            _log.warning("agentops_otel: " + message, *args)

    # -- the backlog ---------------------------------------------------------------------------

    def _add(self, batch: Batch) -> None:
        self.waiting.append(batch)
        self.waiting_bytes += len(batch.payload)
        self.waiting_spans += batch.count

    def _drop(self, batch: Batch) -> None:
        self.waiting.remove(batch)
        self.waiting_bytes -= len(batch.payload)
        self.waiting_spans -= batch.count

    def _replace(self, batch: Batch, parts: list[Batch]) -> None:
        """`batch` (waiting in memory) becomes what is left of it after an attempt, in its place."""
        at = self.waiting.index(batch)
        self._drop(batch)
        for part in reversed(parts):
            self.waiting.insert(at, part)
            self.waiting_bytes += len(part.payload)
            self.waiting_spans += part.count

    def park(self, batch: Batch) -> None:
        """Keep a batch for a later attempt: in the spool when there is one, else in memory.
        The caller holds the lock."""
        if self.spool is not None:
            if self.spool.put(batch.payload, batch.count):
                self.spool_has_batches = True
                self.stats.record_spooled(batch.count)
                return
            if self.deadline is not None:  # exiting: memory is about to go
                self.stats.record_dropped(batch.count, SPOOL_FULL)
                return
        self._add(batch)

    def take_waiting(self) -> list[Batch]:
        """Everything waiting in memory, oldest first, no longer ours to send (the caller holds the lock)."""
        batches = list(self.waiting)
        self.waiting.clear()
        self.waiting_bytes = self.waiting_spans = 0
        return batches

    def give_up_waiting(self) -> None:
        """At exit without a spool (or a full one): what still waits in memory is counted, not kept."""
        while self.waiting:
            batch = self.waiting[0]
            self._drop(batch)
            self.stats.record_dropped(batch.count, SPOOL_FULL if self.spool is not None else NOT_DELIVERED_AT_EXIT)

    def send_waiting(self) -> bool:
        """Retry the batches waiting in memory, oldest first; False as soon as the backend fails again."""
        while self.waiting:
            head = self.waiting[0]
            left, refused = self.deliver(head)
            with self.lock:
                if self.taken_over:
                    return False
                self.refuse(refused)
                self._replace(head, left)
            if left:
                if not (left == [head] and head.failures >= POISON_AFTER and self._later_one_goes_through()):
                    return False
                with self.lock:  # the backend takes the batches behind it: this one never goes through
                    if self.waiting and self.waiting[0] is head:
                        self._drop(head)
                        self.stats.record_dropped(head.count, UNDELIVERABLE)
        return True

    def _later_one_goes_through(self) -> bool:
        if len(self.waiting) < 2:
            return False
        probe = self.waiting[1]
        left, refused = self.deliver(probe)
        with self.lock:
            if self.taken_over:
                return False
            self.refuse(refused)
            self._replace(probe, left)
        return not left

    def send_spooled(self) -> bool:
        """Send what waits in the spool (this run's and earlier runs'), oldest first."""
        while self.spool is not None and self.spool_has_batches and not self.taken_over:
            batch = self.spool.claim_oldest()
            if batch is None:
                self.spool_has_batches = False
                break
            failures = self._send_one_spooled(batch)
            if failures is None:
                continue
            if failures == batch.failures or failures < POISON_AFTER or not self._spooled_after_goes_through(batch):
                self.spool.release(batch, failed=failures > batch.failures)
                return False
            why = f"failed {failures} times while the batches behind it were delivered"
            where = self.spool.quarantine(batch, why)
            self.stats.record_quarantined(batch.span_count, UNDELIVERABLE)
            self.log_once(UNDELIVERABLE, "a spooled batch of %d spans %s; moved to %s", batch.span_count, why, where)
        return True

    def _spooled_after_goes_through(self, head: SpooledBatch) -> bool:
        assert self.spool is not None
        probe = self.spool.claim_oldest(after=head)
        if probe is None:
            return False
        failures = self._send_one_spooled(probe)
        if failures is None:
            return True
        self.spool.release(probe, failed=failures > probe.failures)
        return False

    def _send_one_spooled(self, batch: SpooledBatch) -> int | None:
        """None when the claimed batch is done with (delivered, split and partly delivered, or moved
        aside); else it failed whole, is still claimed, and this is its count of failures now."""
        spool = self.spool
        assert spool is not None
        if not batch.span_count or not _is_request(batch.payload):
            where = spool.quarantine(batch, "not an OTLP batch written by agentops-otel (damaged or misnamed)")
            self.stats.record_quarantined(batch.span_count, UNREADABLE)
            self.log_once(UNREADABLE, "a spooled file could not be read; moved to %s", where)
            return None
        whole = Batch(batch.payload, batch.span_count, batch.failures)
        left, refused = self.deliver(whole)
        for part, outcome in refused:
            reason = TOO_LARGE if outcome.too_large else outcome.error_type
            if part is whole:
                where = spool.quarantine(batch, f"refused by {self.transport.endpoint}: {outcome.detail}")
                self.stats.record_quarantined(part.count, reason)
                self.log_once(
                    reason, "the OTLP backend refused a spooled batch of %d spans; moved to %s", part.count, where
                )
                return None
            self.refuse([(part, outcome)])
        if left == [whole]:
            return whole.failures
        if not left:
            spool.delivered(batch)
        else:  # on failure replace() releases it whole: its delivered parts may go twice, never lost
            spool.replace(batch, [(part.payload, part.count) for part in left])
        return None
