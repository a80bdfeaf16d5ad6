"""Errors a user can cause. Each message says what to do about it."""


class AgentOpsOtelError(Exception):
    """Base class of the errors agentops_otel raises into user code."""


class ConfigurationError(AgentOpsOtelError, ValueError):
    """An argument or setting has a value we cannot use."""


class StoreError(AgentOpsOtelError):
    """The local store file cannot be used (not a store, newer schema, unreadable)."""


class SourceError(AgentOpsOtelError):
    """A trace source cannot be read (unreachable, corrupt, truncated, unknown form)."""


class SessionNotFoundError(AgentOpsOtelError, LookupError):
    """No session matches the id or prefix, or a prefix matches more than one."""
