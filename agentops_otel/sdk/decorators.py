"""AgentOps 0.4's `agentops.sdk.decorators`: the decorator family, as `agentops_otel.capture` records it."""

from ..capture import agent, guardrail, operation, session, task, tool, trace, track_endpoint, workflow

__all__ = ["agent", "guardrail", "operation", "session", "task", "tool", "trace", "track_endpoint", "workflow"]
