"""The decorators users call: ours (`tool`, `action`, `agent`) and AgentOps' 0.3 and 0.4 spellings.

Each works bare (`@tool`) or called (`@tool("search")`, `@tool(name="search", cost=0.05)`), takes
AgentOps 0.4's keywords (`name`, `version`, `tags`, `cost`, `spec`, `capture_request`,
`capture_response`; `attributes` too) and 0.3's name keywords (`tool_name=`, `event_name=`), and
works on functions, methods, async functions, generators and async generators. AgentOps' kinds map
onto our steps:

| AgentOps | records |
| --- | --- |
| `@tool`, `@record_tool`, `@track_tool` | `execute_tool {name}`; `cost=` counts toward the session's cost |
| `@task`, `@operation`, `@action`, `@record_action`, `@record_function` | an action step |
| `@agent`, `@track_agent` | `invoke_agent {name}` per call; on a class, per call into an instance (`_agents`) |
| `@guardrail(spec=...)` | a guardrail step |
| `@workflow` | a session, or an `invoke_workflow {name}` step when called inside one |
| `@trace`, `@session`, `@track_endpoint` | a session (its own trace, linked to the current one) |
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import wrapt

from ._agents import agent_class
from ._decorators import ACTION, AGENT, GUARDRAIL, TOOL, WORKFLOW, options_of, step_decorator, steps_decorated
from ._scope import current_handle
from ._sessions import session

_log = logging.getLogger("agentops_otel")


def tool(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """Record each call as a tool call (`execute_tool {name}`): `@tool("search")`, `@tool(cost=0.05)`."""
    return steps_decorated(TOOL, name_or_func, keywords, "tool_name")


def action(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """Record each call as an action step: `@action("fetch_customer_data")`."""
    return steps_decorated(ACTION, name_or_func, keywords, "event_name", "action_type")


def guardrail(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """Record each call as a guardrail step: `@guardrail(spec="input")`."""
    return steps_decorated(GUARDRAIL, name_or_func, keywords)


def agent(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """Record each call as an agent invocation (`invoke_agent {name}`): `@agent("planner")`. On a class,
    each call into an instance is one (see `agentops_otel.capture._agents`)."""
    func, options = options_of(name_or_func, keywords)

    def decorate(target: Any) -> Any:
        if inspect.isclass(target):
            return agent_class(target, options)
        return step_decorator(AGENT, options)(target)

    return decorate(func) if func is not None else decorate


def workflow(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """A session when called outside any, else an `invoke_workflow {name}` step of the current one."""
    func, options = options_of(name_or_func, keywords)

    def decorate(target: Any) -> Any:
        as_step = step_decorator(WORKFLOW, options)(target)
        as_session = session(options.name or target.__name__, options.tags, version=options.version)(target)

        @wrapt.decorator
        def dispatch(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            chosen = as_step if current_handle() is not None else as_session
            if instance is not None and not inspect.isclass(instance):
                chosen = chosen.__get__(instance, type(instance))
            return chosen(*args, **kwargs)

        return dispatch(target)

    return decorate(func) if func is not None else decorate


def trace(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """AgentOps 0.4's `@trace(name=..., tags=[...])`: each call is a session."""
    func, options = options_of(name_or_func, keywords)
    decorator = session(options.name, options.tags, version=options.version, attributes=options.attributes)
    return decorator(func) if func is not None else decorator


def track_agent(name: Any = None, /, **keywords: Any) -> Any:
    """AgentOps 0.3's `@track_agent(name="qa")`: `agent`, on classes and functions."""
    return agent(name, **keywords)


def record_function(event_name: Any = None, /, **keywords: Any) -> Any:
    """AgentOps' deprecated name of `record_action`."""
    _log.warning("record_function() is deprecated in AgentOps; it records an action as record_action() does")
    return action(event_name, **keywords)


def track_endpoint(name_or_func: Any = None, /, **keywords: Any) -> Any:
    """AgentOps 0.4's `@track_endpoint` (Flask): each call is a session; the HTTP request and response
    are not recorded."""
    return trace(name_or_func, **keywords)


record_tool = track_tool = tool
record_action = task = operation = action
