"""AgentOps' `agentops.enums`: `EndState` (0.3.10 to 0.3.25) and `TraceState` (0.4)."""

from .capture import EndState, TraceState

__all__ = ["EndState", "TraceState"]
