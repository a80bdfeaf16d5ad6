"""Sessions: starting and ending them, finding them, and `session` as a context manager or decorator.

A session is a root span, isolated per thread and asyncio task (`_scope`); `SessionHandle` (`_handle`)
is the object that starts, ends and reads one.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .. import semconv as sc
from ..model import Session
from . import _scope
from ._generators import Scope, drive, drive_async
from ._handle import SessionHandle
from ._scope import current_handle, forget_open_sessions

__all__ = [
    "SessionHandle",
    "current_handle",
    "end_all_sessions",
    "end_session",
    "forget_open_sessions",
    "get_session",
    "session",
    "start_session",
]

_log = logging.getLogger("agentops_otel")
_F = TypeVar("_F", bound=Callable[..., Any])

# Keywords of AgentOps' 0.4 decorators that mean nothing for a session; accepted so their code runs.
_IGNORED_DECORATOR_KEYWORDS = ("cost", "spec", "capture_request", "capture_response")


def session_tags(tags: Any) -> list[str]:
    """Tags as AgentOps accepts them: a list, one string, or (0.4) a dict, whose items become `key:value`."""
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tags]
    if isinstance(tags, Mapping):
        return [f"{k}:{v}" for k, v in tags.items()]
    return [str(t) for t in tags]


def start_session(
    tags: Any = None, name: str | None = None, inherited_session_id: Any = None, **attributes: Any
) -> SessionHandle:
    """Start a session: a new trace whose root span is current in this context until it ends.

    Started while another session is active, it is its own trace, linked to the outer one; the session
    init() started by itself gives way when nothing was recorded in it yet. `inherited_session_id`
    (AgentOps) continues a session id from elsewhere.
    """
    handle = SessionHandle(name, session_tags(tags), attributes, session_id=inherited_session_id)
    _scope.enter(handle)
    return handle


def end_session(
    session_or_state: Any = None, end_state_reason: str | None = None, video: Any = None, **kwargs: Any
) -> Session | None:
    """End the innermost active session of this context (or the session given first, as AgentOps 0.4
    allows: `end_session(session, end_state="Fail")`), Success unless told otherwise. Returns it as a
    Session, read back when first used (ending costs O(1) whatever the session's size), or None if
    there is none. Any end state is accepted (see `SessionHandle.close`); ended Fail inside an
    `except` block, the exception being handled is recorded as the one that ended it."""
    end_state = kwargs.pop("end_state", None)
    if isinstance(session_or_state, SessionHandle):
        handle: SessionHandle | None = session_or_state
    else:
        handle = current_handle()
        end_state = session_or_state if session_or_state is not None else end_state
    if handle is None:
        _log.warning("end_session() called with no active session in this context")
        return None
    if video is not None:
        handle.video = str(video)
    return handle.end(end_state, end_state_reason)


def end_all_sessions(
    end_state: Any = "Indeterminate",
    end_state_reason: str | None = None,
    *,
    error: BaseException | None = None,
    crashed: bool = False,
) -> None:
    """End every open session of the process (AgentOps semantics). The session init() started by itself
    is left out while nothing was recorded in it: there is nothing to end. `error`: the exception that
    ended them; `crashed`: the process is dying of a signal."""
    for handle in _scope.open_handles():
        handle.close(end_state, end_state_reason, error=error, crashed=crashed)


def get_session(session_id: Any = None) -> Any:
    """With no argument: the most recently started session of this context, active or ended, as the
    Session model (None if there is none); its `url` opens the replay.

    With a session id (a string or a UUID, as AgentOps takes it): that session's handle, the object
    `start_session()` returned, while this process knows it; else None.
    """
    if session_id is not None:
        return _scope.find(str(session_id).strip())
    from .._links import with_url

    handle = _scope.last_started.get()
    return with_url(handle.get()) if handle is not None else None


class session:  # lower case: used like a function, `with session(...)` and `@session(...)`
    """A session as a context manager (sync or async) or decorator. An exception ends it Fail and is
    re-raised; `sys.exit(0)` ends it Success, another exit code Fail, Ctrl-C and a cancelled task
    Indeterminate (see `SessionHandle.close_after`).

        with agentops_otel.session("triage", tags=["support"]) as s: ...
        async with agentops_otel.session("triage") as s: ...
        @agentops_otel.session("triage")      # or bare @agentops_otel.session: named after the function
        def run(): ...
    """

    def __new__(cls, name: Any = None, tags: Any = None, **attributes: Any) -> Any:
        if callable(name):  # bare `@session`
            return cls(None, tags, **attributes)(name)
        return super().__new__(cls)

    def __init__(self, name: str | None = None, tags: Any = None, **attributes: Any) -> None:
        # AgentOps 0.4's @session(name=..., version=..., attributes={...}) keywords.
        for keyword in _IGNORED_DECORATOR_KEYWORDS:
            attributes.pop(keyword, None)
        version = attributes.pop("version", None)
        attributes.update(attributes.pop("attributes", None) or {})
        if version is not None:
            attributes[sc.AGENTOPS_ENTITY_VERSION] = str(version)
        self._name, self._tags, self._attributes = name, session_tags(tags), attributes
        self._handles: list[SessionHandle] = []

    def __enter__(self) -> SessionHandle:
        handle = start_session(self._tags, self._name, **self._attributes)
        self._handles.append(handle)
        return handle

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._handles.pop().close_after(exc)

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


def _started(name: str | None, tags: Sequence[str], attributes: dict[str, Any]) -> SessionHandle:
    """A session started but not made current here: a generator's code makes it current while it runs."""
    return SessionHandle(name, tags, attributes)


def _generator_scope(handle: SessionHandle) -> Scope:
    def finish(_: Any) -> None:
        handle.close("Success")
        _scope.last_started.set(handle)  # in the caller's context: get_session() now reads this session

    def fail(exc: BaseException, _: list[Any]) -> None:
        handle.close_after(exc)
        _scope.last_started.set(handle)

    return Scope(handle.enter_scope, handle.leave_scope, finish, fail)
