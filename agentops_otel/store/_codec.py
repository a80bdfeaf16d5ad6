"""SpanRecord <-> store row. Attributes, events, links and resource are stored as JSON text.

JSON has no tuples, so sequences come back as tuples (the SpanRecord contract for array attributes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import _kinds
from .. import semconv as sc
from .._states import span_failed
from ..model import EventRecord, LinkRecord, SpanRecord, Usage

# Columns of the spans table in insert order; the derived ones (kind of step, failure, usage, cost)
# let the session listing total a trace in SQL without decoding every span.
SPAN_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "start_ns",
    "end_ns",
    "status_code",
    "status_message",
    "attributes",
    "events",
    "links",
    "resource",
    "scope",
    "session_id",
    "step_kind",
    "failed",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "priced",
)
# What a SpanRecord is read back from.
RECORD_COLUMNS = SPAN_COLUMNS[:14]


# One encoder for all rows (json.dumps with options builds a new one per call: a third of write time).
# default=str: attribute values are plain already; anything odd is kept as text, never lost.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _attrs_to_plain(attrs: Mapping[str, Any]) -> dict[str, Any]:
    # The encoder writes tuples as arrays already; only a non-dict mapping needs copying.
    return attrs if isinstance(attrs, dict) else dict(attrs)


def _attrs_from_plain(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in attrs.items()}


def _failed(record: SpanRecord) -> bool:
    return span_failed(record.status_code, record.attributes, (e.name for e in record.events))


def to_row(record: SpanRecord) -> tuple[Any, ...]:
    attrs = record.attributes
    kind = _kinds.SESSION if _kinds.is_session_root(attrs) else _kinds.step_kind(attrs)
    usage = Usage.from_attributes(attrs) if kind == _kinds.LLM else Usage()
    cost = attrs.get(sc.AGENTOPS_COST_USD)
    session_id = attrs.get(sc.SESSION_ID)
    return (
        record.trace_id,
        record.span_id,
        record.parent_span_id,
        record.name,
        record.kind,
        record.start_ns,
        record.end_ns,
        record.status_code,
        record.status_message,
        _dumps(_attrs_to_plain(attrs)),
        _dumps([[e.name, e.time_ns, _attrs_to_plain(e.attributes)] for e in record.events]) if record.events else "[]",
        _dumps([[ln.trace_id, ln.span_id, _attrs_to_plain(ln.attributes)] for ln in record.links])
        if record.links
        else "[]",
        _dumps(_attrs_to_plain(record.resource)),
        record.scope,
        str(session_id) if session_id else None,
        kind,
        int(_failed(record)),
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_tokens,
        usage.cache_write_tokens,
        usage.reasoning_tokens,
        float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
        int(attrs.get(sc.AGENTOPS_COST_STATUS) == sc.CostStatusValues.PRICED),
    )


def from_row(row: tuple[Any, ...]) -> SpanRecord:
    (trace_id, span_id, parent, name, kind, start, end, status, message, attrs, events, links, res, scope) = row
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        start_ns=start,
        end_ns=end,
        kind=kind,
        status_code=status,
        status_message=message,
        attributes=_attrs_from_plain(json.loads(attrs)),
        events=tuple(EventRecord(n, t, _attrs_from_plain(a)) for n, t, a in json.loads(events)),
        links=tuple(LinkRecord(t, s, _attrs_from_plain(a)) for t, s, a in json.loads(links)),
        resource=_attrs_from_plain(json.loads(res)),
        scope=scope,
    )
