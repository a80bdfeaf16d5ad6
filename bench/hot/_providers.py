"""The providers both sides export through: a BatchSpanProcessor with a queue that never fills (a full
queue drops spans, which would make the side that is behind cheaper) over an exporter that drops."""

from __future__ import annotations

from typing import Any

from _otel import DropExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def dropping_provider(**kwargs: Any) -> tuple[TracerProvider, DropExporter]:
    provider = TracerProvider(**kwargs)
    exporter = DropExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=1 << 20, max_export_batch_size=4096))
    return provider, exporter
