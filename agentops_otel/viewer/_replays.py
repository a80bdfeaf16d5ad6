"""Replay pages as the viewer serves them: rendered once per state of a session, and not even read
again while the source's listing says an ended session is unchanged.

A page is kept under the session's fingerprint (trace, span count, root end, latest span end), so a
running session that records a span gets a new page. For an ended session the listing's summary (end
time, step and LLM call counts) is a cheap sign of change: while it is the same, the cached page is
sent without reading the session's spans again. A source-level "fingerprint of one session" would
give that for running sessions too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import SessionSummary
from ..sources import TraceSource
from ._cache import SizedCache

_PAGE_BYTES = 256 * 1024 * 1024
_KNOWN_IDS = 10_000


@dataclass(frozen=True)
class Replay:
    head: bytes
    rest: bytes  # a bar of links goes between the two halves
    trace_id: str
    session_id: str


def _sign(summary: SessionSummary) -> tuple[object, ...]:
    return (summary.trace_id, summary.end_ns, summary.end_state, summary.steps, summary.llm_calls)


class Replays:
    def __init__(self, source: TraceSource) -> None:
        self.source = source
        self.pages: SizedCache[Replay] = SizedCache(_PAGE_BYTES, lambda r: len(r.head) + len(r.rest))
        self.renders = 0
        self._known: dict[str, tuple[tuple[object, ...], tuple[object, ...]]] = {}  # id -> (sign, page key)
        self._lock = threading.Lock()

    def _unchanged(self, ident: str, summaries: Sequence[SessionSummary]) -> Replay | None:
        with self._lock:
            known = self._known.get(ident)
        if known is None:
            return None
        sign, key = known
        summary = next((s for s in summaries if s.trace_id == sign[0]), None)
        if summary is None or summary.end_ns is None or _sign(summary) != sign:
            return None
        return self.pages.get(key)

    def replay(self, ident: str, summaries: Sequence[SessionSummary]) -> Replay:
        """The page of the session `ident` names; `summaries` a recent listing that may hold it."""
        from .._links import backend_url
        from ..replay.html import fingerprint, render_parts

        found = self._unchanged(ident, summaries)
        if found is not None:
            return found
        session = self.source.session(ident)
        link = backend_url(session)
        key = (session.trace_id, fingerprint(session), link)
        page = self.pages.get(key)
        if page is None:
            head, rest = render_parts(session, backend_url=link)
            page = Replay(head.encode("utf-8"), rest.encode("utf-8"), session.trace_id, session.session_id)
            self.pages.put(key, page)
            with self._lock:
                self.renders += 1
        summary = next((s for s in summaries if s.trace_id == session.trace_id), None)
        if summary is not None and summary.end_ns is not None:
            with self._lock:
                if len(self._known) >= _KNOWN_IDS:
                    self._known.clear()
                self._known[ident] = (_sign(summary), key)
        return page


__all__ = ["Replay", "Replays"]
