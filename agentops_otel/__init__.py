"""agentops_otel: record AI-agent runs as OpenTelemetry traces, then test, price, gate and replay them.

    import agentops_otel as agentops
    agentops.init()                              # joins your TracerProvider or creates one
    with agentops.session("triage", tags=["support"]):
        ...                                      # LLM calls, @agentops.tool / @agentops.action steps
    agentops.get_session().cost

`__all__` is what a new user needs to learn. Every name AgentOps' SDK offers, 0.3 and 0.4 (`record_tool`,
`start_trace`, `TraceState`, `validate_trace_spans`, ...), is importable from here too, so code written
for AgentOps runs with `import agentops_otel as agentops` (README: the compatibility table); playback's
types live in `agentops_otel.playback`. AgentOps' `agentops.Session` is our `SessionHandle`: `Session`
here is the read model.

Names are imported on first use, so `import agentops_otel` (and our pytest plugin, which every pytest
run loads) costs nothing until the API is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _atexit  # noqa: F401  (takes the exit slot first: our flush runs after the application's hooks)
from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .capture import (
        ActionEvent,
        ErrorEvent,
        LLMEvent,
        SessionHandle,
        ToolEvent,
        action,
        agent,
        end_session,
        get_session,
        init,
        record,
        session,
        shutdown,
        start_session,
        tool,
    )
    from .model import Session, Step
    from .playback import playback

_CAPTURE = (
    # ours
    "ActionEvent", "ErrorEvent", "LLMEvent", "SessionHandle", "ToolEvent", "action", "agent", "end_session",
    "get_session", "init", "record", "session", "shutdown", "start_session", "tool",
    # AgentOps 0.3
    "Client", "EndState", "Event", "add_tags", "check_agentops_update", "configure", "create_agent",
    "end_all_sessions", "get_api_key", "logger", "record_action", "record_function", "record_tool", "set_api_key",
    "set_parent_key", "set_tags", "stop_instrumenting", "track_agent",
    # AgentOps 0.4
    "ERROR", "SUCCESS", "UNSET", "TraceContext", "TraceState", "ValidationError", "end_trace", "get_client",
    "guardrail", "operation", "print_validation_summary", "start_trace", "task", "trace", "track_endpoint",
    "track_tool", "update_trace_metadata", "validate_trace_spans", "workflow",
)  # fmt: skip
_PLAYBACK = (
    "PlaybackDivergence", "PlaybackError", "RecordedStep", "RecordedToolError", "Recording", "load_recording",
    "playback",
)  # fmt: skip
_EXPORTS = {"Session": ".model", "Step": ".model"}
_EXPORTS.update(dict.fromkeys(_CAPTURE, ".capture"))
_EXPORTS.update(dict.fromkeys(_PLAYBACK, ".playback"))

__all__ = [
    "ActionEvent",
    "ErrorEvent",
    "LLMEvent",
    "Session",
    "SessionHandle",
    "Step",
    "ToolEvent",
    "__version__",
    "action",
    "agent",
    "end_session",
    "get_session",
    "init",
    "playback",
    "record",
    "session",
    "shutdown",
    "start_session",
    "tool",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
