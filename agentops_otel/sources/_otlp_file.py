"""OTLP JSON files: the OpenTelemetry Collector file exporter's output (one `TracesData` per line)
or a single JSON document, plain or gzip-compressed; a directory reads every such file in it.
Jaeger JSON downloads (`{"data": [trace, ...]}`) are read too.

    source = OtlpFileSource("traces.jsonl.gz")
    source.session("3f2a")   # by session id, trace id, or a unique prefix
"""

from __future__ import annotations

import gzip
import json
import os
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..cost import price_records
from ..errors import SourceError
from ..model import Session, SessionSummary, SpanRecord, build_sessions, summarize
from ._otlp_json import ShapeError, iter_records, parse_json
from ._select import matches, newest_first, pick

_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc}); check the path") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise SourceError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text at byte {exc.start}; is it an OTLP JSON file?") from None


def _records(doc: Any, where: str) -> list[SpanRecord]:
    if isinstance(doc, dict) and ("data" in doc or "traceID" in doc):
        # A Jaeger JSON download ("Download results" in the Jaeger UI, or an /api/traces answer).
        from ._jaeger import traces_from_response

        return [record for trace in traces_from_response(doc, where) for record in trace]
    try:
        return list(iter_records(doc))
    except ShapeError as exc:
        raise SourceError(f"{where}: {exc}") from None


def read_records(path: str | os.PathLike[str]) -> list[SpanRecord]:
    """Every span in one OTLP JSON file. Raises SourceError naming the file and line that broke.

    JSON Lines when the first non-blank line is a whole JSON value by itself, else one document.
    """
    path = Path(path)
    text = _read_text(path)
    lines = text.splitlines()
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    first = next(numbered, None)
    if first is None:
        return []  # the Collector creates the file before the first batch arrives
    try:
        first_doc = json.loads(first[1])
    except ValueError:
        return _records(parse_json(text, str(path)), str(path))
    records = _records(first_doc, f"{path} line {first[0]}")
    for number, line in numbered:
        where = f"{path} line {number}"
        records.extend(_records(parse_json(line, where), where))
    return records


class OtlpFileSource:
    """Sessions from an OTLP JSON file (or a directory of them), re-read when a file changes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
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
                    records.extend(read_records(file))
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
