"""The in-process recorder: the spans of recent sessions, open ones included, for `get_session()`."""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from . import semconv as sc
from ._internal import internal_error
from .model import SpanRecord, from_readable_span

DEFAULT_MAX_SPANS = 500  # of sessions nobody holds a handle to any more


class Recorder(SpanProcessor):
    """Keeps the spans of recent sessions in memory, for reading them back in this process.

    Cheap on the hot path: an ended span is kept as it is and converted only when read back. Bounded:
    the traces of sessions whose handle the application still holds are kept whole (they can still be
    read back); of the others only the newest, up to `max_spans` spans in all.
    """

    def __init__(self, max_spans: int = DEFAULT_MAX_SPANS) -> None:
        # Taken only to hold, release and evict, never per span: a span starts and ends with single
        # dict and list operations, atomic under the GIL (a lock there serialised 8 threads' calls).
        # Re-entrant: a handle's finalizer may run (garbage collection) while this thread holds it.
        self._lock = threading.RLock()
        self._ended: dict[int, list[ReadableSpan]] = {}  # trace id -> spans, oldest trace first
        self._open: dict[int, Any] = {}  # span id -> live span
        self._held: dict[int, int] = {}  # trace id -> live handles of that session
        self._kept = itertools.count(1)  # spans appended, ever (next() is atomic)
        self._evicted = 0  # spans evicted, ever (under the lock)
        self._max_spans = max_spans
        # Kept spans above which to evict next: past the bound, except while held sessions alone fill
        # it (then only after another half bound, so a long held session is not rescanned per span).
        self._evict_above = max_spans

    def hold(self, trace_id: int, owner: object) -> None:
        """Keep this trace while `owner` (a session handle) is alive."""
        with self._lock:
            self._held[trace_id] = self._held.get(trace_id, 0) + 1
        weakref.finalize(owner, self._release, trace_id)

    def _release(self, trace_id: int) -> None:
        with self._lock:  # evicted later, by the next span that ends
            left = self._held.pop(trace_id, 1) - 1
            if left:
                self._held[trace_id] = left
            else:
                self._evict_above = self._max_spans  # its spans may go at the next end

    def _evict(self, kept: int) -> None:
        with self._lock:
            count = kept - self._evicted
            if count <= self._evict_above:
                return  # another thread evicted meanwhile
            for trace_id in [t for t in list(self._ended) if t not in self._held]:
                evicted = len(self._ended.pop(trace_id, ()))
                self._evicted += evicted
                count -= evicted
                if count <= self._max_spans:
                    break
            self._evict_above = self._max_spans if count <= self._max_spans else count + self._max_spans // 2

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        try:
            attributes = getattr(span, "_attributes", None)
            plain = getattr(attributes, "_dict", None)  # the SDK's plain dict: no Mapping ABC per lookup
            if (plain if plain is not None else span.attributes).get(sc.SESSION_ID) is not None:
                self._open[span.context.span_id] = span
        except Exception:
            internal_error("record a started span")

    def on_end(self, span: ReadableSpan) -> None:
        try:
            self._keep(span)
        except Exception:
            internal_error("record an ended span")

    def _keep(self, span: ReadableSpan) -> None:
        attributes = span.attributes
        if attributes is None or attributes.get(sc.SESSION_ID) is None:
            return
        context = span.context
        # Appended before the open entry goes, so a reader in between sees the span (once, by id).
        self._ended.setdefault(context.trace_id, []).append(span)
        self._open.pop(context.span_id, None)
        kept = next(self._kept)
        if kept - self._evicted > self._evict_above:
            self._evict(kept)

    def __len__(self) -> int:
        """Ended spans kept now."""
        return sum(map(len, list(self._ended.values())))

    def ended_span(self, trace_id: int, span_id: int) -> ReadableSpan | None:
        """One ended span as it was handed on (newest first: a session's root ends last)."""
        for span in reversed(list(self._ended.get(trace_id, ()))):  # list(): one atomic copy
            if span.context.span_id == span_id:
                return span
        return None

    def records(self, trace_id: int | str) -> list[SpanRecord]:
        """Every span of one trace seen so far: ended ones as exported, open ones as they are now."""
        key = int(trace_id, 16) if isinstance(trace_id, str) else trace_id
        live = [s for s in list(self._open.values()) if s.context.trace_id == key]  # list(): one atomic copy
        ended = list(self._ended.get(key, ()))
        records = {r.span_id: r for r in map(from_readable_span, ended)}
        for span in live:
            record = from_readable_span(span)
            records.setdefault(record.span_id, record)
        return list(records.values())
