"""SessionHandle: one started session, the object `start_session()`, `start_trace()` and `init()` return.

Its root span starts with the session, except for the session `init()` starts by itself (AgentOps'
auto-started session): that one is *deferred*. Its place in the context is held by `_DeferredRoot`,
which starts the real root span the first time anything needs it: a span started inside the session
(ours or any instrumentation's: the tracer asks the parent for its span context), a recorded event,
an explicit end or read. Until then nothing has been recorded, so when the application starts its
own session instead, the empty auto-started one gives way without leaving a trace anywhere.

Ending a session costs the caller O(1) whatever its size: the root records the exception that ended it
(`_exceptions.ending_attributes`: the step that caused a failure is known from the exception itself),
and `end()` returns the session read back lazily, built when first used.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanContext, Status, StatusCode

from .. import _exceptions, _liveness, _pipeline, _states
from .. import semconv as sc
from .._context import SESSION_ID_KEY
from .._internal import internal_error
from ..model import Session, SpanRecord, build_session
from . import _scope
from ._lifecycle import ensure_started, session_ended
from ._session_api import AgentOpsSession
from ._spans import tracer

_log = logging.getLogger("agentops_otel")
_warned_states: set[str] = set()


def attribute_value(key: str, value: Any) -> Any:
    """A session attribute as recorded: primitives and lists of strings as they are, anything else as
    JSON; credentials masked (here, not only by the net: an open session's root is stored as it starts)."""
    settings = _pipeline.current_settings()
    if isinstance(value, str | bool | int | float):
        return settings.redactor.value(key, value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return settings.redactor.value(key, tuple(value))
    from .._content import to_json

    return settings.redactor.value(key, to_json(value, settings.max_content_length, settings.redactor)[0])


def _ended_as(end_state: Any, reason: str | None) -> tuple[str, str | None, str | None]:
    """(canonical state, reason, the state as given when unknown): never raises, warns once per spelling."""
    state, given = _states.read_end_state(end_state)
    if given is None:
        return state, reason, None
    if len(_warned_states) < 100 and given not in _warned_states:
        _warned_states.add(given)
        _log.warning(
            "end state %r is not one of %s; the session ends %s and keeps %r",
            given,
            ", ".join(_states.END_STATES),
            state,
            given,
        )
    return state, f"{given}: {reason}" if reason else given, given


def ended_by(exc: BaseException | None) -> tuple[str, str | None]:
    """How a session ends when `exc` leaves it (None: its body finished), as AgentOps ends it.

    `sys.exit()` / `sys.exit(0)` is Success; another exit code is Fail with the code; Ctrl-C
    (KeyboardInterrupt) and a cancelled task are Indeterminate: they are not failures of the agent; a
    generator closed early finished (its consumer stopped); any other exception is Fail with itself as
    the reason.
    """
    if exc is None or _exceptions.is_clean_exit(exc) or isinstance(exc, GeneratorExit):
        return _states.SUCCESS, None
    if isinstance(exc, SystemExit):
        return _states.FAIL, f"SystemExit: {exc.code}"
    if isinstance(exc, KeyboardInterrupt):
        return _states.INDETERMINATE, "KeyboardInterrupt"
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and isinstance(exc, asyncio.CancelledError):
        return _states.INDETERMINATE, "cancelled"
    return _states.FAIL, f"{type(exc).__name__}: {exc}"


class SessionHandle(AgentOpsSession):
    """One started session. `end()` ends it; `get()` reads it back as the Session model.

    AgentOps' Session and TraceContext methods work on it too (`end_session`, `record`, `add_tags`,
    `get_analytics`, `patch`, `with start_trace(...) as t:` ...): see `AgentOpsSession`.
    """

    previous_context: otel_context.Context | None = None

    def __init__(
        self,
        name: str | None,
        tags: Sequence[str],
        attributes: dict[str, Any],
        *,
        auto_started: bool = False,
        session_id: str | None = None,
    ) -> None:
        pipeline = ensure_started()
        self.session_id = str(session_id or uuid.uuid4())
        redactor = _pipeline.current_settings().redactor
        self.name = name = redactor.text(name) if name else name
        self.tags = list(
            dict.fromkeys(redactor.text(str(t)) for t in (*_pipeline.current_settings().default_tags, *tags))
        )
        self.end_state: str | None = None
        self.end_state_reason: str | None = None
        self.auto_started = auto_started
        self._lock = threading.RLock()
        if not auto_started:
            _give_way()
        outer = _scope.current_handle()
        attrs: dict[str, Any] = {k: attribute_value(k, v) for k, v in attributes.items() if k != "user_id"}
        if attributes.get("user_id") is not None:  # session(user_id=...): upstream `user.id`, which Langfuse reads
            attrs[sc.USER_ID] = str(attributes["user_id"])
        attrs.update(_liveness.writer_identity())  # so that a reader can tell a crashed writer
        attrs.update(
            {
                sc.SESSION_ID: self.session_id,
                sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.SESSION.value,
                sc.AGENTOPS_SESSION_TAGS: tuple(self.tags),
            }
        )
        if name:
            attrs[sc.AGENTOPS_SESSION_NAME] = name
        if auto_started:
            attrs[sc.AGENTOPS_SESSION_AUTO_STARTED] = True
        self._links = [Link(outer.root_context)] if outer is not None else []
        if outer is not None:
            attrs[sc.AGENTOPS_SESSION_PARENT_ID] = outer.session_id
        self._attributes = attrs
        self._start_ns = time.time_ns()
        self._end_ns: int | None = None
        self._span: Span | None = None
        self._recorder = pipeline.recorder
        root: Span = _DeferredRoot(self) if auto_started else self._start_root()
        ctx = trace.set_span_in_context(root, otel_context.get_current())
        self.context = otel_context.set_value(SESSION_ID_KEY, self.session_id, ctx)
        _scope.known(self)

    def _start_root(self) -> Span:
        tr = tracer()
        assert tr is not None  # ensure_started() guarantees an SDK provider (the span may still be sampled out)
        # An empty parent context: a session is always the root of a new trace.
        span = tr.start_span(
            f"session {self.name}" if self.name else "session",
            context=otel_context.Context(),
            attributes=self._attributes,
            links=self._links,
            start_time=self._start_ns,
        )
        self._span = span
        self._recorder.hold(span.get_span_context().trace_id, self)
        _scope.opened(self)
        return span

    @property
    def span(self) -> Span:
        """The root span (started now if this is the deferred auto-started session)."""
        span = self._span
        if span is None:
            with self._lock:
                span = self._span if self._span is not None else self._start_root()
        return span

    @property
    def pending(self) -> bool:
        """True for the auto-started session while nothing has been recorded in it."""
        return self._span is None

    @property
    def root_context(self) -> SpanContext:
        return self.span.get_span_context()

    @property
    def trace_id(self) -> str:
        return format(self.root_context.trace_id, "032x")

    @property
    def ended(self) -> bool:
        return self.end_state is not None

    def end(self, end_state: Any = "Success", end_state_reason: str | None = None) -> Session:
        """End this session (once; later calls change nothing) and return it as a Session, read back
        when first used (ending costs the same however many steps the session has)."""
        self.close(end_state, end_state_reason)
        return SessionReadBack(self)  # type: ignore[return-value]  # a Session in all but construction

    def close(
        self,
        end_state: Any = "Success",
        end_state_reason: str | None = None,
        *,
        error: BaseException | None = None,
        crashed: bool = False,
    ) -> None:
        """End this session without reading it back.

        Any end state is accepted: AgentOps' spellings map onto Success / Fail / Indeterminate, and one
        we do not know ends the session Indeterminate, keeping what was given (logged once). `error`
        is the exception that ended it; ended Fail while an exception is being handled (`except ...:
        end_session("Fail", str(e))`), that one is. `crashed`: the process is dying (a signal).
        """
        state, reason, given = _ended_as(end_state, end_state_reason)
        if error is None and state == _states.FAIL:
            error = sys.exc_info()[1]
        with self._lock:
            if self.end_state is None:
                self._finish(state, reason, given, error, crashed)
        _scope.leave(self)

    def close_after(self, exc: BaseException | None) -> None:
        """End this session as `exc` leaving it ends it (see `ended_by`)."""
        state, reason = ended_by(exc)
        self.close(state, reason, error=exc if state != _states.SUCCESS else None)

    def _finish(self, state: str, reason: str | None, given: str | None, error: Any, crashed: bool) -> None:
        if reason is not None:
            reason = _pipeline.current_settings().redactor.text(str(reason))
        span = self.span
        self.end_state, self.end_state_reason = state, reason
        attrs: dict[str, Any] = {sc.AGENTOPS_SESSION_END_STATE: state}
        if reason:
            attrs[sc.AGENTOPS_SESSION_END_STATE_REASON] = str(reason)
        if given is not None:
            attrs[sc.AGENTOPS_SESSION_END_STATE_GIVEN] = given
        if crashed:
            attrs[sc.AGENTOPS_SESSION_CRASHED] = True
        if isinstance(error, BaseException):
            try:
                attrs.update(_exceptions.ending_attributes(error))
            except Exception:
                internal_error("record the exception that ended a session")
        self._attributes.update(attrs)
        if state == _states.FAIL:
            span.set_status(Status(StatusCode.ERROR, str(reason or "session failed")))
        elif state == _states.SUCCESS:
            span.set_status(Status(StatusCode.OK))
        span.set_attributes(attrs)
        self._end_ns = time.time_ns()
        span.end(end_time=self._end_ns)
        _scope.closed(self)
        session_ended()

    def give_way(self) -> None:
        """Step aside in this context without a trace: the auto-started session, still empty, when the
        application starts its own. Used again later (in a context still holding it), it is recorded."""
        _scope.leave(self)

    def set_root_attributes(self, attributes: dict[str, Any]) -> bool:
        """Set attributes on the root span while the session is open (tags, metadata); False once ended."""
        with self._lock:
            if self.ended:
                return False
            self._attributes.update(attributes)
            self.span.set_attributes(attributes)
            return True

    def get(self) -> Session:
        """This session as recorded so far (a fresh read model each call)."""
        records = self._recorder.records(self.trace_id)  # where it was recorded, even after a re-init
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
        return _scope.push(self)

    def leave_scope(self, tokens: tuple[Any, Any, Any]) -> None:
        _scope.pop(tokens)

    def recorded_cost(self) -> float:
        """The ended session's cost as the cost processor totalled it on its root (O(1)); the priced
        part when a model could not be priced."""
        span = self._span
        if span is not None and self.ended:
            context = span.get_span_context()
            root = self._recorder.ended_span(context.trace_id, context.span_id)
            cost = root.attributes.get(sc.AGENTOPS_SESSION_COST_USD) if root is not None and root.attributes else None
            if isinstance(cost, int | float) and not isinstance(cost, bool):
                return float(cost)
        return self.get().cost_lower_bound

    def __repr__(self) -> str:
        state = self.end_state or ("pending" if self.pending else "open")
        return f"<SessionHandle {self.session_id} {state}>"


class SessionReadBack:
    """A Session read back from its handle the first time anything of it is used: what `end()` and
    `end_session()` return, so that ending a session never builds the model for a caller that does
    not look at it. It is the Session in every use (attributes, `isinstance`, equality, repr)."""

    __slots__ = ("_handle", "_session")

    def __init__(self, handle: SessionHandle) -> None:
        self._handle = handle
        self._session: Session | None = None

    def _read(self) -> Session:
        if self._session is None:
            from .._links import with_url

            self._session = with_url(self._handle.get())
        return self._session

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(x, Session), dataclasses.replace(x, ...) work on it
        return Session

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and not name.startswith("__dataclass"):
            raise AttributeError(name)  # copy, pickle and the like must not read the session by accident
        return getattr(self._read(), name)

    def __eq__(self, other: object) -> bool:
        return self._read() == (other._read() if isinstance(other, SessionReadBack) else other)

    def __hash__(self) -> int:
        return hash(self._read())

    def __repr__(self) -> str:
        return repr(self._read())


def _give_way() -> None:
    """An explicit session is starting: the auto-started one, if it is current here and still empty,
    makes way for it (so `init()` then `start_session()` records one session, not two)."""
    current = _scope.current_handle()
    if current is not None and current.auto_started and current.pending:
        current.give_way()


class _DeferredRoot(Span):
    """Stands in the context for the auto-started session's root span and starts it when first needed."""

    def __init__(self, handle: SessionHandle) -> None:
        self._handle = handle

    def _real(self) -> Span:
        return self._handle.span

    def get_span_context(self) -> SpanContext:
        return self._real().get_span_context()

    def is_recording(self) -> bool:
        return self._handle.pending or self._real().is_recording()

    def set_attributes(self, attributes: Any) -> None:
        self._real().set_attributes(attributes)

    def set_attribute(self, key: str, value: Any) -> None:
        self._real().set_attribute(key, value)

    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        self._real().add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: Any = None) -> None:
        self._real().add_link(context, attributes)

    def update_name(self, name: str) -> None:
        self._real().update_name(name)

    def set_status(self, status: Any, description: str | None = None) -> None:
        self._real().set_status(status, description)

    def record_exception(
        self, exception: BaseException, attributes: Any = None, timestamp: int | None = None, escaped: bool = False
    ) -> None:
        self._real().record_exception(exception, attributes, timestamp, escaped)

    def end(self, end_time: int | None = None) -> None:
        self._real().end(end_time)

    def __getattr__(self, name: str) -> Any:  # e.g. `.attributes`, read by span processors of a child
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._real(), name)
