"""agentops_otel: record AI-agent runs as OpenTelemetry traces, then test, price, gate and replay them.

import agentops_otel as agentops
agentops.init()                              # joins your TracerProvider or creates one
with agentops.session("triage", tags=["support"]):
    ...                                      # LLM calls, @record_tool / @record_action steps
agentops.get_session().cost
"""

from ._pipeline import init, shutdown
from .capture import (
    ActionEvent,
    ErrorEvent,
    LLMEvent,
    SessionHandle,
    ToolEvent,
    agent,
    end_all_sessions,
    end_session,
    get_session,
    record,
    record_action,
    record_tool,
    session,
    start_session,
    tool,
)
from .model import Session, Step

__version__ = "0.1.0"

__all__ = [
    "ActionEvent",
    "ErrorEvent",
    "LLMEvent",
    "Session",
    "SessionHandle",
    "Step",
    "ToolEvent",
    "__version__",
    "agent",
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
