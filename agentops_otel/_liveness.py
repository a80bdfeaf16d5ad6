"""Whether the process that wrote a session still runs: what tells a running session from a crashed one.

Capture records the writer on each session root: `process.pid`, `host.name` and `process.creation.time`
(the local store writes an open root when it starts). A reader on the same host asks the system whether
that process still runs (a pid reused since shows another creation time); for a writer on another
host, a session is crashed once nothing was heard from it for the grace period
(AGENTOPS_OTEL_CRASH_GRACE, default one hour): since its last span. A root that names no writer
(another instrumentation's, an older recording) is never judged. Open sessions only; `judged(session)`
applies the rule to a read-back Session.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import _states
from . import semconv as sc
from ._config import crash_grace_s
from .model import Session

_CREATION_TOLERANCE_S = 2.0  # Linux derives the boot time from the clock: it moves by a second or so


@functools.cache
def host_name() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return ""


def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as file:
            for line in file:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _creation_time(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), from /proc; None where there is no /proc,
    or the process is gone or a zombie (killed, not yet reaped by its parent)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            text = file.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()  # the command name may hold spaces and parentheses
    boot = _boot_time()
    if len(fields) < 20 or fields[0] in ("Z", "X") or boot is None:
        return None
    try:
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError):
        return None


_identity: tuple[int, dict[str, Any]] | None = None


def writer_identity() -> dict[str, Any]:
    """This process as a session's writer (computed once per process; a forked child computes its own)."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        attributes: dict[str, Any] = {sc.PROCESS_PID: pid, sc.HOST_NAME: host_name()}
        created = _creation_time(pid)
        if created is not None:
            attributes[sc.PROCESS_CREATION_TIME] = datetime.fromtimestamp(created, tz=UTC).isoformat(
                timespec="milliseconds"
            )
        _identity = (pid, attributes)
    return dict(_identity[1])


def _recorded_creation(attributes: Mapping[str, Any]) -> float | None:
    value = attributes.get(sc.PROCESS_CREATION_TIME)
    try:
        return datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


def writer_alive(attributes: Mapping[str, Any]) -> bool | None:
    """True or False when this host can tell whether the writer named in `attributes` still runs;
    None when it cannot (another host, no identity recorded)."""
    pid, host = attributes.get(sc.PROCESS_PID), attributes.get(sc.HOST_NAME)
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not host or host != host_name():
        return None
    if os.path.isdir("/proc/self"):
        started = _creation_time(pid)
        if started is None:
            return False
        recorded = _recorded_creation(attributes)
        return recorded is None or abs(started - recorded) <= _CREATION_TOLERANCE_S
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, under another user
    return True


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def crash_reason(
    attributes: Mapping[str, Any],
    last_seen_ns: int | None,
    *,
    now_ns: int | None = None,
    grace_s: float | None = None,
) -> str | None:
    """Why an open session is crashed (its writer's root `attributes`, the last sign of life), or None
    while it may still be running."""
    if not attributes.get(sc.PROCESS_PID) or not attributes.get(sc.HOST_NAME):
        return None  # not ours, or recorded before writers were named: nothing says how it runs
    alive = writer_alive(attributes)
    if alive is True:
        return None
    if alive is False:
        pid, host = attributes.get(sc.PROCESS_PID), attributes.get(sc.HOST_NAME)
        return f"{_states.CRASH_REASON} (process {pid} on {host} is gone)"
    if last_seen_ns is None:
        return None
    grace = crash_grace_s() if grace_s is None else grace_s
    now = time.time_ns() if now_ns is None else now_ns
    if now - last_seen_ns <= grace * 1e9:
        return None
    silent = f"nothing heard from it since {_when(last_seen_ns)}, over the {_grace_text(grace)} grace period"
    return f"{_states.CRASH_REASON} ({silent})"


def _grace_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def last_sign_of_life(session: Session) -> int | None:
    """The latest time any span of the session says its writer was alive."""
    times = [t for span in session.spans for t in (span.end_ns, span.start_ns) if t is not None]
    return max(times, default=None)


def judged(session: Session, last_seen_ns: int | None = None, *, now_ns: int | None = None) -> Session:
    """`session` with its crash found, when it is open and its writer is gone or silent past the grace
    period (`last_seen_ns` defaults to its last span's time)."""
    if not session.is_open or session.crash is not None:
        return session
    seen = last_seen_ns if last_seen_ns is not None else last_sign_of_life(session)
    reason = crash_reason(session.root.attributes, seen, now_ns=now_ns)
    return session if reason is None else dataclasses.replace(session, crash=reason)
