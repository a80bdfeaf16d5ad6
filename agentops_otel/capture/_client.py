"""AgentOps' module-level session functions and its `Client` (0.3 `agentops.Client()`, 0.4 `get_client()`).

The module-level functions act on the session current in this context (thread, asyncio task): the
innermost one started here, else the one `init()` started. AgentOps 0.3 refused them (a warning, no
effect) once two sessions were open; here they keep working on the current one, and `session.record`,
`session.end_session` and `session=` address any other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from . import _agentops_init, _scope
from ._agents import record_agent_created
from ._events import record
from ._handle import SessionHandle
from ._lifecycle import init, stop_instrumenting
from ._sessions import end_all_sessions, end_session, get_session, start_session

_log = logger = logging.getLogger("agentops_otel")  # `agentops.logger`


def check_agentops_update() -> None:
    """AgentOps 0.3 checked PyPI for a newer release; there is nothing to check against here."""


def add_tags(tags: str | Sequence[str]) -> None:
    """Add tags to the current session (a string is one tag)."""
    handle = _current("add_tags")
    if handle is not None:
        handle.add_tags(tags)


def set_tags(tags: str | Sequence[str]) -> None:
    """Replace the current session's tags."""
    handle = _current("set_tags")
    if handle is not None:
        handle.set_tags(tags)


def _current(function: str) -> SessionHandle | None:
    handle = _scope.current_handle()
    if handle is None:
        _log.warning("%s() called with no active session in this context", function)
    return handle


def create_agent(name: str, agent_id: str | None = None) -> str:
    """Record an agent's creation (`create_agent {name}`) in the current session; returns its id."""
    return record_agent_created(name, agent_id)


class Client:
    """AgentOps' client: one per process, its methods the module-level functions."""

    _instance: Client | None = None

    def __new__(cls) -> Client:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    init = staticmethod(init)
    configure = staticmethod(_agentops_init.configure)
    start_session = staticmethod(start_session)
    end_session = staticmethod(end_session)
    end_all_sessions = staticmethod(end_all_sessions)
    record = staticmethod(record)
    add_tags = staticmethod(add_tags)
    set_tags = staticmethod(set_tags)
    create_agent = staticmethod(create_agent)
    get_session = staticmethod(get_session)
    stop_instrumenting = staticmethod(stop_instrumenting)

    @property
    def is_initialized(self) -> bool:
        from .. import _pipeline

        return _pipeline.current_pipeline() is not None

    @property
    def api_key(self) -> str | None:
        return _agentops_init.get_api_key()

    @property
    def current_session_ids(self) -> list[str]:
        """The ids of the open sessions of the process."""
        return [h.session_id for h in _scope.open_handles()]

    @property
    def session_count(self) -> int:
        return len(_scope.open_handles())

    @property
    def is_multi_session(self) -> bool:
        return self.session_count > 1


def get_client() -> Client:
    """AgentOps 0.4's `get_client()`: the process's Client."""
    return Client()
