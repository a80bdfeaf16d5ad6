"""agentops_otel: record AI-agent runs as OpenTelemetry traces, then test, price, gate and replay them.

    import agentops_otel as agentops
    agentops.init()                              # joins your TracerProvider or creates one
    with agentops.session("triage", tags=["support"]):
        ...                                      # LLM calls, @record_tool / @record_action steps
    agentops.get_session().cost

Names are imported on first use, so `import agentops_otel` (and our pytest plugin, which every pytest
run loads) costs nothing until the API is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._playback import (
        PlaybackDivergence,
        PlaybackError,
        RecordedStep,
        RecordedToolError,
        Recording,
        load_recording,
        playback,
    )
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
        init,
        record,
        record_action,
        record_tool,
        session,
        shutdown,
        start_session,
        tool,
    )
    from .model import Session, Step

_CAPTURE = (
    "ActionEvent", "ErrorEvent", "LLMEvent", "SessionHandle", "ToolEvent", "agent", "end_all_sessions",
    "end_session", "get_session", "init", "record", "record_action", "record_tool", "session", "shutdown",
    "start_session", "tool",
)  # fmt: skip
_EXPORTS = {"Session": ".model", "Step": ".model"}
_EXPORTS.update(dict.fromkeys(_CAPTURE, ".capture"))
_PLAYBACK = (
    "PlaybackDivergence", "PlaybackError", "RecordedStep", "RecordedToolError", "Recording", "load_recording",
    "playback",
)  # fmt: skip
_EXPORTS.update(dict.fromkeys(_PLAYBACK, "._playback"))

__all__ = [  # the names of _EXPORTS, spelled out for type checkers and linters
    "ActionEvent",
    "ErrorEvent",
    "LLMEvent",
    "PlaybackDivergence",
    "PlaybackError",
    "RecordedStep",
    "RecordedToolError",
    "Recording",
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
    "load_recording",
    "playback",
    "record",
    "record_action",
    "record_tool",
    "session",
    "shutdown",
    "start_session",
    "tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentops_otel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
