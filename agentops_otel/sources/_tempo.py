"""Grafana Tempo's HTTP API: `/api/v2/traces/{id}` (`{"trace": ...}`), `/api/traces/{id}` (v1,
`{"batches": [...]}`) and `/api/search` with TraceQL by session id, end state and service.

    TempoSource("http://localhost:3200").session("3f2a...")

Tempo answers OTLP JSON with base64 ids and enum names; the shared OTLP reader takes both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .. import semconv as sc
from ..errors import SourceError
from ..model import Session, SessionSummary, SpanRecord, summarize
from ._http import build_url, get_json
from ._limits import Limits
from ._otlp_json import ShapeError, hex_id, records_from_document
from ._select import matches, newest_first, pick, read_session
from ._windows import every_item

DEFAULT_LOOKBACK_S = 7 * 24 * 3600
DEFAULT_LIMIT = 100
PAGE = 100  # traces asked of one search when every session is read (`iter_sessions`)


def traceql(session_id: str | None = None, end_state: str | None = None, service: str | None = None) -> str:
    """A TraceQL filter ANDing the given conditions; `{}` (every trace) when none is given."""
    pairs = {
        ("span", sc.SESSION_ID): session_id,
        ("span", sc.AGENTOPS_SESSION_END_STATE): end_state,
        ("resource", sc.SERVICE_NAME): service,
    }
    conditions = [f"{scope}.{key} = {json.dumps(v)}" for (scope, key), v in pairs.items() if v]
    return "{ " + " && ".join(conditions) + " }" if conditions else "{}"


def _search_trace_id(value: Any) -> str | None:
    # Tempo's search results drop leading zeros from hex trace ids.
    text = str(value or "").strip()
    if 0 < len(text) < 32 and all(c in "0123456789abcdefABCDEF" for c in text):
        text = text.rjust(32, "0")
    try:
        return hex_id(text, 16, "traceID")
    except ShapeError:
        return None


def _shape(doc: Any) -> str:
    """What a wrong answer looks like, in a few words: `an object with data, total`, `a list`."""
    if isinstance(doc, dict):
        keys = ", ".join(list(map(str, doc))[:4])
        shown = {k: type(v).__name__ for k, v in list(doc.items())[:4]}
        return f"an object with {keys} ({', '.join(f'{k}: {t}' for k, t in shown.items())})" if doc else "{}"
    return f"a JSON {type(doc).__name__}"


class TempoSource:
    """Sessions from a Tempo query frontend."""

    def __init__(self, url: str, *, limits: Limits | None = None) -> None:
        self.base = url.rstrip("/")
        self.limits = limits or Limits.from_env()
        self.description = f"tempo:{url}"

    def _trace(self, trace_id: str) -> list[SpanRecord] | None:
        for path in (f"/api/v2/traces/{trace_id}", f"/api/traces/{trace_id}"):
            url = build_url(self.base, path)
            doc = get_json(url, self.limits)
            if doc is not None:
                if not isinstance(doc, dict) or not ({"trace", "batches", "resourceSpans"} & doc.keys() or not doc):
                    raise SourceError(
                        f"{url}: not a Tempo trace (expected an OTLP document with trace, batches or "
                        f"resourceSpans, got {_shape(doc)}); is {self.base} a Tempo URL?"
                    )
                records = records_from_document(doc, url)
                return records or None
        return None

    def _search(self, q: str, since_ns: int | None, limit: int, end_s: int | None = None) -> list[Session]:
        now = int(time.time())
        start = since_ns // 10**9 if since_ns is not None else now - DEFAULT_LOOKBACK_S
        end = end_s if end_s is not None else now + 60
        url = build_url(self.base, "/api/search", {"q": q, "limit": limit, "start": start, "end": end})
        doc = get_json(url, self.limits)
        if doc is None:
            raise SourceError(f"{url}: HTTP 404; is {self.base} a Tempo URL (its search API answers /api/search)?")
        found = doc.get("traces") if isinstance(doc, dict) else None
        if not isinstance(found, list) and not (isinstance(doc, dict) and "traces" in doc and found is None):
            raise SourceError(
                f'{url}: not a Tempo search answer (expected {{"traces": [...]}}, got {_shape(doc)}); '
                f"is {self.base} a Tempo URL?"
            )
        sessions = []
        for hit in found or ():
            trace_id = _search_trace_id(hit.get("traceID") if isinstance(hit, dict) else None)
            records = self._trace(trace_id) if trace_id else None
            if records:
                sessions.append(read_session(records))
        return sessions

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        q = traceql(end_state=status, service=service)
        summaries = (summarize(s) for s in self._search(q, since_ns, max(limit or DEFAULT_LIMIT, 20)))
        return newest_first(
            (s for s in summaries if matches(s, since_ns=since_ns, tags=tags, status=status, service=service)),
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
        """Every matching session: the search paged through by time windows of whole seconds
        (`_windows`), or a SourceError saying why not all could be read."""
        q = traceql(end_state=status, service=service)
        start_s = since_ns // 10**9 if since_ns is not None else int(time.time()) - DEFAULT_LOOKBACK_S
        end_s = int(time.time()) + 60

        def search(lo: int, hi: int, page: int) -> list[Session]:
            return self._search(q, lo, page, end_s=hi // 10**9)

        for session in every_item(
            search,
            start_s * 10**9,
            end_s * 10**9,
            page=PAGE,
            tick_ns=10**9,
            key=lambda s: s.trace_id,
            where=self.description,
        ):
            summary = summarize(session)
            if matches(summary, since_ns=since_ns, tags=tags, status=status, service=service):
                yield summary

    def session(self, ident: str) -> Session:
        ident = ident.strip()
        if len(ident) in (22, 24, 32):
            try:
                trace_id = hex_id(ident, 16, "trace id")
            except ShapeError:
                trace_id = None
            records = self._trace(trace_id) if trace_id else None
            if records:
                return read_session(records)
        if ident:
            tagged = self._search(traceql(session_id=ident), None, 20)
            if tagged:
                return tagged[0]
        return pick(self._search("{}", None, DEFAULT_LIMIT), ident, self.description)
