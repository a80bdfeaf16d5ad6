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
from pathlib import Path
from typing import Any

from ..cost import price_records
from ..errors import SourceError
from ..model import Session, SessionSummary, SpanRecord, build_sessions, summarize
from ._limits import Inflater, Limits
from ._otlp_json import ShapeError, iter_records, parse_json
from ._select import matches, newest_first, pick

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


def _lines(path: Path, limits: Limits) -> Iterator[tuple[int, bytes, bool]]:
    """(number, line, ended by a newline) for each line; a line over the size limit is an error."""
    pending, number = bytearray(), 0
    for chunk in _chunks(path, limits):
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            number += 1
            yield number, bytes(pending[start:end]), True
            start = end + 1
        del pending[:start]
        if len(pending) > limits.max_bytes:
            raise limits.too_big(f"{path} line {number + 1}", "a line")
    if pending:
        yield number + 1, bytes(pending), False


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
    path, limits = Path(path), limits or Limits.from_env()
    lines = _lines(path, limits)
    first = next(((n, line, ended) for n, line, ended in lines if line.strip()), None)
    if first is None:
        return []  # the Collector creates the file before the first batch arrives
    try:
        first_doc = json.loads(_text(first[1], str(path)))
    except (ValueError, RecursionError):
        # A pretty-printed document spans many lines; JSON Lines with a bad first line have a good second.
        second = next((line for _, line, _ in lines if line.strip()), None)
        whole = _whole_document(path, limits, strict=second is None or not _is_json(second))
        if whole is not None:
            return whole
        lines = _lines(path, limits)
        parsed: list[tuple[int, bytes, bool, Any]] = []
    else:
        parsed = [(*first, first_doc)]
    records: list[SpanRecord] = []
    skipped: list[int] = []
    for number, line, ended, doc in itertools.chain(parsed, ((*item, None) for item in lines)):
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
            records.extend(_records(doc, where))
        except SourceError as exc:
            if not skip_bad_lines:
                raise SourceError(f"{exc} (--skip-bad-lines reads the other lines)") from None
            skipped.append(number)
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
        _log.warning("%s: skipped %d unreadable line%s (%s)", path, len(skipped), "s"[: len(skipped) > 1], shown)
    return records


class OtlpFileSource:
    """Sessions from an OTLP JSON file (or a directory of them), re-read when a file changes."""

    def __init__(self, path: str | os.PathLike[str], *, skip_bad_lines: bool = False) -> None:
        self.path = Path(path)
        self.skip_bad_lines = skip_bad_lines
        self.description = f"file:{self.path}"
        self._stamp: tuple[tuple[str, float, int], ...] | None = None
        self._sessions: list[Session] = []
        self._lock = threading.Lock()  # the viewer reads from many threads; parse a changed file once

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES))
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file; give the path of an OTLP JSON file")
        return [self.path]

    def _load(self) -> list[Session]:
        with self._lock:
            files = self._files()
            try:
                stamp = tuple((str(p), p.stat().st_mtime, p.stat().st_size) for p in files)
            except OSError as exc:
                raise SourceError(f"{exc.filename}: cannot read ({exc.strerror})") from None
            if stamp != self._stamp:
                records: list[SpanRecord] = []
                for file in files:
                    records.extend(read_records(file, skip_bad_lines=self.skip_bad_lines))
                self._sessions = build_sessions(price_records(records))
                self._stamp = stamp
            return self._sessions

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        summaries = (summarize(s) for s in self._load())
        return newest_first(
            (s for s in summaries if matches(s, since_ns=since_ns, tags=tags, status=status, service=service)),
            limit,
        )

    def session(self, ident: str) -> Session:
        return pick(self._load(), ident, self.description)
