"""Our own bugs: logged in production, raised under AGENTOPS_OTEL_DEBUG=1 (set by our test suite).

Every place that must never raise into the user's program (instrumentation wrappers, stream proxies,
span processors, export and store workers, links) reports a bug of ours through `internal_error`,
from inside its `except` block:

    try:
        ...
    except Exception:
        internal_error("price a span")          # debug: re-raised; else: logged once, with the traceback

or wraps a call with `guarded(what, func, default)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from ._config import debug_mode

_log = logging.getLogger("agentops_otel")
_T = TypeVar("_T")
_seen: set[str] = set()
_seen_lock = threading.Lock()


def internal_error(what: str, logger: logging.Logger | None = None) -> None:
    """Report the exception being handled as our bug while trying to `what`.

    Under the debug switch it is re-raised; otherwise the first occurrence of each `what` is logged
    as a warning with its traceback and later ones at debug level, so a bug on the per-span path
    cannot flood the application's log.
    """
    if debug_mode():
        raise  # called inside an except block: re-raises the exception being handled
    with _seen_lock:
        first = what not in _seen
        _seen.add(what)
    (logger or _log).log(
        logging.WARNING if first else logging.DEBUG,
        "agentops_otel could not %s (a bug in agentops_otel; your program is not affected)",
        what,
        exc_info=True,
    )


def guarded(what: str, func: Callable[[], _T], default: _T) -> _T:
    """`func()`, or `default` when it raises (reported as our bug)."""
    try:
        return func()
    except Exception:
        internal_error(what)
        return default
