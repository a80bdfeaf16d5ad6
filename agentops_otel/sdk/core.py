"""AgentOps 0.4's `agentops.sdk.core`: `TraceContext`, the object `start_trace()` returns (our session handle)."""

from ..capture import TraceContext

__all__ = ["TraceContext"]
