"""One streaming pass over OTLP JSON files: every session's summary, and where each trace's lines are.

A file of a million spans is never in memory at once. A first, cheap pass finds the last line that
names each trace id (a regular expression over the raw bytes, no JSON parsing); the second parses one
line at a time and builds each session as soon as its trace's last line has gone by, keeping only its
summary and the lines it came from. A span whose trace was already built (an id the first pass could
not see, e.g. written with escapes) has that trace rebuilt from all its lines at the end, so the answer
is always the one a whole read gives.

`replay ID` then reads only that session's lines: by offset in a plain file, by number in gzip data.
The index of a large single file is kept beside it (`FILE.agentops-index.json`, checked against the
file's size and modification time), so the next command does not read the file again.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..model import Session, SessionSummary, SpanRecord, Usage, summarize
from ._limits import Limits
from ._otlp_file import _lines, iter_lines, read_line
from ._otlp_json import ShapeError, hex_id
from ._select import read_session

_log = logging.getLogger("agentops_otel.sources")
_TRACE_ID = re.compile(rb'"trace_?[iI][dD]"\s*:\s*"([^"\\]{1,64})"')
INDEX_SUFFIX = ".agentops-index.json"
INDEX_MIN_BYTES = 32 * 1024 * 1024  # smaller files are read again quickly: no file is written beside them
_VERSION = 1

Place = tuple[int, int, int, int]  # (file, line number, offset, size); offset -1: a whole document


@dataclass(slots=True)
class TraceEntry:
    """One trace of the files: its summary and the lines its spans are on."""

    summary: SessionSummary
    places: list[Place] = field(default_factory=list)
    order: int = 0  # first appearance: ties in start time sort as a whole read sorts them

    @property
    def session_id(self) -> str:
        return self.summary.session_id

    @property
    def trace_id(self) -> str:
        return self.summary.trace_id


def _stamp(files: list[Path]) -> list[list[Any]]:
    return [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def _last_lines(files: list[Path], limits: Limits) -> dict[str, tuple[int, int]]:
    """The last (file, line) naming each trace id, found without parsing JSON."""
    last: dict[str, tuple[int, int]] = {}
    known: dict[bytes, str | None] = {}
    for index, path in enumerate(files):
        for number, _, line, _ in _lines(path, limits):
            for raw in set(_TRACE_ID.findall(line)):
                if raw not in known:
                    try:
                        known[raw] = hex_id(raw.decode("ascii", "replace"), 16, "traceId")
                    except ShapeError:
                        known[raw] = None
                trace_id = known[raw]
                if trace_id is not None:
                    last[trace_id] = (index, number)
    return last


def build_index(files: list[Path], *, skip_bad_lines: bool, limits: Limits) -> list[TraceEntry]:
    """Every trace of `files` (read in order, as one stream), oldest first as `build_sessions` orders them."""
    last = _last_lines(files, limits)
    pending: dict[str, list[SpanRecord]] = {}
    entries: dict[str, TraceEntry] = {}
    places: dict[str, list[Place]] = {}
    late: set[str] = set()
    order: dict[str, int] = {}
    for index, path in enumerate(files):
        for line in iter_lines(path, skip_bad_lines=skip_bad_lines, limits=limits):
            touched: dict[str, None] = {}  # the line's traces, in order of appearance
            for record in line.records:
                trace_id = record.trace_id
                if trace_id not in pending:
                    if trace_id in entries:
                        late.add(trace_id)
                    pending[trace_id] = []
                    order.setdefault(trace_id, len(order))
                pending[trace_id].append(record)
                touched[trace_id] = None
            here = (index, line.number)
            for trace_id in touched:
                places.setdefault(trace_id, []).append((index, line.number, line.offset, line.size))
                if last.get(trace_id, here) <= here:
                    _finish(trace_id, pending, entries, places, order, late)
    for trace_id in list(pending):  # a last line that was skipped as unreadable
        _finish(trace_id, pending, entries, places, order, late)
    for trace_id in late:  # seen again after it was built: build it from every line it is on
        records = [r for p in places[trace_id] for r in _reread(files, p, limits) if r.trace_id == trace_id]
        entries[trace_id] = TraceEntry(summarize(read_session(records)), places[trace_id], order[trace_id])
    if late:
        _log.debug("%d traces were rebuilt from all their lines", len(late))
    return sorted(entries.values(), key=lambda e: (e.summary.start_ns, e.order))


def _finish(
    trace_id: str,
    pending: dict[str, list[SpanRecord]],
    entries: dict[str, TraceEntry],
    places: dict[str, list[Place]],
    order: dict[str, int],
    late: set[str],
) -> None:
    records = pending.pop(trace_id)
    if trace_id not in late:
        entries[trace_id] = TraceEntry(summarize(read_session(records)), places[trace_id], order[trace_id])


def _reread(files: list[Path], place: Place, limits: Limits) -> list[SpanRecord]:
    index, number, offset, size = place
    if offset < 0:  # a whole document: read it again
        return [r for line in iter_lines(files[index], limits=limits) for r in line.records]
    return read_line(files[index], number, offset, size, limits)


def session_of(files: list[Path], entry: TraceEntry, limits: Limits) -> Session:
    """One session, read from its own lines only."""
    records = [r for p in entry.places for r in _reread(files, p, limits) if r.trace_id == entry.trace_id]
    return read_session(records)


# The index beside a large file.


def index_path(path: Path) -> Path:
    return path.with_name(path.name + INDEX_SUFFIX)


def summary_of(data: dict[str, Any]) -> SessionSummary:
    """`SessionSummary.to_dict()` read back (every field it writes; `duration` is derived)."""
    values = {f.name: data[f.name] for f in fields(SessionSummary) if f.name in data}
    values["tags"] = tuple(values["tags"])
    values["usage"] = Usage(**values["usage"])
    return SessionSummary(**values)


def load_index(files: list[Path]) -> list[TraceEntry] | None:
    """The index kept beside a single large file, when it is there and still matches the file."""
    if len(files) != 1:
        return None
    try:
        with index_path(files[0]).open() as file:
            data = json.load(file)
        if data.get("version") != _VERSION or data.get("stamp") != _stamp(files):
            return None
        return [
            TraceEntry(summary_of(e["summary"]), [tuple(p) for p in e["places"]], n)  # type: ignore[misc]
            for n, e in enumerate(data["traces"])
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, stale or damaged: read the file again


def save_index(files: list[Path], entries: Iterable[TraceEntry]) -> None:
    """Keep the index beside a single file of INDEX_MIN_BYTES or more; quietly nothing where that
    cannot be written (a read-only folder)."""
    if len(files) != 1 or files[0].stat().st_size < INDEX_MIN_BYTES:
        return
    target = index_path(files[0])
    data = {
        "version": _VERSION,
        "stamp": _stamp(files),
        "traces": [{"summary": e.summary.to_dict(), "places": e.places} for e in entries],
    }
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        # dumps, not dump: json.dump always takes the pure-Python encoder (1.3 s for 100,000 spans' index).
        temporary.write_text(json.dumps(data, separators=(",", ":")))
        os.replace(temporary, target)
    except OSError as exc:
        _log.debug("no index beside %s: %s", files[0], exc)
        temporary.unlink(missing_ok=True)
