"""A directory of encoded OTLP batches waiting for delivery, so they outlive the process.

One file per batch, named `<time ns>-<pid>-<seq>.<span count>.otlp`, holding the uncompressed
`ExportTraceServiceRequest` bytes. Files are written under a temporary name and renamed, so a reader
never sees half a batch. A sender claims a file by renaming it to `….sending-<pid>` (atomic, so two
processes sharing a spool never send the same batch), deletes it once delivered and renames it back
when delivery fails. Claims left by a process that died mid-send are released on startup.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger("agentops_otel")

_SUFFIX = ".otlp"
_CLAIM = ".sending-"


@dataclass(frozen=True)
class SpooledBatch:
    path: Path  # the claimed file
    payload: bytes
    span_count: int


def _span_count(name: str) -> int:
    try:
        return int(name.removesuffix(_SUFFIX).rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DiskSpool:
    """Bounded by `max_bytes`: when full, `put` refuses and the caller counts the batch as dropped."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self._max_bytes = max_bytes
        self._seq = itertools.count()
        directory.mkdir(parents=True, exist_ok=True)
        self._release_dead_claims()
        self._bytes = sum(p.stat().st_size for p in self._files())

    def _files(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX))

    def _release_dead_claims(self) -> None:
        for path in self.directory.glob(f"*{_SUFFIX}{_CLAIM}*"):
            original, _, pid = path.name.rpartition(_CLAIM)
            if pid.isdigit() and not _pid_alive(int(pid)):
                path.replace(path.with_name(original))
        for path in self.directory.glob(".tmp-*"):  # a write interrupted by a crash
            pid = path.name.split("-")[1]
            if pid.isdigit() and not _pid_alive(int(pid)):
                path.unlink(missing_ok=True)

    def pending_spans(self) -> int:
        return sum(_span_count(p.name) for p in self._files())

    def put(self, payload: bytes, span_count: int) -> bool:
        if self._bytes + len(payload) > self._max_bytes:
            return False
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._seq):08d}.{span_count}{_SUFFIX}"
        temporary = self.directory / f".tmp-{os.getpid()}-{name}"
        try:
            temporary.write_bytes(payload)
            temporary.replace(self.directory / name)
        except OSError as error:
            _log.warning("could not spool %d spans to %s: %s", span_count, self.directory, error)
            temporary.unlink(missing_ok=True)
            return False
        self._bytes += len(payload)
        return True

    def claim_oldest(self) -> SpooledBatch | None:
        """The oldest unclaimed batch, now claimed by this process; None when the spool is empty."""
        for path in self._files():
            claimed = path.with_name(f"{path.name}{_CLAIM}{os.getpid()}")
            try:
                path.rename(claimed)
                payload = claimed.read_bytes()
            except FileNotFoundError:  # another process claimed it first
                continue
            except OSError as error:
                _log.warning("could not read spooled batch %s: %s", path, error)
                continue
            return SpooledBatch(claimed, payload, _span_count(path.name))
        return None

    def delivered(self, batch: SpooledBatch) -> None:
        batch.path.unlink(missing_ok=True)
        self._bytes = max(0, self._bytes - len(batch.payload))

    def release(self, batch: SpooledBatch) -> None:
        """Put a claimed batch back for a later attempt (by this process or the next run)."""
        batch.path.replace(batch.path.with_name(batch.path.name.rpartition(_CLAIM)[0]))
