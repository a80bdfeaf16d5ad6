"""The capture API: the recording lifecycle (`init`, `shutdown`), sessions, decorators and events
(AgentOps-compatible names)."""

from ._decorators import action, agent, record_action, record_tool, tool
from ._events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent, record
from ._lifecycle import init, shutdown
from ._sessions import (
    SessionHandle,
    current_handle,
    end_all_sessions,
    end_session,
    get_session,
    session,
    start_session,
)

__all__ = [
    "ActionEvent",
    "ErrorEvent",
    "LLMEvent",
    "SessionHandle",
    "ToolEvent",
    "action",
    "agent",
    "current_handle",
    "end_all_sessions",
    "end_session",
    "get_session",
    "init",
    "record",
    "record_action",
    "record_tool",
    "session",
    "shutdown",
    "start_session",
    "tool",
]
