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
from ..model._records import SPAN_KINDS, STATUS_CODES

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


UNREADABLE = "unreadable value"


def _decoded(cell: Any, expected: type, unreadable: list[str], what: str) -> Any:
    """A JSON cell decoded, or None (and `what` noted) when garbled: one bad cell never stops a replay."""
    try:
        value = json.loads(cell)
    except (TypeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, expected):
        unreadable.append(what)
        return None
    return value


def _events(cell: Any, unreadable: list[str], start_ns: int) -> tuple[EventRecord, ...]:
    items = _decoded(cell, list, unreadable, "events")
    try:
        return tuple(EventRecord(str(n), int(t), _attrs_from_plain(a)) for n, t, a in items or ())
    except (TypeError, ValueError, AttributeError):
        unreadable.append("events")
        return (EventRecord(UNREADABLE, start_ns, {}),)


def _links(cell: Any, unreadable: list[str]) -> tuple[LinkRecord, ...]:
    items = _decoded(cell, list, unreadable, "links") or []
    try:
        return tuple(LinkRecord(str(t), str(s), _attrs_from_plain(a)) for t, s, a in items)
    except (TypeError, ValueError, AttributeError):
        unreadable.append("links")
        return ()


def _text(value: Any, unreadable: list[str], what: str, default: str | None = UNREADABLE) -> Any:
    if value is None or isinstance(value, str):
        return value
    unreadable.append(what)
    return default


def _time(value: Any, unreadable: list[str], what: str) -> int | None:
    if value is None or (isinstance(value, int) and 0 <= value < 2**63):
        return value
    unreadable.append(what)
    return None


def from_row(row: tuple[Any, ...]) -> SpanRecord:
    """A stored span. Cells that cannot be decoded (a damaged file, another program's writes) are
    listed under `agentops.readback.unreadable` as "<part>: unreadable value", so the replay still
    shows every other step and value."""
    (trace_id, span_id, parent, name, kind, start, end, status, message, attrs, events, links, res, scope) = row
    unreadable: list[str] = []
    attributes = _attrs_from_plain(_decoded(attrs, dict, unreadable, "attributes") or {})
    start_ns = _time(start, unreadable, "start time") or 0
    record = SpanRecord(
        trace_id=_text(trace_id, unreadable, "trace id", "0" * 32),
        span_id=_text(span_id, unreadable, "span id", "0" * 16),
        parent_span_id=_text(parent, unreadable, "parent span id", None),
        name=_text(name, unreadable, "name") or "",
        start_ns=start_ns,
        end_ns=_time(end, unreadable, "end time"),
        kind=kind if kind in SPAN_KINDS else SPAN_KINDS[0],
        status_code=status if status in STATUS_CODES else "UNSET",
        status_message=_text(message, unreadable, "status message"),
        attributes=attributes,
        events=_events(events, unreadable, start_ns),
        links=_links(links, unreadable),
        resource=_attrs_from_plain(_decoded(res, dict, unreadable, "resource") or {}),
        scope=_text(scope, unreadable, "scope"),
    )
    if unreadable:
        attributes[sc.AGENTOPS_READBACK_UNREADABLE] = tuple(f"{what}: {UNREADABLE}" for what in unreadable)
    return record
