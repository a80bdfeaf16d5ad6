"""SpanRecord: the one normalised span every reader produces and every consumer reads.

Each trace source (local store, OTLP JSON, Jaeger, Tempo, in-process spans) has one small adapter
into this shape; nothing downstream knows where a span came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Span kinds and status codes by their OpenTelemetry names, without the enum prefixes.
SPAN_KINDS = ("INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
STATUS_CODES = ("UNSET", "OK", "ERROR")


@dataclass(frozen=True, slots=True)
class EventRecord:
    name: str
    time_ns: int
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkRecord:
    trace_id: str
    span_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One finished (or, in process, still open) span.

    Ids are lowercase hex (32 and 16 chars); times are nanoseconds since the epoch; attribute values
    are plain Python values (str, bool, int, float, or tuples of those). `end_ns` is None only for a
    span still open in this process.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int | None
    kind: str = "INTERNAL"
    status_code: str = "UNSET"
    status_message: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[EventRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    resource: Mapping[str, Any] = field(default_factory=dict)
    scope: str | None = None

    @property
    def duration_ns(self) -> int | None:
        return None if self.end_ns is None else self.end_ns - self.start_ns


def from_readable_span(span: Any) -> SpanRecord:
    """Adapter for in-process spans (`opentelemetry.sdk.trace.ReadableSpan`, open or ended)."""
    ctx = span.context
    parent = span.parent
    status = span.status
    return SpanRecord(
        trace_id=format(ctx.trace_id, "032x"),
        span_id=format(ctx.span_id, "016x"),
        parent_span_id=format(parent.span_id, "016x") if parent is not None else None,
        name=span.name,
        start_ns=span.start_time or 0,
        end_ns=span.end_time,
        kind=span.kind.name,
        status_code=status.status_code.name,
        status_message=status.description or None,
        attributes=dict(span.attributes or {}),
        events=tuple(EventRecord(e.name, e.timestamp, dict(e.attributes or {})) for e in span.events),
        links=tuple(
            LinkRecord(
                format(link.context.trace_id, "032x"),
                format(link.context.span_id, "016x"),
                dict(link.attributes or {}),
            )
            for link in span.links
        ),
        resource=dict(span.resource.attributes) if span.resource is not None else {},
        scope=span.instrumentation_scope.name if span.instrumentation_scope is not None else None,
    )
