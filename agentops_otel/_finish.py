"""Flush and shut down span processors together, all within one deadline.

Each processor finishes in its own thread, so one stuck on a backend that never answers does not
hold up the others (the local store, the user's own exporters), and the caller waits for no longer
than the deadline in total. Our processors take the remaining time and keep what they could not
deliver (OTLP: the spool; store: the spill); anything else still running then is named in one line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from ._internal import internal_error
from .export import ReliableExportProcessor
from .store import LocalStoreProcessor

_log = logging.getLogger("agentops_otel")

_OURS = (ReliableExportProcessor, LocalStoreProcessor)  # they take the deadline and keep the rest


def _finish_one(processor: Any, deadline: float, flush_only: bool) -> None:
    try:
        if isinstance(processor, _OURS) and not flush_only:
            processor.shutdown(timeout_millis=max(deadline - time.monotonic(), 0.0) * 1000)
            return
        processor.force_flush(int(max(deadline - time.monotonic(), 0.0) * 1000))
        if not flush_only:
            processor.shutdown()
    except Exception:  # someone else's processor failing at exit must not stop ours
        internal_error(f"shut down {type(processor).__name__}", _log)


def finish(processors: Sequence[Any], timeout_s: float, *, flush_only: Sequence[Any] = ()) -> list[Any]:
    """Shut `processors` down within `timeout_s`, and flush `flush_only` (the application's, which stay
    its own to shut down); returns those that had not finished by then."""
    deadline = time.monotonic() + timeout_s
    threads = []
    jobs = [(processor, False) for processor in processors] + [(processor, True) for processor in flush_only]
    for processor, only_flush in jobs:
        thread = threading.Thread(
            target=_finish_one, args=(processor, deadline, only_flush), name="agentops-otel-exit-flush", daemon=True
        )
        thread.start()
        threads.append((thread, processor))
    for thread, _ in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))
    late = [processor for thread, processor in threads if thread.is_alive()]
    if late:
        _log.warning(
            "agentops_otel: %s did not finish within the exit deadline of %.1f s (AGENTOPS_OTEL_EXIT_TIMEOUT); "
            "spans they still hold may be lost",
            ", ".join(type(p).__name__ for p in late),
            timeout_s,
        )
    return late
