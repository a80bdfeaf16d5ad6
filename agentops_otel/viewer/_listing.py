"""The session list over any TraceSource: search (by id prefix, name, tag, and text inside steps),
sort, pages, and a session's neighbours in that order.

The sources offer filtered, newest-first listings and sessions by id; everything else happens here
(a source-level search, sort and offset would spare reading every matching summary, and reading
sessions to search their steps). Listings are reused for a couple of seconds while someone pages and
sorts; the text of each ended session's steps is kept once read, and a running one is always re-read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._states import status_of
from ..errors import SessionNotFoundError
from ..model import Session, SessionSummary
from ..sources import TraceSource
from ._cache import Recent, SizedCache
from ._query import Filters, ListQuery

_HAYSTACK_BYTES = 64 * 1024 * 1024
_STEP_TEXT = 20_000  # characters of one step searched (its name, input, output and error)
_SNIPPET = 48


@dataclass(frozen=True)
class Match:
    """Where a search found a session: its id, name, tags, or a step (with a snippet around the text)."""

    where: str
    text: str
    step: int | None = None


@dataclass(frozen=True)
class Page:
    rows: list[tuple[SessionSummary, Match | None]]
    total: int  # sessions on all pages
    page: int
    pages: int
    candidates: int  # sessions the filters let through, before the search
    unsearched: int  # sessions whose steps a text search did not read (past its scan limit)


def _content_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def haystack(session: Session) -> list[tuple[int, str, str]]:
    """(step number, step name, the step's searchable text) per step."""
    found = []
    for number, step in enumerate(session.steps, start=1):
        parts = [step.name, step.kind, step.span_name, step.model or "", str(step.error or "")]
        parts += [_content_text(step.params), _content_text(step.returns)]
        found.append((number, step.name, "\n".join(parts)[:_STEP_TEXT]))
    return found


def _snippet(text: str, at: int, length: int) -> str:
    start = max(0, at - _SNIPPET)
    piece = " ".join(text[start : at + length + _SNIPPET].split())
    return ("\u2026" if start else "") + piece + ("\u2026" if at + length + _SNIPPET < len(text) else "")


def _summary_match(summary: SessionSummary, needle: str) -> Match | None:
    lowered = needle.lower()
    if summary.session_id.startswith(needle) or summary.trace_id.startswith(lowered):
        return Match("id", summary.session_id)
    if lowered in summary.name.lower():
        return Match("name", summary.name)
    tags = [t for t in summary.tags if lowered in t.lower()]
    if tags:
        return Match("tag", tags[0])
    if summary.end_state_reason and lowered in summary.end_state_reason.lower():
        return Match("reason", summary.end_state_reason)
    return None


def _sort_key(sort: str) -> Callable[[SessionSummary], Any]:
    keys: dict[str, Callable[[SessionSummary], Any]] = {
        "start": lambda s: s.start_ns,
        "duration": lambda s: s.duration,
        "cost": lambda s: s.cost,
        "tokens": lambda s: s.usage.total_tokens,
        "steps": lambda s: s.steps,
        "llm_calls": lambda s: s.llm_calls,
        "status": lambda s: status_of(s.end_state).lower(),
        "name": lambda s: s.name.lower(),
        "tags": lambda s: ",".join(s.tags).lower() or None,
        "service": lambda s: (s.service or "").lower() or None,
    }
    return keys[sort]


def ordered(summaries: list[SessionSummary], sort: str, descending: bool) -> list[SessionSummary]:
    """Sorted by one column; sessions without that figure (running, unpriced, untagged) come last."""
    key = _sort_key(sort)
    known = [s for s in summaries if key(s) is not None]
    unknown = [s for s in summaries if key(s) is None]
    # Ties keep the newest first, in either order.
    known.sort(key=lambda s: -s.start_ns)
    known.sort(key=key, reverse=descending)
    return known + unknown


class Listing:
    """Sessions of one source as the viewer lists them."""

    def __init__(self, source: TraceSource, *, reuse_seconds: float = 2.0) -> None:
        self.source = source
        self._listings: Recent[list[SessionSummary]] = Recent(reuse_seconds)
        self._haystacks: SizedCache[list[tuple[int, str, str]]] = SizedCache(
            _HAYSTACK_BYTES, lambda h: sum(len(t) for _, _, t in h) + 64 * len(h)
        )

    def summaries(self, filters: Filters) -> list[SessionSummary]:
        return self._listings.get_or_make(filters, lambda: self.source.sessions(**filters.source_arguments()))

    def _haystack(self, summary: SessionSummary) -> list[tuple[int, str, str]] | None:
        # An ended session is kept by what would change if spans arrived late; a running one is re-read.
        key = None if summary.end_ns is None else (summary.trace_id, summary.end_ns, summary.steps, summary.llm_calls)
        found = self._haystacks.get(key) if key else None
        if found is None:
            try:
                found = haystack(self.source.session(summary.trace_id))
            except SessionNotFoundError:  # gone since it was listed
                return None
            if key:
                self._haystacks.put(key, found)
        return found

    def _search(
        self, summaries: list[SessionSummary], needle: str, scan: int
    ) -> tuple[list[tuple[SessionSummary, Match]], int]:
        """The sessions a search finds, and how many it could not look inside (past `scan`, newest first)."""
        lowered = needle.lower()
        found, scanned, skipped = [], 0, 0
        for summary in summaries:  # newest first, as the source lists them
            match = _summary_match(summary, needle)
            if match is None and scanned >= scan:
                skipped += 1
            elif match is None:
                scanned += 1
                for number, name, text in self._haystack(summary) or ():
                    at = text.lower().find(lowered)
                    if at >= 0:
                        match = Match(f"step {number} ({name})", _snippet(text, at, len(needle)), number)
                        break
            if match is not None:
                found.append((summary, match))
        return found, skipped

    def matching(self, query: ListQuery) -> tuple[list[tuple[SessionSummary, Match | None]], int, int]:
        """(sorted rows, sessions the filters let through, sessions whose steps a search did not read)."""
        summaries = self.summaries(query.filters)
        if not query.search:
            return [(s, None) for s in ordered(summaries, query.sort, query.descending)], len(summaries), 0
        found, skipped = self._search(summaries, query.search, query.scan)
        matches = {s.trace_id: m for s, m in found}
        rows: list[tuple[SessionSummary, Match | None]] = [
            (s, matches[s.trace_id]) for s in ordered([s for s, _ in found], query.sort, query.descending)
        ]
        return rows, len(summaries), skipped

    def page(self, query: ListQuery) -> Page:
        rows, candidates, unsearched = self.matching(query)
        pages = max(1, math.ceil(len(rows) / query.per_page))
        number = min(query.page, pages)
        start = (number - 1) * query.per_page
        return Page(rows[start : start + query.per_page], len(rows), number, pages, candidates, unsearched)

    def neighbours(self, query: ListQuery, trace_id: str) -> tuple[SessionSummary | None, SessionSummary | None, int]:
        """The sessions before and after this one in the list's order, and the page it is on (1 if absent)."""
        rows, _, _ = self.matching(query)
        ids = [s.trace_id for s, _ in rows]
        if trace_id not in ids:
            return None, None, 1
        at = ids.index(trace_id)
        before = rows[at - 1][0] if at > 0 else None
        after = rows[at + 1][0] if at + 1 < len(rows) else None
        return before, after, at // query.per_page + 1


__all__ = ["Listing", "Match", "Page", "haystack", "ordered"]
