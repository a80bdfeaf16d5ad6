"""Agents as classes: `@agent` / `@track_agent` on a class, and `create_agent(name)`.

AgentOps 0.4 opens one agent span when an instance is created and leaves it open (and current) until
the instance is garbage collected, so spans nest under it only while it lives, a module-level agent's
span is never exported, and the span outlives its session. We record what the agent *does* instead:
each call of one of the instance's public methods (and `__call__`) from outside the agent is one
`invoke_agent {name}` step, current while the method runs (async methods and generators included), so
everything the method does (its `@tool` / `@task` methods, LLM calls, other agents) nests under it. A
call between the same instance's own methods stays inside that one step. Every step of an instance
carries the same `gen_ai.agent.id` (also `instance.agentops_agent_id`, as in AgentOps 0.3), so the
invocations of one agent can be grouped. The name is the `agentops_name=` given to the constructor
(AgentOps 0.3), else the decorator's `name=`, else the instance's `role`, else the class name.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import uuid
from typing import Any

from opentelemetry import context as otel_context

from .. import semconv as sc
from ._decorators import AGENT, AGENT_KEY, StepOptions, step_decorator
from ._spans import tracer


def _remember(instance: Any, agent_id: str, name: str) -> None:
    try:
        instance.agentops_agent_id = agent_id
        instance.agentops_agent_name = name
    except AttributeError:  # __slots__ without room for them: each call is then its own agent step
        pass


def agent_class(cls: type, options: StepOptions) -> type:
    """Make every call into an instance of `cls` an agent step (see the module docstring)."""
    default_name = options.name or cls.__name__

    def bind(instance: Any) -> dict[str, Any] | None:
        if instance is None:
            return {}
        agent_id = getattr(instance, "agentops_agent_id", None)
        if agent_id is None:
            agent_id = str(uuid.uuid4())
            _remember(instance, agent_id, default_name)
        elif otel_context.get_value(AGENT_KEY) == agent_id:
            return None  # one of its own methods calling another: already inside its step
        name = getattr(instance, "agentops_agent_name", None) or default_name
        return {sc.GEN_AI_AGENT_ID: agent_id, sc.GEN_AI_AGENT_NAME: str(name)}

    method_step = step_decorator(AGENT, dataclasses.replace(options, name=default_name), bind=bind)
    for attribute, value in list(vars(cls).items()):
        if (attribute == "__call__" or not attribute.startswith("_")) and inspect.isfunction(value):
            setattr(cls, attribute, method_step(value))

    original_init = cls.__init__  # type: ignore[misc]

    @functools.wraps(original_init)
    def __init__(self: Any, *args: Any, agentops_name: str | None = None, **kwargs: Any) -> None:
        agent_id = str(uuid.uuid4())
        _remember(self, agent_id, agentops_name or default_name)
        original_init(self, *args, **kwargs)
        if not agentops_name and not options.name and isinstance(getattr(self, "role", None), str):
            _remember(self, agent_id, self.role)  # AgentOps 0.3 names a crewAI-style agent by its role

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


def record_agent_created(name: str, agent_id: str | None = None) -> str:
    """Record an agent's creation as a `create_agent {name}` step of the current session; its id."""
    agent_id = str(agent_id or uuid.uuid4())
    tr = tracer()
    if tr is not None:
        attrs = {
            sc.AGENTOPS_SPAN_TYPE: sc.SpanTypeValues.AGENT.value,
            sc.GEN_AI_OPERATION_NAME: sc.GenAiOperationNameValues.CREATE_AGENT.value,
            sc.GEN_AI_AGENT_NAME: str(name),
            sc.GEN_AI_AGENT_ID: agent_id,
        }
        tr.start_span(f"create_agent {name}", attributes=attrs).end()
    return agent_id
