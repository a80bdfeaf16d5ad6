"""The store's spill: spans that could not be written because another process held the store's lock,
kept in files beside it (`traces.db.spill/`) until the lock clears, by this process or the next one.

One file per batch (`FileQueue`: written whole, claimed by rename, released when a process died),
one JSON array per line holding the span's record columns, so a span reads back exactly as the
store would have read it.
"""

from __future__ import annotations

import json
from pathlib import Path

from .._filequeue import Claimed, FileQueue
from ..model import SpanRecord
from ._codec import RECORD_COLUMNS, from_row, to_row

_SUFFIX = ".jsonl"
_MAX_BYTES = 4 * 1024**3  # a bound against a runaway loop, far beyond any lock a person would hold


def spill_dir(store_file: Path) -> Path:
    return store_file.with_name(f"{store_file.name}.spill")


class Spill:
    def __init__(self, store_file: Path) -> None:
        self.directory = spill_dir(store_file)
        self._files = FileQueue(self.directory, _SUFFIX, _MAX_BYTES)

    def has_files(self) -> bool:
        return self._files.has_files()

    def pending_spans(self) -> int:
        return sum(int(label) for label in self._files.labels() if label.isdigit())

    def put(self, records: list[SpanRecord]) -> bool:
        lines = (json.dumps(to_row(record)[: len(RECORD_COLUMNS)], ensure_ascii=False) for record in records)
        return self._files.put("\n".join(lines).encode(), str(len(records)))

    def claim_oldest(self) -> tuple[Claimed, list[SpanRecord]] | None:
        """The oldest batch this process spilled (or a process that died), claimed, with its records; a
        damaged file is moved aside. Another live process's files are its own: it writes them in order
        with the spans it still holds (a session's open root must never replace its ended one)."""
        while (claimed := self._files.claim_oldest(ours_or_orphaned=True)) is not None:
            try:
                return claimed, [from_row(tuple(json.loads(line))) for line in claimed.data.decode().splitlines()]
            except (ValueError, TypeError) as error:
                self._files.quarantine(claimed, f"not a spill file of agentops-otel: {error}")
        return None

    def done(self, claimed: Claimed) -> None:
        self._files.done(claimed)

    def release(self, claimed: Claimed) -> None:
        self._files.release(claimed)

    def quarantine(self, claimed: Claimed, why: str) -> None:
        self._files.quarantine(claimed, why)
