"""Which sessions are active where: a stack per context (thread, asyncio task), and the process's registries.

The active sessions of a context form a stack held in a contextvar; the innermost one is also the
current OpenTelemetry span, so every span started inside it (ours or another instrumentation's)
becomes its child and gets its `session.id`. The process keeps its open sessions (ended at exit) and
every session it started while a handle to it lives (for `get_session(session_id)`).
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context

if TYPE_CHECKING:
    from ._handle import SessionHandle

_stack: contextvars.ContextVar[tuple[SessionHandle, ...]] = contextvars.ContextVar("agentops_otel_sessions", default=())
last_started: contextvars.ContextVar[SessionHandle | None] = contextvars.ContextVar(
    "agentops_otel_last_session", default=None
)
_open_lock = threading.Lock()
_open: dict[str, SessionHandle] = {}  # every open, recorded session of the process: ended at exit
_known: weakref.WeakValueDictionary[str, SessionHandle] = weakref.WeakValueDictionary()


def current_handle() -> SessionHandle | None:
    """The innermost open session of this context."""
    for handle in reversed(_stack.get()):
        if not handle.ended:
            return handle
    return None


def context_handles() -> list[SessionHandle]:
    """The open sessions on this context's stack, innermost first."""
    return [handle for handle in reversed(_stack.get()) if not handle.ended]


def enter(handle: SessionHandle) -> None:
    """Make `handle` the current session of this context until `leave(handle)`."""
    handle.previous_context = otel_context.get_current()
    otel_context.attach(handle.context)
    _stack.set((*_stack.get(), handle))
    last_started.set(handle)


def leave(handle: SessionHandle) -> None:
    """Take a session off this context's stack and restore the context it started from.

    A session left out of order hands its starting context to the one above it, so leaving the
    last one always restores the context from before the first.
    """
    stack = _stack.get()
    if handle not in stack:
        return
    index = stack.index(handle)
    previous = handle.previous_context
    if index + 1 < len(stack):
        stack[index + 1].previous_context = previous
    elif previous is not None:
        # Not detach(): the session may end in another task or frame than the one it started in.
        otel_context.attach(previous)
    _stack.set(stack[:index] + stack[index + 1 :])


def push(handle: SessionHandle) -> tuple[Any, Any, Any]:
    """`handle` current here until `pop(tokens)` (a scope: a worker thread, a generator's body)."""
    return otel_context.attach(handle.context), _stack.set((*_stack.get(), handle)), last_started.set(handle)


def pop(tokens: tuple[Any, Any, Any]) -> None:
    token, stack_token, last_token = tokens
    last_started.reset(last_token)
    _stack.reset(stack_token)
    otel_context.detach(token)


def known(handle: SessionHandle) -> None:
    _known[handle.session_id] = handle


def find(session_id: str) -> SessionHandle | None:
    return _known.get(session_id)


def opened(handle: SessionHandle) -> None:
    with _open_lock:
        _open[handle.session_id] = handle


def closed(handle: SessionHandle) -> None:
    with _open_lock:
        _open.pop(handle.session_id, None)


def open_handles() -> list[SessionHandle]:
    with _open_lock:
        return list(_open.values())


def forget_open_sessions() -> None:
    """In a forked child: the sessions open in the parent are not this process's to end."""
    global _open_lock
    _open_lock = threading.Lock()  # the parent's lock may have been held at the fork
    _open.clear()
