"""Signals whose Python handler never ran. CPython runs Python handlers on the main thread only, at
its next check; a signal that lands just before the main thread blocks in a semaphore (a pool worker
idle in `get()` as `pool.terminate()` signals it, or a signal the kernel gave another thread) is
noted and never run, and the process hangs where it would have died. A watcher thread reads CPython's
wakeup fd: when our handler has not started a second after one of our signals came, it sends SIGURG
(ignored by default; ours does nothing) to the main thread itself. That interrupts the wait, and
CPython then runs every handler whose signal did come. Never the signal itself: the byte may have
been written by a forked child before it made a pipe of its own, and a nudge must not kill us.

Only while nobody else uses the wakeup fd: an application's own (or asyncio's loop, which sets it
while it handles signals) is left alone, and our watch is then simply not there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable

_GRACE_S = 1.0  # how long the main thread may take to start a handler before it is sent the signal again
_TRIES = 5  # sends per signal before giving up (the main thread may be stuck in C code that no signal breaks)

# Re-entrant: our handler takes it on the main thread, which the signal may have interrupted in it.
_lock = threading.RLock()
_fds: tuple[int, int] | None = None  # (read, write) of our wakeup pipe
_pid = 0  # the process that made it (a forked child makes its own)
_started = 0  # deliveries our handler has started, ever
_seen = 0  # deliveries of our signals read from the wakeup fd, ever
_changed = threading.Condition(_lock)


def handler_started() -> None:
    """Called first thing by our signal handler, on the main thread."""
    global _started
    with _lock:
        _started += 1
        _changed.notify_all()


def watch(signums: frozenset[int], is_ours: Callable[[int], bool]) -> None:
    """Start watching in this process, once (from the main thread: `init()`, or a forked child's hook)."""
    global _fds, _pid, _lock, _changed, _started, _seen
    nudge = getattr(signal, "SIGURG", None)
    if (
        nudge is None
        or not hasattr(signal, "pthread_kill")
        or threading.current_thread() is not threading.main_thread()
    ):
        return
    if _pid == os.getpid():
        return
    if _pid:  # a forked child: the parent's watcher may have held the lock at the fork
        _lock = threading.RLock()
        _changed = threading.Condition(_lock)
    if signal.getsignal(nudge) not in (signal.SIG_DFL, _nothing):
        return  # the application handles SIGURG: not ours to send
    inherited = _fds
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except (ValueError, OSError):
        _close(read_fd, write_fd)
        return
    if previous != -1 and (inherited is None or previous != inherited[1]):
        signal.set_wakeup_fd(previous)  # the application's own: keep it
        _close(read_fd, write_fd)
        return
    signal.signal(nudge, _nothing)
    if inherited is not None:  # a forked child: the parent's pipe is the parent's
        _close(*inherited)
    with _lock:
        _fds, _pid = (read_fd, write_fd), os.getpid()
        _started = _seen = 0
    main = threading.main_thread().ident
    thread = threading.Thread(
        target=_read, args=(read_fd, signums, is_ours, main, nudge), name="agentops-otel-signals", daemon=True
    )
    thread.start()


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _nothing(signum: int, frame: object) -> None:
    """SIGURG's handler: its only work is the interrupted wait."""


def _caught_up() -> bool:
    return _started >= _seen


def _read(read_fd: int, signums: frozenset[int], is_ours: Callable[[int], bool], main: int | None, nudge: int) -> None:
    global _seen
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:  # closed: a forked child replaced the pipe
            return
        if not data:
            return
        for signum in data:
            if signum not in signums:
                continue
            with _lock:
                _seen += 1
            _make_it_run(signum, is_ours, main, nudge)


def _make_it_run(signum: int, is_ours: Callable[[int], bool], main: int | None, nudge: int) -> None:
    global _seen
    for _ in range(_TRIES):
        with _lock:
            if _changed.wait_for(_caught_up, _GRACE_S):
                return
            if main is None or not is_ours(signum):
                _seen = _started  # another handler took over: not ours to repeat
                return
        try:
            signal.pthread_kill(main, nudge)
        except (OSError, ValueError):  # the main thread is gone: the process is ending anyway
            return
    with _lock:
        _seen = _started  # stuck in C code no signal breaks, or a byte that was not ours: start afresh
