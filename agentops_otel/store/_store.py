"""LocalStore: span records in one SQLite file, with a sessions table kept up to date as spans arrive."""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import _liveness
from .. import semconv as sc
from .._states import CRASHED, OPEN, derived_end_state, parse_status
from ..errors import ConfigurationError
from ..model import SessionSummary, SpanRecord, Usage
from ._codec import RECORD_COLUMNS, SPAN_COLUMNS, UNREADABLE, from_row, to_row
from ._schema import DEFAULT_BUSY_TIMEOUT_S, connect, schema_exists, translated_errors

_INSERT_SPAN = f"INSERT OR REPLACE INTO spans ({', '.join(SPAN_COLUMNS)}) VALUES ({', '.join('?' * len(SPAN_COLUMNS))})"
# A trace becomes a session row once it has a span that is ours, carries session.id, or is a GenAI step.
_UPSERT_SESSION = """
INSERT INTO sessions (trace_id, session_id, start_ns, service) VALUES (?, ?, ?, ?)
ON CONFLICT (trace_id) DO UPDATE SET
    session_id = CASE WHEN root_span_id IS NULL AND session_id = trace_id
                      THEN excluded.session_id ELSE session_id END,
    start_ns = CASE WHEN root_span_id IS NULL THEN min(start_ns, excluded.start_ns) ELSE start_ns END,
    service = coalesce(service, excluded.service)
"""
# A session span of ours is always the root; a parentless span only stands in until there is one.
_SET_ROOT = """
UPDATE sessions SET root_span_id = ?, session_id = ?, name = ?, start_ns = ?, end_ns = ?, end_state = ?,
    end_state_explicit = ?, end_state_reason = ?, tags = ?, service = coalesce(?, service)
WHERE trace_id = ? AND (? OR root_span_id IS NULL OR root_span_id = ?)
"""
# Traces of other instrumentations carry no end state: a failed direct child of the root fails them, as
# `_states.derived_end_state` says (a test checks the store against the model on the same traces).
# As `model._failure.failed_at_top`: a span right under the root failed, looking through the spans
# that only group steps (step kind 'other': chains, turns) and did not fail themselves.
_DERIVE_FAIL = """
UPDATE sessions SET end_state = 'Fail'
WHERE trace_id = ?1 AND end_state_explicit = 0 AND end_ns IS NOT NULL AND end_state IS NOT 'Fail'
  AND EXISTS (
    WITH RECURSIVE top(span_id, step_kind, failed) AS (
      SELECT span_id, step_kind, failed FROM spans WHERE trace_id = ?1
        AND parent_span_id = (SELECT root_span_id FROM sessions WHERE trace_id = ?1)
      UNION
      SELECT spans.span_id, spans.step_kind, spans.failed FROM spans JOIN top ON spans.parent_span_id = top.span_id
      WHERE spans.trace_id = ?1 AND top.step_kind = 'other' AND top.failed = 0
    )
    SELECT 1 FROM top WHERE failed = 1
  )
"""
_FIND_ROOT = f"""
SELECT {", ".join(RECORD_COLUMNS)} FROM spans
WHERE trace_id = ? AND (step_kind = 'session' OR parent_span_id IS NULL)
ORDER BY step_kind = 'session' DESC, start_ns LIMIT 1
"""
_LISTABLE_SPAN = "SELECT 1 FROM spans WHERE trace_id = ? AND (session_id IS NOT NULL OR step_kind != 'other') LIMIT 1"


# Positions of the derived columns in a row from to_row().
_SESSION_ID, _STEP_KIND, _FAILED = (SPAN_COLUMNS.index(c) for c in ("session_id", "step_kind", "failed"))


def _is_listable(row: tuple[Any, ...]) -> bool:
    return row[_SESSION_ID] is not None or row[_STEP_KIND] != "other"


def _is_root(record: SpanRecord, row: tuple[Any, ...]) -> bool:
    return row[_STEP_KIND] == "session" or record.parent_span_id is None


def _service(record: SpanRecord) -> str | None:
    value = record.resource.get(sc.SERVICE_NAME)
    return None if value is None else str(value)


def _root_values(root: SpanRecord) -> tuple[Any, ...]:
    attrs = root.attributes
    explicit = attrs.get(sc.AGENTOPS_SESSION_END_STATE)
    # From the root alone; a failed step under a root without an end state is applied by _DERIVE_FAIL.
    crashed = attrs.get(sc.AGENTOPS_SESSION_CRASHED) is True
    end_state = derived_end_state(explicit, root.end_ns is not None, root.status_code, crashed=crashed)
    reason = attrs.get(sc.AGENTOPS_SESSION_END_STATE_REASON) or root.status_message
    return (
        root.span_id,
        str(attrs.get(sc.SESSION_ID) or root.trace_id),
        str(attrs.get(sc.AGENTOPS_SESSION_NAME) or root.name),
        root.start_ns,
        root.end_ns,
        end_state,
        int(bool(explicit)),
        str(reason) if reason else None,
        json.dumps([str(t) for t in attrs.get(sc.AGENTOPS_SESSION_TAGS) or ()]),
        _service(root),
        root.trace_id,
        attrs.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION,
        root.span_id,
    )


class LocalStore:
    """One store file. Safe to share between threads (one lock) and between processes (SQLite WAL).

    `create=False` opens for reading only what exists: a missing file raises StoreError, an empty
    file reads as a store with nothing recorded.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        self.path = Path(path)
        self._conn = connect(self.path, create=create, busy_timeout_s=busy_timeout_s)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has_schema(self) -> bool:
        return schema_exists(self._conn)

    # Writing

    def write(self, records: Iterable[SpanRecord]) -> int:
        """Store spans in one transaction (a span stored again replaces its earlier copy)."""
        records = list(records)
        rows = [to_row(r) for r in records]
        if not rows:
            return 0
        by_trace: dict[str, list[tuple[SpanRecord, tuple[Any, ...]]]] = defaultdict(list)
        for record, row in zip(records, rows, strict=True):
            by_trace[record.trace_id].append((record, row))
        with self._lock, translated_errors(self.path, "writing spans"):
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                known = self._known_traces(list(by_trace))
                conn.executemany(_INSERT_SPAN, rows)
                for trace_id, items in by_trace.items():
                    self._update_session(trace_id, items, trace_id in known)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT may already have ended it
                    conn.execute("ROLLBACK")
                raise
        return len(rows)

    def _known_traces(self, trace_ids: list[str]) -> set[str]:
        known: set[str] = set()
        for i in range(0, len(trace_ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = trace_ids[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT trace_id FROM sessions WHERE trace_id IN ({marks})"
            known.update(r[0] for r in self._conn.execute(sql, chunk))
        return known

    def _update_session(self, trace_id: str, items: list[tuple[SpanRecord, tuple[Any, ...]]], known: bool) -> None:
        conn = self._conn
        roots = [r for r, row in items if _is_root(r, row)]
        roots.sort(key=lambda r: (r.attributes.get(sc.AGENTOPS_SPAN_TYPE) != sc.SpanTypeValues.SESSION,))
        listable = known or any(_is_listable(row) for _, row in items)
        if not listable and roots:  # a root that arrives after its GenAI children were stored
            listable = conn.execute(_LISTABLE_SPAN, (trace_id,)).fetchone() is not None
        if not listable:
            return
        first = min(items, key=lambda item: item[0].start_ns)[0]
        session_id = next((row[_SESSION_ID] for _, row in items if row[_SESSION_ID]), None) or trace_id
        conn.execute(_UPSERT_SESSION, (trace_id, session_id, first.start_ns, _service(first)))
        root = roots[0] if roots else None
        if root is None and not known:  # the root may have been stored before the trace was listable
            found = conn.execute(_FIND_ROOT, (trace_id,)).fetchone()
            root = from_row(found) if found else None
        if root is not None:
            conn.execute(_SET_ROOT, _root_values(root))
        if root is not None or any(row[_FAILED] or row[_STEP_KIND] == "other" for _, row in items):
            conn.execute(_DERIVE_FAIL, (trace_id,))

    # Reading

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        """Sessions newest first; filters combine with AND. `status` is an end state or "open"."""
        if limit is not None and limit < 1:
            raise ConfigurationError(f"limit must be at least 1, not {limit}")
        where, args = _filters(since_ns, tags, status, service)
        with self._lock, translated_errors(self.path, "listing sessions"):
            if not self._has_schema():
                return []
            bound = [*args, limit] if limit is not None else args
            self._conn.execute("BEGIN")  # one snapshot for the rows and the open ones' liveness
            try:
                rows = self._conn.execute(_listing_sql(where, limit is not None), bound).fetchall()
                crashes = self._crashes(rows, _ROOT, _END_STATE)
            finally:
                self._conn.execute("COMMIT")
        return _kept([_summary(row, crashes.get(row[0])) for row in rows], status)

    def iter_sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
    ) -> Iterator[SessionSummary]:
        """Every matching session, in no particular order, with what a gate rates (end state, cost, LLM
        calls) summed in SQL: usage is left out (zero) and steps unknown (None). One statement, so one
        snapshot, read a thousand rows at a time (the lock held for each fetch, not between them):
        100,000 sessions are never all in memory."""
        where, args = _filters(since_ns, tags, status, service)
        with self._lock, translated_errors(self.path, "listing sessions"):
            if not self._has_schema():
                return
            cursor = self._conn.execute(_GATE_LISTING.format(where=_where(where)), args)
        while True:
            with self._lock, translated_errors(self.path, "listing sessions"):
                rows = cursor.fetchmany(1000)
                crashes = self._crashes(rows, _GATE_ROOT, _END_STATE)
            if not rows:
                return
            yield from _kept([_gate_summary(row, crashes.get(row[0])) for row in rows], status)

    def _crashes(self, rows: Sequence[tuple[Any, ...]], root_at: int, state_at: int) -> dict[str, str]:
        """Why each open session of `rows` is crashed (its writer, named on its root, is gone or long
        silent), by trace id; the lock held. Open sessions are few: two lookups each."""
        found: dict[str, str] = {}
        for row in rows:
            if row[state_at] is None and (reason := self._crash(row[0], row[root_at])) is not None:
                found[row[0]] = reason
        return found

    def _crash(self, trace_id: str, root_span_id: str | None) -> str | None:
        sql = f"SELECT {', '.join(RECORD_COLUMNS)} FROM spans WHERE trace_id = ? AND span_id = ?"
        root = self._conn.execute(sql, (trace_id, root_span_id)).fetchone() if root_span_id else None
        attributes = from_row(root).attributes if root else {}
        (last,) = self._conn.execute(
            "SELECT max(max(start_ns, coalesce(end_ns, 0))) FROM spans WHERE trace_id = ?", (trace_id,)
        ).fetchone()
        return _liveness.crash_reason(attributes, last)

    def find(self, ident: str) -> list[tuple[str, str]]:
        """(trace_id, session_id) of the traces whose session id or trace id is or starts with `ident`.

        An exact match wins over prefix matches. Traces with no session row (no GenAI spans) are
        found by trace id too.
        """
        ident = ident.strip()
        if not ident:
            return []
        lowered = ident.lower()
        upper = ident + "\U0010ffff"
        with self._lock, translated_errors(self.path, "looking up a session"):
            if not self._has_schema():
                return []
            conn = self._conn
            exact = conn.execute(
                "SELECT trace_id, session_id FROM sessions WHERE session_id = ? OR trace_id = ?",
                (ident, lowered),
            ).fetchall()
            if exact:
                return sorted(set(exact))
            found = conn.execute(
                "SELECT trace_id, session_id FROM sessions WHERE (session_id >= ? AND session_id < ?)"
                " OR (trace_id >= ? AND trace_id < ?)",
                (ident, upper, lowered, lowered + "\U0010ffff"),
            ).fetchall()
            if found:
                return sorted(set(found))
            traces = conn.execute(
                "SELECT DISTINCT trace_id FROM spans WHERE trace_id >= ? AND trace_id < ? LIMIT 50",
                (lowered, lowered + "\U0010ffff"),
            ).fetchall()
            return [(t, t) for (t,) in traces]

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """All stored spans of one trace, in start order."""
        sql = f"SELECT {', '.join(RECORD_COLUMNS)} FROM spans WHERE trace_id = ? ORDER BY start_ns"
        with self._lock, translated_errors(self.path, "reading a trace"):
            if not self._has_schema():
                return []
            rows = self._conn.execute(sql, (trace_id,)).fetchall()
            return [from_row(row) for row in rows]

    def span_count(self) -> int:
        with self._lock, translated_errors(self.path, "counting spans"):
            if not self._has_schema():
                return 0
            return int(self._conn.execute("SELECT count(*) FROM spans").fetchone()[0])


@functools.lru_cache(maxsize=1024)  # a listing's sessions mostly share a few tag sets
def _tags(cell: Any) -> tuple[str, ...]:
    try:
        tags = json.loads(cell)
    except (TypeError, ValueError, RecursionError):
        return (UNREADABLE,)
    return tuple(str(t) for t in tags) if isinstance(tags, list) else (UNREADABLE,)


def _filters(
    since_ns: int | None, tags: Sequence[str], status: str | None, service: str | None
) -> tuple[list[str], list[Any]]:
    """WHERE conditions on the sessions table, and their arguments."""
    where: list[str] = []
    args: list[Any] = []
    if since_ns is not None:
        where.append("start_ns >= ?")
        args.append(since_ns)
    for tag in tags:
        where.append(  # json_valid first: one garbled tags cell must not fail the whole listing
            "json_valid(sessions.tags) AND EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE json_each.value = ?)"
        )
        args.append(tag)
    if status is not None:
        canonical = parse_status(status)
        if canonical == OPEN:
            where.append("end_state IS NULL")  # less those whose writer is gone (`_kept`)
        elif canonical == CRASHED:  # killed by a signal, or open with its writer gone (`_kept`)
            where.append("(end_state = 'Crashed' OR end_state IS NULL)")
        else:
            where.append("end_state = ?")
            args.append(canonical)
    if service is not None:
        where.append("service = ?")
        args.append(service)
    return where, args


# Sessions with their totals, summed in one pass over their spans. As in the
# Session model: our session root is never an LLM step; another instrumentation's root that is an LLM
# call stands in for the session and counts. A cost on any other step is one the application gave
# (`@tool(cost=...)`): it counts toward the cost, not the calls. Steps: every span but the root, and the
# root too when it is another instrumentation's step (not a session span of ours, not "other");
# without a root yet, a span stands in for it and counts.
_LISTING = """
WITH page AS (
    SELECT trace_id, session_id, name, start_ns, end_ns, end_state, end_state_reason, tags, service, root_span_id
    FROM sessions {where} {order} {limit}
)
SELECT page.*,
    total(spans.step_kind = 'llm'),
    total(CASE WHEN spans.step_kind = 'llm' THEN spans.input_tokens END),
    total(CASE WHEN spans.step_kind = 'llm' THEN spans.output_tokens END),
    total(CASE WHEN spans.step_kind = 'llm' THEN spans.cache_read_tokens END),
    total(CASE WHEN spans.step_kind = 'llm' THEN spans.cache_write_tokens END),
    total(CASE WHEN spans.step_kind = 'llm' THEN spans.reasoning_tokens END),
    total(CASE WHEN spans.step_kind != 'session' THEN spans.cost_usd END),
    min(CASE WHEN spans.step_kind = 'llm' THEN spans.priced END),
    count(spans.span_id),
    total(spans.span_id = page.root_span_id AND spans.step_kind NOT IN ('session', 'other'))
FROM page LEFT JOIN spans ON spans.trace_id = page.trace_id
GROUP BY page.trace_id
{outer}
"""


# What the gate rates, and no more: summing tokens it never reads doubled the time over 100,000 sessions.
_GATE_LISTING = """
SELECT s.trace_id, s.session_id, s.name, s.start_ns, s.end_ns, s.end_state, s.end_state_reason, s.tags, s.service,
    s.root_span_id,
    total(spans.step_kind = 'llm'),
    total(CASE WHEN spans.step_kind != 'session' THEN spans.cost_usd END),
    min(CASE WHEN spans.step_kind = 'llm' THEN spans.priced END)
FROM (SELECT * FROM sessions {where}) AS s LEFT JOIN spans ON spans.trace_id = s.trace_id
GROUP BY s.trace_id
"""


def _where(conditions: Sequence[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _listing_sql(where: Sequence[str], limited: bool) -> str:
    """Newest first, the newest `?` when `limited`."""
    return _LISTING.format(
        where=_where(where),
        order="ORDER BY start_ns DESC, trace_id",
        limit="LIMIT ?" if limited else "",
        outer="ORDER BY page.start_ns DESC, page.trace_id",
    )


# Where the listings' rows hold what crash judging needs.
_END_STATE, _ROOT, _GATE_ROOT = 5, 9, 9


def _kept(listed: list[SessionSummary], status: str | None) -> list[SessionSummary]:
    """`listed` less what the SQL filter could not tell: open ones that crashed, or the other way."""
    if status is None or (wanted := parse_status(status)) not in (OPEN, CRASHED):
        return listed
    return [s for s in listed if (s.end_state == CRASHED) == (wanted == CRASHED)]


def _gate_summary(row: tuple[Any, ...], crash: str | None = None) -> SessionSummary:
    trace_id, session_id, name, start_ns, end_ns, end_state, reason, tags, service, _root = row[:10]
    calls, cost, all_priced = row[10:]
    if crash is not None:  # open, and its writer is gone
        end_state, reason = CRASHED, crash
    complete = calls == 0 or bool(all_priced)
    return SessionSummary(
        session_id,
        trace_id,
        name or session_id,
        start_ns,
        end_ns,
        end_state,
        _tags(tags),
        service,
        float(cost) if complete else None,
        complete,
        int(calls),
        _NO_USAGE,
        reason,
    )


_NO_USAGE = Usage()


def _summary(row: tuple[Any, ...], crash: str | None = None) -> SessionSummary:
    trace_id, session_id, name, start_ns, end_ns, end_state, reason, tags, service, root = row[:10]
    if crash is not None:  # open, and its writer is gone
        end_state, reason = CRASHED, crash
    calls, inp, out, cache_read, cache_write, reasoning, cost, all_priced, spans, root_is_step = row[10:]
    steps = int(spans) if root is None else int(spans) - 1 + int(root_is_step)
    complete = calls == 0 or bool(all_priced)
    return SessionSummary(
        session_id=session_id,
        trace_id=trace_id,
        name=name or session_id,
        start_ns=start_ns,
        end_ns=end_ns,
        end_state=end_state,
        tags=_tags(tags),
        service=service,
        cost=float(cost) if complete else None,
        cost_complete=complete,
        llm_calls=int(calls),
        usage=Usage(int(inp), int(out), int(cache_read), int(cache_write), int(reasoning)),
        end_state_reason=reason,
        steps=steps,
    )
