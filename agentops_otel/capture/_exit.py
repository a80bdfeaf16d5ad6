"""How recording ends, however the process ends: open sessions end, every span is delivered, within
one deadline (AGENTOPS_OTEL_EXIT_TIMEOUT, else the OTLP timeout), and session end never waits.

- Normal exit: our flush sits in the exit slot taken when the package was imported (`_atexit`), so
  it runs after every exit hook the application registered since, before or after `init()`.
- An uncaught exception (`sys.excepthook`): open sessions end Fail with it as the reason, as
  AgentOps ends them (Ctrl-C: Indeterminate), then the application's own hook runs. In a thread
  (`threading.excepthook`), the sessions current in that thread.
- SIGTERM and SIGHUP (CI runners, Kubernetes, `timeout`, `pool.terminate()`): open sessions end
  Indeterminate, "terminated by SIGTERM", marked crashed (readers show them Crashed and `check`
  counts them failed), everything is flushed within the deadline, then the process dies of the
  signal as it would have without us. A handler the application set before `init()` is
  chained to instead (we flush first and leave its sessions to it); one set after `init()` replaces
  ours, as it should. Handlers are set from the main thread only; SIG_IGN (nohup) is left alone.
- Worker processes of every multiprocessing start method (fork, spawn, forkserver): a session
  ending there asks the exporters to send now, without waiting; the worker's exit (a finalizer that
  runs before multiprocessing's `os._exit`) and `pool.terminate()`'s SIGTERM both flush the rest.
- Forked children: the parent's open sessions stay the parent's; exporters restart their workers.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

from .. import _pipeline
from .._atexit import call_last_at_exit
from .._config import ENV_SIGNALS, env_bool
from . import _wakeup

_log = logging.getLogger("agentops_otel")

EXIT_REASON = "process exited before the session ended"
_SIGNALS = ("SIGTERM", "SIGHUP")

_hooks_lock = threading.Lock()
_hooks_installed = False
_exited = False
_previous: dict[int, Any] = {}  # the handler each of our signals had before ours
_handling = False
_ending = False  # end_recording() is running (on this process's main thread, perhaps under a signal)
_pending_signal = 0  # a signal that came while it ran: the process dies of it once the flush is done


def install_exit_hooks() -> None:
    """Once per process (a forked child inherits them): exit slot, fork hooks, worker finalizers,
    signal handlers; and the provider's own shutdown ends open sessions first."""
    global _hooks_installed
    pipeline = _pipeline.current_pipeline()
    active = getattr(pipeline.provider, "_active_span_processor", None) if pipeline is not None else None
    if isinstance(active, _pipeline._PipelineProcessor):
        active.before_shutdown = _end_open_sessions
    install_signal_handlers()
    with _hooks_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    _install_excepthooks()
    call_last_at_exit(at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_parent_sessions)
        os.register_at_fork(after_in_child=_watch_signals)
    from multiprocessing import util

    util.register_after_fork(at_exit, _flush_at_worker_exit)  # fork: run in every forked worker
    if _in_worker_process():  # spawn, forkserver: init() ran inside the worker itself
        _flush_at_worker_exit(None)


def _in_worker_process() -> bool:
    process = sys.modules.get("multiprocessing.process")
    return process is not None and process.parent_process() is not None  # type: ignore[attr-defined]


def _forget_parent_sessions() -> None:
    """In a forked child the parent's open sessions stay the parent's to end."""
    from ._sessions import forget_open_sessions

    forget_open_sessions()


def _flush_at_worker_exit(_: object) -> None:
    """A multiprocessing worker leaves through os._exit, past atexit: its finalizers still run."""
    from multiprocessing import util

    util.Finalize(None, at_exit, exitpriority=10)


def session_ended() -> None:
    """A session ended: in a worker process, ask the exporters to send soon (never wait for them;
    the worker's exit or its SIGTERM flushes what is left); the main process keeps batching."""
    pipeline = _pipeline.current_pipeline()
    if pipeline is not None and (pipeline.in_child_process() or _in_worker_process()):
        pipeline.flush_soon()


def _end_open_sessions(reason: str = EXIT_REASON, crashed: bool = False) -> None:
    from ._sessions import end_all_sessions

    end_all_sessions("Indeterminate", reason, crashed=crashed)


def end_recording(reason: str = EXIT_REASON, *, keep_current: bool = False, crashed: bool = False) -> None:
    """End open sessions as Indeterminate with `reason` (`crashed`: the process dies of a signal), then
    deliver everything within the exit deadline. `keep_current`: spans recorded after this (a late exit
    hook) still go to our exporters, which write them at once or keep them on disk for the next run."""
    global _ending
    with _pipeline._lock:
        if _pipeline.current_pipeline() is None:
            return
        _ending = True
        try:
            _end_open_sessions(reason, crashed)
            _pipeline.close(keep_current=keep_current)
        finally:
            _ending = False
    if _pending_signal:
        _die_of(_pending_signal)


def at_exit() -> None:
    global _exited
    if _exited:  # both the exit slot and a worker's finalizer may run it
        return
    _exited = True
    try:
        end_recording(keep_current=True)
    except KeyboardInterrupt:  # Ctrl-C while the last spans are written: one line, no traceback
        sys.stderr.write(
            "agentops_otel: interrupted while flushing traces at exit; spans not yet written were not recorded\n"
        )
    except Exception:
        _log.exception("agentops_otel could not flush at exit")


# -- uncaught exceptions ---------------------------------------------------------------------------

_previous_excepthook: Any = None
_previous_thread_excepthook: Any = None


def _install_excepthooks() -> None:
    """Ours in front of whatever hook the application has now; one it sets later replaces ours."""
    global _previous_excepthook, _previous_thread_excepthook
    _previous_excepthook = sys.excepthook
    sys.excepthook = _on_uncaught
    _previous_thread_excepthook = threading.excepthook
    threading.excepthook = _on_uncaught_in_thread


def _end_sessions_by(exc: BaseException, handles: Any) -> None:
    from ._handle import ended_by

    state, reason = ended_by(exc)
    for handle in handles:
        if not handle.ended:
            handle.close(state, reason, error=exc)


def _on_uncaught(exc_type: Any, exc: Any, tb: Any) -> None:
    """The program is about to die of `exc`: its open sessions end as AgentOps ends them (Fail, with
    the exception as the reason), then the application's hook (by default, the traceback) runs."""
    try:
        if isinstance(exc, BaseException):
            from ._scope import open_handles

            _end_sessions_by(exc, open_handles())
    except Exception:
        _log.exception("agentops_otel could not end the open sessions on an uncaught exception")
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)


def _on_uncaught_in_thread(args: Any) -> None:
    """A thread dies of an exception: the sessions current in it end Fail (this runs in that thread)."""
    try:
        if isinstance(args.exc_value, BaseException):
            from ._scope import context_handles

            _end_sessions_by(args.exc_value, context_handles())
    except Exception:
        _log.exception("agentops_otel could not end a thread's sessions on an uncaught exception")
    (_previous_thread_excepthook or threading.__excepthook__)(args)


# -- signals ---------------------------------------------------------------------------------------


def install_signal_handlers() -> None:
    if not env_bool(ENV_SIGNALS, True) or threading.current_thread() is not threading.main_thread():
        return
    for name in _SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        current = signal.getsignal(signum)
        if current is _on_signal or current is None or current == signal.SIG_IGN:
            continue  # ours already (inherited), set outside Python, or ignored on purpose (nohup)
        try:
            signal.signal(signum, _on_signal)
        except (ValueError, OSError):  # not settable here: the exit hooks still flush
            continue
        _previous[signum] = current
    _watch_signals()


def _is_ours(signum: int) -> bool:
    return signal.getsignal(signum) is _on_signal


def _watch_signals() -> None:
    """Make sure our handler runs for a signal the main thread was not woken for (`_wakeup`)."""
    ours = frozenset(getattr(signal, name) for name in _SIGNALS if hasattr(signal, name))
    if any(map(_is_ours, ours)):
        _wakeup.watch(ours, _is_ours)


def _bounded(work: Any) -> None:
    """Run `work` off the interrupted thread (which may hold a lock it needs), waiting at most the
    exit deadline: a signal handler must end the process in bounded time whatever happens."""
    from ..export import exit_timeout_s

    def guarded_work() -> None:
        try:
            work()
        except Exception:
            _log.exception("agentops_otel could not flush on a signal")

    thread = threading.Thread(target=guarded_work, name="agentops-otel-signal-flush", daemon=True)
    thread.start()
    thread.join(exit_timeout_s() + 1.0)


def _flush_only() -> None:
    pipeline = _pipeline.current_pipeline()
    if pipeline is not None:
        from ..export import exit_timeout_s

        pipeline.force_flush(int(exit_timeout_s() * 1000))


def _on_signal(signum: int, frame: Any) -> None:
    global _exited, _handling, _pending_signal
    _wakeup.handler_started()
    previous = _previous.get(signum, signal.SIG_DFL)
    chained = callable(previous)
    if _ending and not chained:
        # The exit flush is running on this very thread (a pool worker ending as terminate() signals
        # it): waiting for it here would stall it. It finishes within its deadline, then we die of it.
        _pending_signal = signum
        return
    if not _handling:  # a second signal during the flush: die now, as asked
        _handling = True
        try:
            if chained:  # the application handles termination itself: deliver what exists, end nothing
                _bounded(_flush_only)
            else:
                _exited = True
                name = signal.Signals(signum).name
                _bounded(lambda: end_recording(f"terminated by {name}", keep_current=True, crashed=True))
        finally:
            _handling = False
    if chained:
        previous(signum, frame)
        return
    _die_of(signum)


def _die_of(signum: int) -> None:
    """The default action (SIG_DFL): the process dies of the signal, and its exit status says so."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
