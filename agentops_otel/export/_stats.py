"""Counts of what the OTLP export delivered, dropped and spooled: in process and as self-metrics.

Metrics go through the OpenTelemetry metrics API (the global MeterProvider unless one is given), so
they cost nothing when the application has no metrics SDK, and land in its backend when it has one.
Names are in semconv/registry/metrics.yaml.
"""

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import urlsplit

from opentelemetry import metrics

from .. import semconv as sc
from .._version import __version__

METRIC_DROPPED = sc.METRIC_AGENTOPS_EXPORT_SPANS_DROPPED  # attributes: error.type (the reason), server.*
METRIC_DELIVERED = sc.METRIC_AGENTOPS_EXPORT_SPANS_DELIVERED
METRIC_SPOOLED = sc.METRIC_AGENTOPS_EXPORT_SPANS_SPOOLED

# error.type values for spans we drop ourselves (others are an HTTP status or a gRPC code).
QUEUE_FULL = "queue_full"
SPOOL_FULL = "spool_full"
NOT_DELIVERED_AT_EXIT = "not_delivered_at_exit"
REJECTED = "rejected"  # the backend accepted the batch but rejected these spans (OTLP partial success)
AFTER_SHUTDOWN = "after_shutdown"
ENCODE_ERROR = "encode_error"
TOO_LARGE = "too_large"  # one span larger than the receiver takes, even with its text cut
UNDELIVERABLE = "undeliverable"  # a batch that kept failing while the batches behind it were delivered
UNREADABLE = "unreadable"  # a spooled file that is not an OTLP request (damaged, or not ours)


class DeliveryStats:
    """Thread-safe totals for one exporter; also exported as counters tagged with the endpoint."""

    def __init__(self, endpoint: str, meter_provider: metrics.MeterProvider | None = None) -> None:
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("agentops_otel.export", __version__)
        self._dropped_counter = meter.create_counter(
            METRIC_DROPPED, unit="{span}", description="Spans that could not be delivered to the OTLP backend"
        )
        self._delivered_counter = meter.create_counter(
            METRIC_DELIVERED, unit="{span}", description="Spans the OTLP backend accepted"
        )
        self._spooled_counter = meter.create_counter(
            METRIC_SPOOLED, unit="{span}", description="Spans written to the disk spool to await delivery"
        )
        where = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
        self._attributes: dict[str, str | int] = {sc.SERVER_ADDRESS: where.hostname or endpoint}
        if where.port:
            self._attributes[sc.SERVER_PORT] = where.port
        self._lock = threading.Lock()
        self.delivered = 0
        self.spooled = 0
        self.truncated = 0  # delivered with text cut to fit the receiver (agentops.export.truncated)
        self.quarantined = 0  # of the dropped: kept on disk in the spool's quarantine/ folder
        self.dropped: Counter[str] = Counter()
        self.last_error = ""

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def record_delivered(self, count: int) -> None:
        with self._lock:
            self.delivered += count
        self._delivered_counter.add(count, self._attributes)

    def record_spooled(self, count: int) -> None:
        with self._lock:
            self.spooled += count
        self._spooled_counter.add(count, self._attributes)

    def record_dropped(self, count: int, reason: str) -> None:
        if count <= 0:
            return
        with self._lock:
            self.dropped[reason] += count
        self._dropped_counter.add(count, {**self._attributes, sc.ERROR_TYPE: reason})

    def record_truncated(self, count: int) -> None:
        with self._lock:
            self.truncated += count

    def record_quarantined(self, count: int, reason: str) -> None:
        self.record_dropped(count, reason)
        with self._lock:
            self.quarantined += count

    def note_error(self, detail: str) -> None:
        self.last_error = detail
