"""Sessions: root spans with an AgentOps-compatible API, isolated per thread and asyncio task.

The active sessions of a context form a stack held in a contextvar; the innermost one is also the
current OpenTelemetry span, so every span started inside it (ours or another instrumentation's)
becomes its child and gets its `session.id`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, Status, StatusCode

from .. import _pipeline, _states
from .. import semconv as sc
from .._context import SESSION_ID_KEY
from ..errors import ConfigurationError
from ..model import Session, SpanRecord, build_session, find_failing_step
from ._generators import Scope, drive, drive_async
from ._lifecycle import ensure_started, session_ended
from ._spans import tracer

_log = logging.getLogger("agentops_otel")
_F = TypeVar("_F", bound=Callable[..., Any])

_stack: contextvars.ContextVar[tuple[SessionHandle, ...]] = contextvars.ContextVar("agentops_otel_sessions", default=())
_last_started: contextvars.ContextVar[SessionHandle | None] = contextvars.ContextVar(
    "agentops_otel_last_session", default=None
)
_open_lock = threading.Lock()
_open: dict[str, SessionHandle] = {}  # every open session of the process, for end_all_sessions/exit


def _end_state(value: Any) -> str:
    state = _states.known_end_state(value)  # AgentOps' EndState enum or a string, any case
    if state is None:
        raise ConfigurationError(f"end_state must be one of {', '.join(_states.END_STATES)} (got {value!r})")
    return state


def _attribute_value(key: str, value: Any) -> Any:
    """A session attribute as recorded: plain values kept, others as JSON; credentials masked."""
    settings = _pipeline.current_settings()
    if isinstance(value, str | bool | int | float):
        return settings.redactor.value(key, value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return settings.redactor.value(key, tuple(value))
    from .._content import to_json

    return settings.redactor.value(key, to_json(value, settings.max_content_length, settings.redactor)[0])


class SessionHandle:
    """One started session. `end()` ends it; `get()` reads it back as the Session model."""

    root_context: SpanContext

    def __init__(self, name: str | None, tags: Sequence[str], attributes: dict[str, Any]) -> None:
        pipeline = ensure_started()
        self.session_id = str(uuid.uuid4())
        # Masked here, not only by the net: an open session's root is stored and shown as it starts.
        redactor = _pipeline.current_settings().redactor
        self.name = name = redactor.text(name) if name else name
        self.tags = [redactor.text(str(t)) for t in (*_pipeline.current_settings().default_tags, *tags)]
        self.end_state: str | None = None
        self.end_state_reason: str | None = None
        self._lock = threading.Lock()
        outer = current_handle()
        attrs: dict[str, Any] = {k: _attribute_value(k, v) for k, v in attributes.items()}
        attrs.update(
            {
                sc.SESSION_ID: self.session_id,
                sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.SESSION.value,
                sc.AGENTOPS_SESSION_TAGS: tuple(self.tags),
            }
        )
        if name:
            attrs[sc.AGENTOPS_SESSION_NAME] = name
        links = []
        if outer is not None:
            attrs[sc.AGENTOPS_SESSION_PARENT_ID] = outer.session_id
            links.append(Link(outer.root_context))
        self._attributes = attrs
        self._start_ns = time.time_ns()
        self._end_ns: int | None = None
        tr = tracer()
        assert tr is not None  # init() above guarantees an SDK provider (the span may still be sampled out)
        # An empty parent context: a session is always the root of a new trace.
        self.span = tr.start_span(
            f"session {name}" if name else "session",
            context=otel_context.Context(),
            attributes=attrs,
            links=links,
            start_time=self._start_ns,
        )
        self.root_context = self.span.get_span_context()
        self.trace_id = format(self.root_context.trace_id, "032x")
        pipeline.recorder.hold(self.root_context.trace_id, self)
        ctx = trace.set_span_in_context(self.span, otel_context.get_current())
        self.context = otel_context.set_value(SESSION_ID_KEY, self.session_id, ctx)
        with _open_lock:
            _open[self.session_id] = self

    @property
    def ended(self) -> bool:
        return self.end_state is not None

    def end(self, end_state: Any = "Success", end_state_reason: str | None = None) -> Session:
        """End this session (once; later calls change nothing) and return it as a Session."""
        self.close(end_state, end_state_reason)
        return self.get()

    def close(self, end_state: Any = "Success", end_state_reason: str | None = None) -> None:
        """End this session without reading it back (cheaper than `end()` when the result is unused)."""
        state = _end_state(end_state)
        with self._lock:
            if self.end_state is None:
                self._finish(state, end_state_reason)
        _leave(self)

    def _finish(self, state: str, reason: str | None) -> None:
        if reason is not None:
            reason = _pipeline.current_settings().redactor.text(str(reason))
        self.end_state, self.end_state_reason = state, reason
        attrs: dict[str, Any] = {sc.AGENTOPS_SESSION_END_STATE: state}
        if reason:
            attrs[sc.AGENTOPS_SESSION_END_STATE_REASON] = str(reason)
        self._attributes.update(attrs)
        if state == _states.FAIL:
            failing = find_failing_step(self.get().steps)
            if failing is not None:
                attrs[sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID] = failing.span_id
                attrs[sc.AGENTOPS_SESSION_FAILING_STEP_NAME] = failing.span_name
            self.span.set_status(Status(StatusCode.ERROR, str(reason or "session failed")))
        elif state == _states.SUCCESS:
            self.span.set_status(Status(StatusCode.OK))
        self.span.set_attributes(attrs)
        self._end_ns = time.time_ns()
        self.span.end(end_time=self._end_ns)
        with _open_lock:
            _open.pop(self.session_id, None)
        session_ended()

    def get(self) -> Session:
        """This session as recorded so far (a fresh read model each call)."""
        pipeline = _pipeline.current_pipeline()
        records = pipeline.recorder.records(self.trace_id) if pipeline is not None else []
        if not records:  # sampled out or recorded elsewhere: the session as this handle knows it
            records = [self._root_as_known()]
        return build_session(records)

    def _root_as_known(self) -> SpanRecord:
        return SpanRecord(
            trace_id=self.trace_id,
            span_id=format(self.root_context.span_id, "016x"),
            parent_span_id=None,
            name=f"session {self.name}" if self.name else "session",
            start_ns=self._start_ns,
            end_ns=self._end_ns,
            status_code="ERROR" if self.end_state == _states.FAIL else "UNSET",
            attributes=dict(self._attributes),
        )

    @property
    def url(self) -> str:
        """A link that opens this session's replay (the page is written on demand)."""
        from .._links import session_url

        return session_url(self.get())

    @contextmanager
    def activate(self) -> Iterator[SessionHandle]:
        """Make this session current here, e.g. in a worker thread: `with handle.activate(): ...`."""
        tokens = self.enter_scope()
        try:
            yield self
        finally:
            self.leave_scope(tokens)

    def enter_scope(self) -> tuple[Any, Any, Any]:
        """Make this session current in this context until `leave_scope(tokens)`."""
        return otel_context.attach(self.context), _stack.set((*_stack.get(), self)), _last_started.set(self)

    def leave_scope(self, tokens: tuple[Any, Any, Any]) -> None:
        token, stack_token, last_token = tokens
        _last_started.reset(last_token)
        _stack.reset(stack_token)
        otel_context.detach(token)

    def __repr__(self) -> str:
        return f"<SessionHandle {self.session_id} {self.end_state or 'open'}>"


def current_handle() -> SessionHandle | None:
    """The innermost open session of this context."""
    for handle in reversed(_stack.get()):
        if not handle.ended:
            return handle
    return None


def _enter(handle: SessionHandle) -> None:
    handle.previous_context = otel_context.get_current()  # type: ignore[attr-defined]
    otel_context.attach(handle.context)
    _stack.set((*_stack.get(), handle))
    _last_started.set(handle)


def _leave(handle: SessionHandle) -> None:
    """Take an ended session off this context's stack and restore the context it started from.

    A session ended out of order hands its starting context to the one above it, so ending the
    last one always restores the context from before the first.
    """
    stack = _stack.get()
    if handle not in stack:
        return
    index = stack.index(handle)
    previous = getattr(handle, "previous_context", None)
    if index + 1 < len(stack):
        stack[index + 1].previous_context = previous  # type: ignore[attr-defined]
    elif previous is not None:
        # Not detach(): the session may end in another task or frame than the one it started in.
        otel_context.attach(previous)
    _stack.set(stack[:index] + stack[index + 1 :])


def start_session(tags: Sequence[str] | None = None, name: str | None = None, **attributes: Any) -> SessionHandle:
    """Start a session: a new trace whose root span is current in this context until it ends.

    Started while another session is active, it is its own trace, linked to the outer one.
    """
    if isinstance(tags, str):
        tags = [tags]
    handle = SessionHandle(name, tags or (), attributes)
    _enter(handle)
    return handle


def end_session(end_state: Any = "Success", end_state_reason: str | None = None, **_: Any) -> Session | None:
    """End the innermost active session of this context. Returns it, or None if there is none."""
    handle = current_handle()
    if handle is None:
        _log.warning("end_session() called with no active session in this context")
        return None
    return handle.end(end_state, end_state_reason)


def forget_open_sessions() -> None:
    """In a forked child: the sessions open in the parent are not this process's to end."""
    global _open_lock
    _open_lock = threading.Lock()  # the parent's lock may have been held at the fork
    _open.clear()


def end_all_sessions(end_state: Any = "Indeterminate", end_state_reason: str | None = None) -> None:
    """End every open session of the process (AgentOps semantics)."""
    with _open_lock:
        handles = list(_open.values())
    for handle in handles:
        handle.close(end_state, end_state_reason)


def get_session() -> Session | None:
    """The most recently started session of this context, active or ended; None if there is none.

    Its `url` opens the replay (a configured backend, else a page written on demand).
    """
    from .._links import with_url

    handle = _last_started.get()
    return with_url(handle.get()) if handle is not None else None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class session:  # lower case: used like a function, `with session(...)` and `@session(...)`
    """A session as a context manager (sync or async) or decorator. An exception ends it Fail and is
    re-raised.

        with agentops_otel.session("triage", tags=["support"]) as s: ...
        async with agentops_otel.session("triage") as s: ...
        @agentops_otel.session("triage")      # or bare @agentops_otel.session: named after the function
        def run(): ...
    """

    def __new__(cls, name: Any = None, tags: Sequence[str] | None = None, **attributes: Any) -> Any:
        if callable(name):  # bare `@session`
            return cls(None, tags, **attributes)(name)
        return super().__new__(cls)

    def __init__(self, name: str | None = None, tags: Sequence[str] | None = None, **attributes: Any) -> None:
        self._name, self._tags, self._attributes = name, tags, attributes
        self._handles: list[SessionHandle] = []

    def __enter__(self) -> SessionHandle:
        handle = start_session(self._tags, self._name, **self._attributes)
        self._handles.append(handle)
        return handle

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        handle = self._handles.pop()
        if exc is not None:
            handle.close("Fail", _reason(exc))
        else:
            handle.close("Success")

    async def __aenter__(self) -> SessionHandle:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, func: _F) -> _F:
        """Each call of `func` is a session; a generator's session lasts until it is exhausted or closed,
        and is current only while the generator's own code runs."""
        name = self._name or func.__name__
        tags, attributes = self._tags, self._attributes

        if inspect.isasyncgenfunction(func):

            @functools.wraps(func)
            def run_async_gen(*args: Any, **kwargs: Any) -> Any:
                handle = _started(name, tags, attributes)
                return drive_async(func(*args, **kwargs), _generator_scope(handle))

            return run_async_gen  # type: ignore[return-value]

        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def run_gen(*args: Any, **kwargs: Any) -> Any:
                handle = _started(name, tags, attributes)
                return drive(func(*args, **kwargs), _generator_scope(handle))

            return run_gen  # type: ignore[return-value]

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with session(name, tags, **attributes):
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with session(name, tags, **attributes):
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]


def _started(name: str | None, tags: Sequence[str] | None, attributes: dict[str, Any]) -> SessionHandle:
    """A session started but not made current here: a generator's code makes it current while it runs."""
    if isinstance(tags, str):
        tags = [tags]
    return SessionHandle(name, tags or (), attributes)


def _generator_scope(handle: SessionHandle) -> Scope:
    def finish(_: Any) -> None:
        handle.close("Success")
        _last_started.set(handle)  # in the caller's context: get_session() now reads this session

    def fail(exc: BaseException, _: list[Any]) -> None:
        handle.close("Fail", _reason(exc))
        _last_started.set(handle)

    return Scope(handle.enter_scope, handle.leave_scope, finish, fail)
