"""OTLP batches that fit the receiver: packed by encoded size, split in halves when refused as too large,
and single spans too large for any batch cut down by their longest text values (with a marker).

Everything works on the encoded `ExportTraceServiceRequest`, so it applies to batches from memory and
from the disk spool alike. Receivers count the message's uncompressed size (the Collector's gRPC
receiver refuses messages over 4 MiB, its HTTP receiver bodies over 20 MiB), and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from .. import semconv as sc

# Framing of one nested message: a tag byte and a length of up to five bytes.
_FRAME = 6
_MARKER = KeyValue(key=sc.AGENTOPS_EXPORT_TRUNCATED)
_MARKER.value.bool_value = True
_KEEP_CHARS = 64  # a cut value keeps at least its beginning
SMALLEST_TRUNCATION = 16 * 1024  # a span smaller than this is never cut: its size is not the problem


@dataclass
class Packed:
    """Encoded requests, each with its span count; and the spans that had to be cut or left out."""

    parts: list[tuple[bytes, int]] = field(default_factory=list)
    truncated: int = 0
    too_large: int = 0

    @property
    def spans(self) -> int:
        return sum(count for _, count in self.parts)


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def _group_size(rs: ResourceSpans, ss: ScopeSpans) -> int:
    """An upper bound of what one resource + scope group costs in a request, before its spans."""
    return rs.resource.ByteSize() + ss.scope.ByteSize() + len(rs.schema_url) + len(ss.schema_url) + 4 * _FRAME


def pack(request: ExportTraceServiceRequest, max_bytes: int) -> Packed:
    """`request` as requests of at most `max_bytes` each, in span order."""
    if request.ByteSize() <= max_bytes:
        return Packed([(request.SerializeToString(), span_count(request))])
    packed = Packed()
    current = ExportTraceServiceRequest()
    size = count = 0

    def flush() -> None:
        nonlocal current, size, count
        if count:
            packed.parts.append((current.SerializeToString(), count))
        current, size, count = ExportTraceServiceRequest(), 0, 0

    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            group = _group_size(rs, ss)
            target: ScopeSpans | None = None
            for span in ss.spans:
                cost = span.ByteSize() + _FRAME
                if group + cost > max_bytes:
                    cut = truncated(span, max_bytes - group - _FRAME)
                    if cut is None:
                        packed.too_large += 1
                        continue
                    packed.truncated += not _is_marked(span)  # each span counted once, however often cut
                    span, cost = cut, cut.ByteSize() + _FRAME
                if count and size + cost + (group if target is None else 0) > max_bytes:
                    flush()
                    target = None
                if target is None:
                    resource_spans = current.resource_spans.add(schema_url=rs.schema_url)
                    resource_spans.resource.CopyFrom(rs.resource)
                    target = resource_spans.scope_spans.add(schema_url=ss.schema_url)
                    target.scope.CopyFrom(ss.scope)
                    size += group
                target.spans.append(span)
                size += cost
                count += 1
    flush()
    return packed


def halves(payload: bytes) -> Packed:
    """A batch the receiver refused as too large, as two (or a few) smaller ones; a single span is cut
    to half its size. Raises DecodeError for bytes that are not a request."""
    request = ExportTraceServiceRequest.FromString(payload)
    if span_count(request) == 1:
        return pack(request, len(payload) // 2)
    return pack(request, max(len(payload) // 2 + len(payload) // 16, 1))


def _is_marked(span: Span) -> bool:
    return any(kv.key == _MARKER.key for kv in span.attributes)


def truncated(span: Span, max_bytes: int) -> Span | None:
    """A copy of `span` of at most `max_bytes`, its longest text values cut, marked with
    agentops.export.truncated; None when cutting text cannot make it fit (or it is small already)."""
    if span.ByteSize() < SMALLEST_TRUNCATION or max_bytes < SMALLEST_TRUNCATION // 4:
        return None
    cut = Span()
    cut.CopyFrom(span)
    if not _is_marked(cut):
        cut.attributes.append(_MARKER)
    values = [kv.value for kv in cut.attributes if kv.value.WhichOneof("value") == "string_value"]
    values += [kv.value for event in cut.events for kv in event.attributes if kv.value.HasField("string_value")]
    values.sort(key=lambda value: len(value.string_value), reverse=True)
    for value in values:
        excess = cut.ByteSize() - max_bytes
        if excess <= 0:
            return cut
        text = value.string_value
        encoded = text.encode()
        note = f"…[{len(encoded)} bytes, truncated to fit the OTLP receiver]"
        keep = max(_KEEP_CHARS, len(encoded) - excess - len(note.encode()) - 8)
        if keep >= len(encoded):
            continue
        value.string_value = encoded[:keep].decode("utf-8", "ignore") + note
    return cut if cut.ByteSize() <= max_bytes else None
