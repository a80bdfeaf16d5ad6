"""The capture API: the recording lifecycle (`init`, `shutdown`), sessions, decorators and events, with
AgentOps' 0.3 and 0.4 names and semantics (`import agentops_otel as agentops` runs their code)."""

from ._agentops_init import configure, get_api_key, set_api_key, set_parent_key
from ._client import Client, add_tags, check_agentops_update, create_agent, get_client, logger, set_tags
from ._entities import (
    action,
    agent,
    guardrail,
    operation,
    record_action,
    record_function,
    record_tool,
    task,
    tool,
    trace,
    track_agent,
    track_endpoint,
    track_tool,
    workflow,
)
from ._events import ActionEvent, ErrorEvent, Event, LLMEvent, ToolEvent, record
from ._lifecycle import init, shutdown, stop_instrumenting
from ._sessions import (
    SessionHandle,
    current_handle,
    end_all_sessions,
    end_session,
    get_session,
    session,
    start_session,
)
from ._traces import ERROR, SUCCESS, UNSET, EndState, TraceState, end_trace, start_trace, update_trace_metadata
from ._validation import ValidationError, print_validation_summary, validate_trace_spans

TraceContext = SessionHandle  # AgentOps 0.4's name for what start_trace() returns

__all__ = [
    "ERROR",
    "SUCCESS",
    "UNSET",
    "ActionEvent",
    "Client",
    "EndState",
    "ErrorEvent",
    "Event",
    "LLMEvent",
    "SessionHandle",
    "ToolEvent",
    "TraceContext",
    "TraceState",
    "ValidationError",
    "action",
    "add_tags",
    "agent",
    "check_agentops_update",
    "configure",
    "create_agent",
    "current_handle",
    "end_all_sessions",
    "end_session",
    "end_trace",
    "get_api_key",
    "get_client",
    "get_session",
    "guardrail",
    "init",
    "logger",
    "operation",
    "print_validation_summary",
    "record",
    "record_action",
    "record_function",
    "record_tool",
    "session",
    "set_api_key",
    "set_parent_key",
    "set_tags",
    "shutdown",
    "start_session",
    "start_trace",
    "stop_instrumenting",
    "task",
    "tool",
    "trace",
    "track_agent",
    "track_endpoint",
    "track_tool",
    "update_trace_metadata",
    "validate_trace_spans",
    "workflow",
]
