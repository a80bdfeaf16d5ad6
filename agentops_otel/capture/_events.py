"""AgentOps-style events: `record(ActionEvent(...))` and friends, each a step span in the current
session with the attributes an automatic one would have.

As in AgentOps, an event is stamped when it is created (`init_timestamp`) and ends when it is recorded
(`end_timestamp`, unless set), so an event created before the work it describes has its real duration.
"""

from __future__ import annotations

import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, Status, StatusCode

from .. import _tool_calls as tool_calls
from .. import semconv as sc
from .._context import SESSION_ID_KEY
from ..errors import ConfigurationError
from ._spans import content_attributes, local_redactor, record_error, tracer

USER_COST_SOURCE = "user"  # agentops.cost.source of a cost the application gave


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()  # AgentOps' timestamp format


def _ns(value: Any) -> int | None:
    """AgentOps timestamps are ISO strings; accept those, datetimes and epoch nanoseconds."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return int(value.timestamp() * 1e9)
    raise TypeError(f"a timestamp must be an ISO string, datetime or epoch nanoseconds, not {value!r}")


@dataclass
class _Event:
    init_timestamp: Any = field(default_factory=_now, kw_only=True)
    end_timestamp: Any = field(default=None, kw_only=True)
    agent_id: Any = field(default=None, kw_only=True)  # accepted for AgentOps compatibility
    id: Any = field(default_factory=uuid.uuid4, kw_only=True)
    session_id: Any = field(default=None, kw_only=True)  # set by record()
    span_id: str | None = field(default=None, init=False)  # set by record()


Event = _Event  # AgentOps' name of the base class


@dataclass
class ActionEvent(_Event):
    action_type: str = "action"
    params: Any = None
    returns: Any = None
    logs: Any = None
    screenshot: Any = None  # accepted for AgentOps compatibility; not recorded
    event_type: str = field(default="actions", kw_only=True)


@dataclass
class ToolEvent(_Event):
    name: str = "tool"
    params: Any = None
    returns: Any = None
    logs: Any = None
    tool_call_id: str | None = None  # the model's tool call this answers (gen_ai.tool.call.id)
    event_type: str = field(default="tools", kw_only=True)


@dataclass
class LLMEvent(_Event):
    model: str | None = None
    prompt: Any = None
    completion: Any = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    provider: str | None = None
    thread_id: Any = None  # accepted for AgentOps compatibility
    cost: float | None = None  # USD; recorded as given (agentops.cost.source "user") instead of priced
    event_type: str = field(default="llms", kw_only=True)

    def __post_init__(self) -> None:
        if self.cost is not None and (
            isinstance(self.cost, bool) or not isinstance(self.cost, int | float) or not self.cost >= 0
        ):
            raise ConfigurationError(f"LLMEvent(cost=...) must be an amount in USD >= 0, got {self.cost!r}")


@dataclass
class ErrorEvent(_Event):
    trigger_event: _Event | None = None
    exception: BaseException | None = None
    error_type: str | None = None
    code: str | None = None
    details: Any = None
    logs: Any = None
    event_type: str = field(default="errors", kw_only=True)

    def __post_init__(self) -> None:
        exc = self.exception
        if exc is not None:  # as AgentOps fills them; the exception itself is recorded with its stack
            self.error_type = self.error_type or type(exc).__name__
            if self.details is None:
                self.details = str(exc)
            if self.logs is None:
                self.logs = "".join(traceback.format_exception(exc))
        if self.end_timestamp is None:
            self.end_timestamp = self.init_timestamp  # an error happens at one moment

    @property
    def timestamp(self) -> Any:
        return self.init_timestamp


def _messages(value: Any, role: str) -> Any:
    """Plain text becomes one message in the upstream GenAI message format; lists pass through."""
    if isinstance(value, str):
        return [{"role": role, "parts": [{"type": "text", "content": value}]}]
    return value


def _masked(text: str) -> str:
    """Masked here only when our spans do not pass the pipeline's redaction net."""
    redactor = local_redactor()
    return redactor.text(text) if redactor is not None else text


def record(event: _Event, context: otel_context.Context | None = None) -> _Event:
    """Record an event as a step span of the current session (or of the session whose `context` is
    given; a free span outside any)."""
    tr = tracer()
    if tr is None:
        return event
    attrs: dict[str, Any] = {}
    kind = SpanKind.INTERNAL
    if isinstance(event, ActionEvent):
        name = event.action_type
        attrs[sc.AGENTOPS_SPAN_TYPE] = sc.SpanTypeValues.ACTION.value
        attrs[sc.AGENTOPS_ACTION_TYPE] = event.action_type
        content_attributes(sc.AGENTOPS_STEP_PARAMS, event.params, attrs)
        content_attributes(sc.AGENTOPS_STEP_RETURNS, event.returns, attrs)
    elif isinstance(event, ToolEvent):
        name = f"execute_tool {event.name}"
        attrs[sc.AGENTOPS_SPAN_TYPE] = sc.SpanTypeValues.TOOL.value
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.GenAiOperationNameValues.EXECUTE_TOOL.value
        attrs[sc.GEN_AI_TOOL_NAME] = event.name
        call_id = event.tool_call_id or tool_calls.claim(event.name, event.params)
        if call_id:
            attrs[sc.GEN_AI_TOOL_CALL_ID] = call_id
        content_attributes(sc.GEN_AI_TOOL_CALL_ARGUMENTS, event.params, attrs)
        content_attributes(sc.GEN_AI_TOOL_CALL_RESULT, event.returns, attrs)
    elif isinstance(event, LLMEvent):
        model = event.model or "unknown"
        name, kind = f"chat {model}", SpanKind.CLIENT
        attrs[sc.AGENTOPS_SPAN_TYPE] = sc.SpanTypeValues.LLM.value
        attrs[sc.GEN_AI_OPERATION_NAME] = sc.GenAiOperationNameValues.CHAT.value
        attrs[sc.GEN_AI_REQUEST_MODEL] = model
        attrs[sc.GEN_AI_RESPONSE_MODEL] = model
        if event.provider:
            attrs[sc.GEN_AI_PROVIDER_NAME] = event.provider
        if event.prompt_tokens is not None:
            attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] = int(event.prompt_tokens)
        if event.completion_tokens is not None:
            attrs[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = int(event.completion_tokens)
        content_attributes(sc.GEN_AI_INPUT_MESSAGES, _messages(event.prompt, "user"), attrs)
        content_attributes(sc.GEN_AI_OUTPUT_MESSAGES, _messages(event.completion, "assistant"), attrs)
        if event.cost is not None:
            attrs[sc.AGENTOPS_COST_USD] = float(event.cost)
            attrs[sc.AGENTOPS_COST_STATUS] = sc.CostStatusValues.PRICED.value
            attrs[sc.AGENTOPS_COST_SOURCE] = USER_COST_SOURCE
            attrs[sc.AGENTOPS_COST_GIVEN] = True
    elif isinstance(event, ErrorEvent):
        exc = event.exception
        error_type = event.error_type or (type(exc).__qualname__ if exc is not None else "Error")
        name = error_type
        attrs[sc.AGENTOPS_SPAN_TYPE] = sc.SpanTypeValues.ERROR.value
        attrs[sc.ERROR_TYPE] = error_type
        if event.details is not None:
            attrs[sc.AGENTOPS_ERROR_DETAILS] = _masked(str(event.details))
        if event.code is not None:
            attrs[sc.AGENTOPS_ERROR_CODE] = str(event.code)
        trigger = event.trigger_event
        if trigger is not None and trigger.span_id:
            attrs[sc.AGENTOPS_ERROR_TRIGGER_SPAN_ID] = trigger.span_id
    else:
        raise TypeError(f"record() takes an ActionEvent, ToolEvent, LLMEvent or ErrorEvent, not {type(event).__name__}")
    span = tr.start_span(name, context=context, kind=kind, attributes=attrs, start_time=_ns(event.init_timestamp))
    if isinstance(event, ErrorEvent):
        if event.exception is not None:
            record_error(span, event.exception)
        else:
            span.set_status(Status(StatusCode.ERROR, _masked(str(event.details or name))))
    event.span_id = format(span.get_span_context().span_id, "016x")
    event.session_id = otel_context.get_value(SESSION_ID_KEY, context)
    if event.end_timestamp is None:
        event.end_timestamp = _now()
    span.end(end_time=_ns(event.end_timestamp))
    return event
