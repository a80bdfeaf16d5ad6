"""The OTLP spool: encoded batches waiting for the backend on disk, so they outlive the process.

A batch is one `ExportTraceServiceRequest` (uncompressed) in a file of a `FileQueue`, labelled with
its span count and how often sending it failed (`<span count>[.<failures>]`). Several processes may
share a spool: each batch is sent by one of them, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._filequeue import Claimed, FileQueue

_SUFFIX = ".otlp"


@dataclass(frozen=True)
class SpooledBatch:
    claimed: Claimed
    payload: bytes
    span_count: int
    failures: int

    @property
    def path(self) -> Path:
        return self.claimed.path


def _parse(label: str) -> tuple[int, int]:
    """(span count, failures) from a label; a foreign or damaged name reads as (0, 0)."""
    count, _, failures = label.partition(".")
    try:
        return int(count), int(failures or 0)
    except ValueError:
        return 0, 0


def _label(span_count: int, failures: int = 0) -> str:
    return f"{span_count}.{failures}" if failures else str(span_count)


class DiskSpool:
    """Bounded by `max_bytes`: when full, `put` refuses and the caller counts the batch as dropped."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self._files = FileQueue(directory, _SUFFIX, max_bytes)

    def pending_spans(self) -> int:
        return sum(_parse(label)[0] for label in self._files.labels())

    def has_batches(self) -> bool:
        return self._files.has_files()

    def put(self, payload: bytes, span_count: int) -> bool:
        return self._files.put(payload, _label(span_count))

    def claim_oldest(self, after: SpooledBatch | None = None) -> SpooledBatch | None:
        """The oldest batch no process is sending (the oldest after `after`, when given), claimed by us."""
        claimed = self._files.claim_oldest(after.claimed.name if after is not None else None)
        if claimed is None:
            return None
        count, failures = _parse(claimed.label)
        return SpooledBatch(claimed, claimed.data, count, failures)

    def delivered(self, batch: SpooledBatch) -> None:
        self._files.done(batch.claimed)

    def release(self, batch: SpooledBatch, *, failed: bool = False) -> None:
        """Put a claimed batch back for a later attempt (by this process or the next run)."""
        self._files.release(batch.claimed, _label(batch.span_count, batch.failures + 1) if failed else None)

    def replace(self, batch: SpooledBatch, parts: list[tuple[bytes, int]]) -> bool:
        """The batch as smaller ones in its place (split because the receiver refused its size)."""
        return self._files.replace(batch.claimed, [(payload, _label(count)) for payload, count in parts])

    def quarantine(self, batch: SpooledBatch, why: str) -> Path:
        return self._files.quarantine(batch.claimed, why)
