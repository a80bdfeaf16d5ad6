"""Our exit flush runs after the application's own exit hooks.

`atexit` runs hooks in reverse order of registration, so a hook registered when `agentops_otel` is
first imported runs after every hook the application registers later, before `init()` or after it,
and spans those hooks record are still delivered. The package registers this one slot on import;
capture puts its exit flush in it. Nothing runs when nothing was put in it.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable

_log = logging.getLogger("agentops_otel")
_last: list[Callable[[], None]] = []


def call_last_at_exit(callback: Callable[[], None]) -> None:
    if callback not in _last:
        _last.append(callback)


def _run() -> None:
    for callback in list(_last):
        try:
            callback()
        except Exception:  # telemetry must not turn a clean exit into a traceback
            _log.exception("agentops_otel could not flush at exit")


atexit.register(_run)
