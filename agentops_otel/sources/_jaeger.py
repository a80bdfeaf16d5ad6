"""Jaeger's query API: `/api/traces/{id}`, `/api/traces?service=...&tags=...`, and the api/v3 OTLP endpoints.

    JaegerSource("http://localhost:16686")          # HTTP JSON API v1 (the Jaeger UI's API)
    JaegerSource("http://localhost:16686/api/v3")   # api/v3: OTLP JSON answers

Jaeger v1 spans carry OTel kind, status and scope as the tags `span.kind`, `otel.status_code`,
`otel.status_description` and `otel.scope.name`, times in microseconds, the parent as a CHILD_OF
reference, events as logs (the name in the `event` field), and 64-bit trace ids from older clients.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .. import semconv as sc
from ..errors import SourceError
from ..model import EventRecord, LinkRecord, Session, SessionSummary, SpanRecord, summarize
from ._http import build_url, get_body, get_json
from ._json_stream import object_items
from ._limits import Limits
from ._otlp_json import ShapeError, as_int, as_time, hex_id, records_from_document, span_kind, status_code
from ._select import matches, newest_first, pick, read_session
from ._windows import every_item

DEFAULT_LOOKBACK_NS = 7 * 24 * 3600 * 10**9
DEFAULT_LIMIT = 100
PAGE = 100  # traces asked of one search when every session is read (`iter_sessions`)
# Jaeger flattens array attributes to JSON text; these are the ones our model reads as arrays.
_ARRAY_ATTRIBUTES = frozenset(
    {
        sc.AGENTOPS_SESSION_TAGS,
        sc.GEN_AI_RESPONSE_FINISH_REASONS,
        sc.GEN_AI_REQUEST_STOP_SEQUENCES,
        sc.GEN_AI_REQUEST_ENCODING_FORMATS,
    }
)
# Tags that are OTel span fields in Jaeger's model, not attributes.
_FIELD_TAGS = frozenset(
    {
        "span.kind",
        "otel.status_code",
        "otel.status_description",
        "otel.scope.name",
        "otel.scope.version",
        "internal.span.format",
        "error",
        "w3c.tracestate",
    }
)


def _tag_value(tag: Mapping[str, Any]) -> Any:
    value, kind = tag.get("value"), str(tag.get("type", "string")).lower()
    if kind == "int64":
        return as_int(value, f"tag {tag.get('key')}")
    if kind == "float64":
        return float(value)  # type: ignore[arg-type]
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "string" and tag.get("key") in _ARRAY_ATTRIBUTES and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return tuple(parsed) if isinstance(parsed, list) else value
    return value


def _tags(tags: Any) -> dict[str, Any]:
    return {str(t["key"]): _tag_value(t) for t in tags or ()}


def _status(tags: dict[str, Any]) -> str:
    if "otel.status_code" in tags:
        return status_code(tags["otel.status_code"])
    return "ERROR" if tags.get("error") is True else "UNSET"


def _span(span: Mapping[str, Any], processes: Mapping[str, Any]) -> SpanRecord:
    trace_id = hex_id(span.get("traceID"), 16, "traceID")
    span_id = hex_id(span.get("spanID"), 8, "spanID")
    if trace_id is None or span_id is None:
        raise ShapeError(f"span {span.get('operationName')!r} has no traceID or spanID")
    parent = hex_id(span.get("parentSpanID"), 8, "parentSpanID")
    links: list[LinkRecord] = []
    for ref in span.get("references") or ():
        ref_trace = hex_id(ref.get("traceID"), 16, "reference traceID") or ""
        ref_span = hex_id(ref.get("spanID"), 8, "reference spanID") or ""
        if parent is None and ref.get("refType", "CHILD_OF") == "CHILD_OF" and ref_trace == trace_id:
            parent = ref_span
        elif ref_span != parent:
            links.append(LinkRecord(ref_trace, ref_span))
    tags = _tags(span.get("tags"))
    start_ns = as_time(span.get("startTime", 0), "startTime", 1000)
    process = processes.get(span.get("processID", "")) or span.get("process") or {}
    resource = _tags(process.get("tags"))
    if process.get("serviceName"):
        resource[sc.SERVICE_NAME] = process["serviceName"]
    events = []
    for log in span.get("logs") or ():
        fields = _tags(log.get("fields"))
        name = fields.pop("event", "log")
        events.append(EventRecord(str(name), as_time(log.get("timestamp", 0), "log timestamp", 1000), fields))
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=str(span.get("operationName", "")),
        start_ns=start_ns,
        end_ns=as_time(start_ns + as_int(span.get("duration", 0), "duration") * 1000, "startTime + duration"),
        kind=span_kind(tags.get("span.kind") or "INTERNAL"),
        status_code=_status(tags),
        status_message=tags.get("otel.status_description") or None,
        attributes={k: v for k, v in tags.items() if k not in _FIELD_TAGS},
        events=tuple(events),
        links=tuple(links),
        resource=resource,
        scope=tags.get("otel.scope.name"),
    )


def traces_from_response(doc: Any, where: str) -> list[list[SpanRecord]]:
    """The traces in a Jaeger answer: v1 `{"data": [trace...]}`, one v1 trace, or api/v3 OTLP JSON."""
    if isinstance(doc, Mapping) and ("result" in doc or "resourceSpans" in doc):
        by_trace: dict[str, list[SpanRecord]] = {}
        for record in records_from_document(doc, where):
            by_trace.setdefault(record.trace_id, []).append(record)
        return list(by_trace.values())
    if isinstance(doc, Mapping) and "data" in doc:
        if doc.get("errors"):
            raise SourceError(f"{where}: Jaeger answered with errors: {doc['errors']!r:.300}")
        if doc["data"] is not None and not isinstance(doc["data"], list):
            raise SourceError(f"{where}: not a Jaeger answer (expected a list of traces under data)")
        traces = doc["data"] or []
    elif isinstance(doc, Mapping) and "spans" in doc:
        traces = [doc]
    else:
        raise SourceError(f"{where}: not a Jaeger answer (expected data, spans or result); is it a Jaeger URL?")
    return [records for records in (trace_records(trace, where) for trace in traces) if records]


def trace_records(trace: Any, where: str) -> list[SpanRecord]:
    """The spans of one Jaeger v1 trace object."""
    try:
        processes = trace.get("processes") or {}
        return [_span(span, processes) for span in trace.get("spans") or ()]
    except ShapeError as exc:
        raise SourceError(f"{where}: {exc}") from None
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        raise SourceError(f"{where}: unexpected value in the Jaeger answer ({exc!r:.200})") from None


def stream_traces(text: str, where: str) -> Iterator[list[SpanRecord]]:
    """The traces of a Jaeger answer one at a time (v1 `data` streamed; any other shape read whole)."""
    fields: dict[str, Any] = {}
    for kind, value in object_items(text, "data", where):
        if kind == "item":
            fields["data"] = []
            records = trace_records(value, where)
            if records:
                yield records
        elif kind == "":  # not an object: said so below
            yield from traces_from_response(value, where)
            return
        else:
            fields[kind] = value
    yield from traces_from_response(fields, where)  # the rest: errors, null data, one trace, api/v3


class JaegerSource:
    """Sessions from a Jaeger query service (v1 JSON API, or api/v3 when the URL ends in /api/v3)."""

    def __init__(self, url: str, *, limits: Limits | None = None) -> None:
        base = url.rstrip("/")
        self.v3 = base.endswith("/api/v3")
        self.base = base.removesuffix("/api/v3")
        self.limits = limits or Limits.from_env()
        self.description = f"jaeger:{url}"

    def _traces(self, path: str, query: dict[str, Any] | None = None) -> Iterator[list[SpanRecord]]:
        url = build_url(self.base, path, query)
        body = get_body(url, self.limits)
        if body is None:
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{url}: not UTF-8 text at byte {exc.start}; is it a Jaeger URL?") from None
        del body  # the text alone from here on
        yield from stream_traces(text, url)

    def _services(self) -> list[str]:
        url = build_url(self.base, "/api/v3/services" if self.v3 else "/api/services")
        doc = get_json(url, self.limits)
        key = "services" if self.v3 else "data"
        names = doc.get(key) if isinstance(doc, dict) else None
        if doc is not None and not (isinstance(doc, dict) and key in doc and isinstance(names, list | None)):
            raise SourceError(
                f"{url}: not a Jaeger services answer (expected a list of names under {key}); is it a Jaeger URL?"
            )
        # Jaeger records its own query calls under its own name; they are never sessions.
        return [str(n) for n in names or () if not str(n).startswith("jaeger")]

    def _search(
        self,
        service: str,
        since_ns: int | None,
        limit: int,
        attributes: dict[str, str],
        end_ns: int | None = None,
    ) -> Iterator[list[SpanRecord]]:
        now_ns = time.time_ns()
        start_ns = since_ns if since_ns is not None else now_ns - DEFAULT_LOOKBACK_NS
        end_ns = end_ns if end_ns is not None else now_ns + 60 * 10**9
        if self.v3:

            def rfc3339(ns: int) -> str:
                return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")

            query = {
                "query.service_name": service,
                "query.start_time_min": rfc3339(start_ns),
                "query.start_time_max": rfc3339(end_ns),
                "query.num_traces": limit,
                "query.attributes": json.dumps(attributes) if attributes else None,
            }
            return self._traces("/api/v3/traces", query)
        query = {
            "service": service,
            "start": start_ns // 1000,
            "end": end_ns // 1000,
            "limit": limit,
            "tags": json.dumps(attributes) if attributes else None,
        }
        return self._traces("/api/traces", query)

    def _found_sessions(
        self, service: str | None, since_ns: int | None, limit: int, attributes: dict[str, str]
    ) -> Iterator[Session]:
        """Sessions one at a time: a listing keeps only their summaries."""
        for name in [service] if service else self._services():
            for records in self._search(name, since_ns, limit, attributes):
                session = read_session(records)
                if all(session.root.attributes.get(k) == v for k, v in attributes.items()):
                    yield session

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        query_limit = max(limit or DEFAULT_LIMIT, DEFAULT_LIMIT)
        found = {s.trace_id: summarize(s) for s in self._found_sessions(service, since_ns, query_limit, {})}
        return newest_first(
            (s for s in found.values() if matches(s, since_ns=since_ns, tags=tags, status=status, service=service)),
            limit,
        )

    def iter_sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
    ) -> Iterator[SessionSummary]:
        """Every matching session: each service's search paged through by time windows (`_windows`),
        or a SourceError saying why not all could be read."""
        start = since_ns if since_ns is not None else time.time_ns() - DEFAULT_LOOKBACK_NS
        end = time.time_ns() + 60 * 10**9
        seen: set[str] = set()
        for name in [service] if service else self._services():

            def search(lo: int, hi: int, page: int, name: str = name) -> list[list[SpanRecord]]:
                return list(self._search(name, lo, page, {}, end_ns=hi))

            for records in every_item(
                search,
                start // 1000 * 1000,
                end,
                page=PAGE,
                tick_ns=1000,
                key=lambda r: r[0].trace_id,
                where=self.description,
            ):
                if records[0].trace_id in seen:  # a trace with spans of two services
                    continue
                seen.add(records[0].trace_id)
                summary = summarize(read_session(records))
                if matches(summary, since_ns=since_ns, tags=tags, status=status, service=service):
                    yield summary

    def _by_trace_id(self, ident: str) -> Session | None:
        try:
            trace_id = hex_id(ident, 16, "trace id")
        except ShapeError:
            return None
        if trace_id is None:
            return None
        if len(ident) == 16:  # a 64-bit id from an older client: ask with the id Jaeger stored
            trace_id = ident.lower()
        path = f"/api/v3/traces/{trace_id}" if self.v3 else f"/api/traces/{trace_id}"
        first = next(self._traces(path), None)
        return read_session(first) if first else None

    def session(self, ident: str) -> Session:
        ident = ident.strip()
        if len(ident) in (16, 32):
            found = self._by_trace_id(ident)
            if found is not None:
                return found
        tagged = next(self._found_sessions(None, None, DEFAULT_LIMIT, {sc.SESSION_ID: ident}), None) if ident else None
        if tagged is not None:
            return tagged
        return pick(self._found_sessions(None, None, DEFAULT_LIMIT, {}), ident, self.description)
