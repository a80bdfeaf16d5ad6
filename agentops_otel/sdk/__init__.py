"""AgentOps 0.4's `agentops.sdk` import paths, so `from agentops_otel.sdk.decorators import agent, tool`
and `from agentops_otel.sdk.core import TraceContext` work as their `agentops.sdk` twins do."""
