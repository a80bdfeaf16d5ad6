"""The capture API: sessions, decorators and events (AgentOps-compatible names)."""

from ._decorators import agent, record_action, record_tool, tool
from ._events import ActionEvent, ErrorEvent, LLMEvent, ToolEvent, record
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
    "agent",
    "current_handle",
    "end_all_sessions",
    "end_session",
    "get_session",
    "record",
    "record_action",
    "record_tool",
    "session",
    "start_session",
    "tool",
]
