"""OTLP JSON files: the OpenTelemetry Collector file exporter's output (one `TracesData` per line)
or a single JSON document, plain or gzip-compressed; a directory reads every such file in it.
Jaeger JSON downloads (`{"data": [trace, ...]}`) are read too.

    source = OtlpFileSource("traces.jsonl.gz")
    source.session("3f2a")   # by session id, trace id, or a unique prefix
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SourceError
from ..model import Session, SessionSummary, SpanRecord
from ._limits import Inflater, Limits
from ._otlp_json import ShapeError, iter_records, parse_json
from ._select import matches, newest_first, pick

if TYPE_CHECKING:
    from ._otlp_index import TraceEntry

_log = logging.getLogger("agentops_otel.sources")
_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
_CHUNK = 1024 * 1024


def _chunks(path: Path, limits: Limits) -> Iterator[bytes]:
    """The file's bytes in chunks, gzip expanded (within the limit) when it is gzip."""
    try:
        with path.open("rb") as file:
            first = file.read(_CHUNK)
            inflater = Inflater(str(path), limits) if first[:2] == b"\x1f\x8b" else None
            chunk = first
            while chunk:
                yield inflater.feed(chunk) if inflater is not None else chunk
                chunk = file.read(_CHUNK)
            if inflater is not None:
                yield inflater.end()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc}); check the path") from None


def _lines(path: Path, limits: Limits) -> Iterator[tuple[int, int, bytes, bool]]:
    """(number, offset, line, ended by a newline) for each line; `offset` counts bytes of the file (of
    its expanded data when gzip). A line over the size limit is an error."""
    pending, number, base = bytearray(), 0, 0
    for chunk in _chunks(path, limits):
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            number += 1
            yield number, base + start, bytes(pending[start:end]), True
            start = end + 1
        del pending[:start]
        base += start
        if len(pending) > limits.max_bytes:
            raise limits.too_big(f"{path} line {number + 1}", "a line")
    if pending:
        yield number + 1, base, bytes(pending), False


def _text(line: bytes, where: str) -> str:
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{where}: not UTF-8 text at byte {exc.start}; is it an OTLP JSON file?") from None


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _records(doc: Any, where: str) -> list[SpanRecord]:
    if isinstance(doc, dict) and ("data" in doc or "traceID" in doc):
        # A Jaeger JSON download ("Download results" in the Jaeger UI, or an /api/traces answer).
        from ._jaeger import traces_from_response

        return [record for trace in traces_from_response(doc, where) for record in trace]
    try:
        return list(iter_records(doc))
    except ShapeError as exc:
        raise SourceError(f"{where}: {exc}") from None


def _whole_document(path: Path, limits: Limits, *, strict: bool) -> list[SpanRecord] | None:
    """The file as one JSON document; None when it is not valid JSON (it may be JSON Lines), or with
    `strict` the error that says where it broke."""
    data = bytearray()
    for chunk in _chunks(path, limits):
        data += chunk
        if len(data) > limits.max_bytes:
            raise limits.too_big(str(path), "a JSON document")
    text = _text(bytes(data), str(path))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        if not strict:
            return None
        doc = parse_json(text, str(path))
    except (ValueError, RecursionError):  # too deep, or a number past the digit limit: parse_json names where
        doc = parse_json(text, str(path))
    return _records(doc, str(path))


def read_records(
    path: str | os.PathLike[str], *, skip_bad_lines: bool = False, limits: Limits | None = None
) -> list[SpanRecord]:
    """Every span in one OTLP JSON file. Raises SourceError naming the file and line that broke.

    JSON Lines (the Collector's file exporter), else one document. A last line without its newline
    that does not parse is a line still being written: skipped with a warning. Any other bad line is
    an error, unless `skip_bad_lines`, which skips each and warns once with their count.
    """
    return [r for line in iter_lines(path, skip_bad_lines=skip_bad_lines, limits=limits) for r in line.records]


@dataclass(frozen=True, slots=True)
class Line:
    """The spans of one line of a file; `offset` -1 for a whole document (not a line to seek to)."""

    number: int
    offset: int
    size: int
    records: list[SpanRecord]


def iter_lines(
    path: str | os.PathLike[str], *, skip_bad_lines: bool = False, limits: Limits | None = None
) -> Iterator[Line]:
    """`read_records`, one line at a time: a file of a million spans is never in memory at once."""
    path, limits = Path(path), limits or Limits.from_env()
    lines = _lines(path, limits)
    first = next(((n, at, line, ended) for n, at, line, ended in lines if line.strip()), None)
    if first is None:
        return  # the Collector creates the file before the first batch arrives
    try:
        first_doc = json.loads(_text(first[2], str(path)))
    except (ValueError, RecursionError):
        # A pretty-printed document spans many lines; JSON Lines with a bad first line have a good second.
        second = next((line for _, _, line, _ in lines if line.strip()), None)
        whole = _whole_document(path, limits, strict=second is None or not _is_json(second))
        if whole is not None:
            yield Line(1, -1, 0, whole)
            return
        lines = _lines(path, limits)
        parsed: list[tuple[int, int, bytes, bool, Any]] = []
    else:
        parsed = [(*first, first_doc)]
    skipped: list[int] = []
    for number, offset, line, ended, doc in itertools.chain(parsed, ((*item, None) for item in lines)):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            if doc is None:
                try:
                    doc = parse_json(_text(line, where), where)
                except SourceError:
                    if ended:
                        raise
                    _log.warning("%s: skipped an incomplete last line (the file may still be being written)", where)
                    continue
            records = _records(doc, where)
        except SourceError as exc:
            if not skip_bad_lines:
                raise SourceError(f"{exc} (--skip-bad-lines reads the other lines)") from None
            skipped.append(number)
            continue
        if records:
            yield Line(number, offset, len(line), records)
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
        _log.warning("%s: skipped %d unreadable line%s (%s)", path, len(skipped), "s"[: len(skipped) > 1], shown)


def read_line(path: Path, number: int, offset: int, size: int, limits: Limits) -> list[SpanRecord]:
    """The spans of one line read again: by its offset in a plain file, by its number in gzip data."""
    where = f"{path} line {number}"
    try:
        with path.open("rb") as file:
            gzipped = file.read(2) == b"\x1f\x8b"
            if not gzipped:
                file.seek(offset)
                data = file.read(size)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc}); check the path") from None
    if gzipped:
        data = next((line for n, _, line, _ in _lines(path, limits) if n == number), b"")
    if len(data) != size:
        raise SourceError(f"{where}: the file changed while it was read; read it again")
    return _records(parse_json(_text(data, where), where), where)


class OtlpFileSource:
    """Sessions from an OTLP JSON file (or a directory of them), re-read when a file changes.

    Read in one streaming pass (`_otlp_index`): summaries of every session and where each trace's
    lines are, so `session()` reads only that session's lines. The index of a large file is kept
    beside it, for the next process.
    """

    def __init__(self, path: str | os.PathLike[str], *, skip_bad_lines: bool = False) -> None:
        self.path = Path(path)
        self.skip_bad_lines = skip_bad_lines
        self.description = f"file:{self.path}"
        self.limits = Limits.from_env()
        self._stamp: tuple[tuple[str, float, int], ...] | None = None
        self._files: list[Path] = []
        self._entries: list[TraceEntry] = []
        self._lock = threading.Lock()  # the viewer reads from many threads; index a changed file once

    def _list_files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES))
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file; give the path of an OTLP JSON file")
        return [self.path]

    def _load(self) -> list[TraceEntry]:
        from ._otlp_index import build_index, load_index, save_index

        with self._lock:
            files = self._list_files()
            try:
                stamp = tuple((str(p), p.stat().st_mtime, p.stat().st_size) for p in files)
            except OSError as exc:
                raise SourceError(f"{exc.filename}: cannot read ({exc.strerror})") from None
            if stamp != self._stamp:
                entries = None if self.skip_bad_lines else load_index(files)
                if entries is None:
                    entries = build_index(files, skip_bad_lines=self.skip_bad_lines, limits=self.limits)
                    if not self.skip_bad_lines:
                        save_index(files, entries)
                self._files, self._entries, self._stamp = files, entries, stamp
            return self._entries

    def _matching(
        self, since_ns: int | None, tags: Sequence[str], status: str | None, service: str | None
    ) -> Iterator[SessionSummary]:
        for entry in self._load():
            if matches(entry.summary, since_ns=since_ns, tags=tags, status=status, service=service):
                yield entry.summary

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        return newest_first(self._matching(since_ns, tags, status, service), limit)

    def iter_sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
    ) -> Iterator[SessionSummary]:
        """Every matching session, oldest first."""
        yield from self._matching(since_ns, tags, status, service)

    def session(self, ident: str) -> Session:
        from ._otlp_index import session_of

        entry = pick(self._load(), ident, self.description)
        return session_of(self._files, entry, self.limits)
