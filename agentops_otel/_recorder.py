"""The in-process recorder: the spans of recent sessions, open ones included, for `get_session()`."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
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
        # Re-entrant: a handle's finalizer may run (garbage collection) while this thread holds it.
        self._lock = threading.RLock()
        self._ended: OrderedDict[int, list[ReadableSpan]] = OrderedDict()  # trace id -> spans
        self._open: dict[int, Any] = {}  # span id -> live span
        self._held: dict[int, int] = {}  # trace id -> live handles of that session
        self._count = 0
        self._max_spans = max_spans

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

    def _evict(self) -> None:
        if self._count <= self._max_spans:
            return
        for trace_id in [t for t in self._ended if t not in self._held]:
            self._count -= len(self._ended.pop(trace_id, ()))
            if self._count <= self._max_spans:
                return

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        try:
            if span.attributes.get(sc.SESSION_ID) is not None:
                with self._lock:
                    self._open[span.context.span_id] = span
        except Exception:
            internal_error("record a started span")

    def on_end(self, span: ReadableSpan) -> None:
        try:
            self._keep(span)
        except Exception:
            internal_error("record an ended span")

    def _keep(self, span: ReadableSpan) -> None:
        if span.attributes is None or span.attributes.get(sc.SESSION_ID) is None:
            return
        context = span.context
        with self._lock:
            self._open.pop(context.span_id, None)
            spans = self._ended.get(context.trace_id)
            if spans is None:
                spans = self._ended[context.trace_id] = []
            spans.append(span)
            self._count += 1
            if self._count > self._max_spans:
                self._evict()

    def ended_span(self, trace_id: int, span_id: int) -> ReadableSpan | None:
        """One ended span as it was handed on (newest first: a session's root ends last)."""
        with self._lock:
            for span in reversed(self._ended.get(trace_id, ())):
                if span.context.span_id == span_id:
                    return span
        return None

    def records(self, trace_id: int | str) -> list[SpanRecord]:
        """Every span of one trace seen so far: ended ones as exported, open ones as they are now."""
        key = int(trace_id, 16) if isinstance(trace_id, str) else trace_id
        with self._lock:
            ended = list(self._ended.get(key, ()))
            live = [s for s in self._open.values() if s.context.trace_id == key]
        records = {r.span_id: r for r in map(from_readable_span, ended)}
        for span in live:
            record = from_readable_span(span)
            records.setdefault(record.span_id, record)
        return list(records.values())
