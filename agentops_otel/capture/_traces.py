"""AgentOps 0.4's trace API on our sessions: `start_trace`, `end_trace`, `update_trace_metadata`,
`TraceState` (and 0.3's `EndState`).

    trace = agentops.start_trace("checkout", tags=["web"])   # a session; also `with start_trace(...) as t:`
    agentops.update_trace_metadata({"user_tier": "pro"})
    agentops.end_trace(trace, end_state=agentops.TraceState.SUCCESS)

A trace is a session: its own trace id, also when started inside another (the nesting AgentOps' docs
describe; 0.4.21 itself makes it a child span of the outer trace), linked to the outer one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from enum import Enum
from typing import Any

from opentelemetry.trace import StatusCode

from .. import semconv as sc
from . import _scope
from ._handle import SessionHandle
from ._sessions import end_all_sessions, session_tags, start_session

_log = logging.getLogger("agentops_otel")
_METADATA_PREFIX = "trace.metadata"  # AgentOps' default prefix of metadata keys


class TraceState(Enum):
    """AgentOps 0.4's end states; they map onto Success / Fail / Indeterminate."""

    SUCCESS = StatusCode.OK
    ERROR = StatusCode.ERROR
    UNSET = StatusCode.UNSET

    def __str__(self) -> str:
        return self.name

    def to_status_code(self) -> StatusCode:
        return self.value


SUCCESS = TraceState.SUCCESS
ERROR = TraceState.ERROR
UNSET = TraceState.UNSET


class EndState(Enum):
    """AgentOps 0.3's end states (`agentops.session.EndState`), the ones we record."""

    SUCCESS = "Success"
    FAIL = "Fail"
    INDETERMINATE = "Indeterminate"


def start_trace(trace_name: str = "session", tags: Any = None, **kwargs: Any) -> SessionHandle:
    """Start a session named `trace_name` (AgentOps 0.4): current here until `end_trace`, or a context
    manager ending Success, or Fail with the exception as reason. Dict tags become `key:value` tags."""
    name = kwargs.pop("name", None) or trace_name  # the spelling of AgentOps' quickstart snippet
    if kwargs:
        raise TypeError(f"start_trace() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
    return start_session(session_tags(tags), name=str(name))


def end_trace(trace_context: Any = None, end_state: Any = "Success") -> None:
    """End one trace, or with none given every open one (AgentOps 0.4). Any end state is accepted."""
    if trace_context is None:
        end_all_sessions(end_state)
        return
    if not isinstance(trace_context, SessionHandle):  # end_trace("Success"): the state, for every trace
        if isinstance(trace_context, str | Enum):
            end_all_sessions(trace_context)
            return
        raise TypeError(f"end_trace() takes the trace start_trace() returned, not {type(trace_context).__name__}")
    trace_context.close(end_state)


def _metadata_value(key: str, value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str | bool | int | float) for v in value):
        return json.dumps(list(value))  # as AgentOps stores a list
    _log.warning("update_trace_metadata: %r is not a string, number, bool or list of them; skipped", key)
    return None


def _target() -> SessionHandle | None:
    current = _scope.current_handle()
    if current is not None:
        return current
    open_handles = _scope.open_handles()
    return open_handles[-1] if open_handles else None


def update_trace_metadata(metadata: Mapping[str, Any], prefix: str = _METADATA_PREFIX) -> bool:
    """Add metadata to the current trace's root span as `{prefix}.{key}` attributes (AgentOps 0.4);
    `tags` adds to the session's tags. False, with a warning, when there is no open trace."""
    if not isinstance(metadata, Mapping):
        raise TypeError(f"update_trace_metadata() takes a dict, not {type(metadata).__name__}")
    handle = _target()
    if handle is None:
        _log.warning("update_trace_metadata: no open trace to update")
        return False
    attributes: dict[str, Any] = {}
    for key, value in metadata.items():
        if value is None:
            continue
        if key == "tags":
            handle.add_tags(session_tags(value))
            continue
        attribute = _metadata_value(str(key), value)
        if attribute is not None:
            attributes[f"{prefix}.{key}" if prefix else str(key)] = attribute
    reserved = [k for k in attributes if k == sc.SESSION_ID or k.startswith(("agentops.", "gen_ai."))]
    for key in reserved:
        _log.warning("update_trace_metadata: %r is one of our own attributes; skipped", key)
        del attributes[key]
    return handle.set_root_attributes(attributes) if attributes else True
