"""A directory of files that outlive the process: the OTLP spool and the local store's spill.

Each file is written whole (under a temporary name, then renamed) and named
`<time ns>-<pid>-<seq>.<label><suffix>`, so sorting the names gives the order they were put in. A
process takes a file by renaming it to `<name>.claimed-<pid>` (atomic, so two processes sharing the
directory never handle the same file), deletes it once handled, and renames it back (optionally
with a new label) when it could not. Claims and temporary files of a process that died are released
when the queue opens. A file that can never be handled is moved to `quarantine/` with a note saying
why: kept for a person to read, never in the way of the files behind it.

The directory is created on the first `put`: a queue that is never needed leaves nothing on disk.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger("agentops_otel")

_CLAIM = ".claimed-"
_TEMPORARY = ".tmp-"
QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Claimed:
    path: Path  # the file as claimed by this process
    name: str  # its unclaimed name
    label: str
    data: bytes


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FileQueue:
    """Files with `suffix` in `directory`, oldest first; `put` refuses once `max_bytes` are held."""

    def __init__(self, directory: Path, suffix: str, max_bytes: int) -> None:
        self.directory = directory
        self._suffix = suffix
        self._max_bytes = max_bytes
        self._seq = itertools.count()
        self._bytes = 0
        self._refused: set[str | None] = set()  # kinds of write errors already logged: one line each
        if directory.is_dir():
            self._release_dead_claims()
            self._bytes = sum(self._size(p) for p in self._files())

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:  # taken by another process meanwhile
            return 0

    def _files(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.iterdir() if p.name.endswith(self._suffix))
        except FileNotFoundError:
            return []

    def labels(self) -> list[str]:
        """The labels of the files waiting now, those this process has claimed included."""
        mine = f"{self._suffix}{_CLAIM}{os.getpid()}"
        try:
            claimed = [p.name.removesuffix(mine) for p in self.directory.glob(f"*{mine}")]
        except OSError:
            claimed = []
        return [self._label(name) for name in [p.name for p in self._files()] + claimed]

    def has_files(self) -> bool:
        return bool(self._files())

    def _label(self, name: str) -> str:
        return name.removesuffix(self._suffix).partition(".")[2]

    def _release_dead_claims(self) -> None:
        for path in self.directory.glob(f"*{self._suffix}{_CLAIM}*"):
            original, _, pid = path.name.rpartition(_CLAIM)
            if pid.isdigit() and not _pid_alive(int(pid)):
                path.replace(path.with_name(original))
        for path in self.directory.glob(f"{_TEMPORARY}*"):  # a write interrupted by a crash
            pid = path.name.removeprefix(_TEMPORARY).split("-")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                path.unlink(missing_ok=True)

    def put(self, data: bytes, label: str) -> bool:
        """Add a file after every other; False (and one log line) when full or the disk refuses."""
        stem = f"{time.time_ns():020d}-{os.getpid()}-{next(self._seq):08d}"
        return self._write(f"{stem}.{label}{self._suffix}", data)

    def _write(self, name: str, data: bytes) -> bool:
        if self._bytes + len(data) > self._max_bytes:
            return False
        temporary = self.directory / f"{_TEMPORARY}{os.getpid()}-{name}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            temporary.replace(self.directory / name)
        except OSError as error:
            if error.strerror not in self._refused:
                self._refused.add(error.strerror)
                _log.warning("agentops_otel: could not write %s in %s: %s", name, self.directory, error)
            temporary.unlink(missing_ok=True)
            return False
        self._bytes += len(data)
        return True

    def claim_oldest(self, after: str | None = None, *, ours_or_orphaned: bool = False) -> Claimed | None:
        """The oldest file nobody has claimed (named after `after`, when given), now claimed by us.
        `ours_or_orphaned`: only files this process put, or whose process has died."""
        for path in self._files():
            if after is not None and path.name <= after:
                continue
            if ours_or_orphaned and not self._ours_or_orphaned(path.name):
                continue
            claimed = path.with_name(f"{path.name}{_CLAIM}{os.getpid()}")
            try:
                path.rename(claimed)
            except FileNotFoundError:  # another process claimed it first
                continue
            try:
                data = claimed.read_bytes()
            except OSError as error:
                _log.warning("agentops_otel: could not read %s: %s", path, error)
                data = b""
            return Claimed(claimed, path.name, self._label(path.name), data)
        return None

    @staticmethod
    def _ours_or_orphaned(name: str) -> bool:
        pid = name.split("-")[1] if name.count("-") >= 2 else ""
        return not pid.isdigit() or int(pid) == os.getpid() or not _pid_alive(int(pid))

    def done(self, claimed: Claimed) -> None:
        claimed.path.unlink(missing_ok=True)
        self._bytes = max(0, self._bytes - len(claimed.data))

    def release(self, claimed: Claimed, label: str | None = None) -> None:
        """Give a claimed file back, in its place in the order (with a new label when given)."""
        name = claimed.name
        if label is not None:
            name = f"{name.partition('.')[0]}.{label}{self._suffix}"
        try:
            claimed.path.replace(claimed.path.with_name(name))
        except OSError as error:
            _log.warning("agentops_otel: could not release %s: %s", claimed.path, error)

    def replace(self, claimed: Claimed, parts: list[tuple[bytes, str]]) -> bool:
        """Put `parts` where the claimed file was in the order, then delete it. False: it stays."""
        stem = claimed.name.partition(".")[0]
        written: list[str] = []
        self._bytes = max(0, self._bytes - len(claimed.data))  # the parts take its room
        for index, (data, label) in enumerate(parts, 1):
            name = f"{stem}-{index}.{label}{self._suffix}"
            if not self._write(name, data):
                for done in written:  # keep the whole batch rather than half of it twice
                    (self.directory / done).unlink(missing_ok=True)
                self._bytes += len(claimed.data)
                self.release(claimed)
                return False
            written.append(name)
        claimed.path.unlink(missing_ok=True)
        return True

    def quarantine(self, claimed: Claimed, why: str) -> Path:
        """Move a file that can never be handled aside, with a note saying why; returns its new place."""
        folder = self.directory / QUARANTINE
        target = folder / claimed.name
        try:
            folder.mkdir(exist_ok=True)
            claimed.path.replace(target)
            (folder / f"{claimed.name}.why.txt").write_text(why + "\n")
        except OSError as error:
            _log.warning("agentops_otel: could not move %s aside (%s); deleting it", claimed.path, error)
            claimed.path.unlink(missing_ok=True)
        self._bytes = max(0, self._bytes - len(claimed.data))
        return target
