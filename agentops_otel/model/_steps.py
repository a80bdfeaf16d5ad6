"""Steps: one span of a session read as what it was to the agent (an LLM call, tool call, action...)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import _kinds
from .. import semconv as sc
from .._states import span_failed
from ._records import SpanRecord
from ._usage import Usage


def as_datetime(ns: int | None) -> datetime | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC)


def decode_content(value: Any) -> Any:
    """Content attributes hold JSON strings; give back the value, or the raw text if not JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


@dataclass(frozen=True, slots=True)
class StepError:
    type: str
    message: str = ""
    stacktrace: str | None = None

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


def _error_of(record: SpanRecord) -> StepError | None:
    attrs = record.attributes
    if not span_failed(record.status_code, attrs, (e.name for e in record.events)):
        return None
    exceptions = [e for e in record.events if e.name == "exception"]
    if exceptions:
        a = exceptions[-1].attributes
        return StepError(
            str(a.get(sc.EXCEPTION_TYPE, "Exception")),
            str(a.get(sc.EXCEPTION_MESSAGE, "")),
            a.get(sc.EXCEPTION_STACKTRACE),
        )
    details = attrs.get(sc.AGENTOPS_ERROR_DETAILS) or record.status_message or ""
    return StepError(str(attrs.get(sc.ERROR_TYPE, "Error")), str(details))


def step_kind(record: SpanRecord) -> str:
    return _kinds.step_kind(record.attributes)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a session: an LLM call, tool call, action, agent, error, or another span."""

    record: SpanRecord
    kind: str
    name: str
    depth: int
    offset_ns: int
    params: Any = None
    returns: Any = None
    error: StepError | None = None
    model: str | None = None
    provider: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None

    # Identity and timing, read from the span.
    @property
    def span_id(self) -> str:
        return self.record.span_id

    @property
    def parent_span_id(self) -> str | None:
        return self.record.parent_span_id

    @property
    def span_name(self) -> str:
        return self.record.name

    @property
    def attributes(self) -> Mapping[str, Any]:
        return self.record.attributes

    @property
    def started_at(self) -> datetime:
        return as_datetime(self.record.start_ns)  # type: ignore[return-value]

    @property
    def ended_at(self) -> datetime | None:
        return as_datetime(self.record.end_ns)

    @property
    def duration(self) -> float | None:
        ns = self.record.duration_ns
        return None if ns is None else ns / 1e9

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def priced(self) -> bool:
        return self.record.attributes.get(sc.AGENTOPS_COST_STATUS) == sc.CostStatusValues.PRICED

    # AgentOps-style names for the same facts.
    @property
    def action_type(self) -> str:
        return self.name

    @property
    def prompt(self) -> Any:
        return self.params

    @property
    def completion(self) -> Any:
        return self.returns

    @property
    def prompt_tokens(self) -> int:
        return self.usage.input_tokens

    @property
    def completion_tokens(self) -> int:
        return self.usage.output_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "kind": self.kind,
            "name": self.name,
            "span_name": self.span_name,
            "depth": self.depth,
            "offset_ns": self.offset_ns,
            "start_ns": self.record.start_ns,
            "end_ns": self.record.end_ns,
            "duration": self.duration,
            "params": self.params,
            "returns": self.returns,
            "error": None
            if self.error is None
            else {
                "type": self.error.type,
                "message": self.error.message,
                "stacktrace": self.error.stacktrace,
            },
            "model": self.model,
            "provider": self.provider,
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "priced": self.priced if self.kind == _kinds.LLM else None,
            "status": self.record.status_code,
            "attributes": dict(self.record.attributes),
            "events": [
                {"name": e.name, "time_ns": e.time_ns, "attributes": dict(e.attributes)} for e in self.record.events
            ],
        }


# Where each kind keeps its name, input and output (the first key present wins).
_CONTENT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    _kinds.LLM: ((sc.GEN_AI_INPUT_MESSAGES,), (sc.GEN_AI_OUTPUT_MESSAGES,)),
    _kinds.TOOL: ((sc.GEN_AI_TOOL_CALL_ARGUMENTS,), (sc.GEN_AI_TOOL_CALL_RESULT,)),
    _kinds.AGENT: (
        (sc.AGENTOPS_STEP_PARAMS, sc.GEN_AI_INPUT_MESSAGES),
        (sc.AGENTOPS_STEP_RETURNS, sc.GEN_AI_OUTPUT_MESSAGES),
    ),
}
_DEFAULT_CONTENT_KEYS = ((sc.AGENTOPS_STEP_PARAMS,), (sc.AGENTOPS_STEP_RETURNS,))


def _first(attrs: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        if key in attrs:
            return attrs[key]
    return None


def _name(kind: str, record: SpanRecord, model: Any) -> str:
    attrs = record.attributes
    if kind == _kinds.LLM:
        return str(model or record.name)
    if kind == _kinds.TOOL:
        return str(attrs.get(sc.GEN_AI_TOOL_NAME) or record.name.removeprefix("execute_tool "))
    if kind == _kinds.AGENT:
        return str(attrs.get(sc.GEN_AI_AGENT_NAME) or record.name.removeprefix("invoke_agent "))
    if kind == _kinds.WORKFLOW:
        return str(attrs.get(sc.GEN_AI_WORKFLOW_NAME) or record.name.removeprefix("invoke_workflow "))
    return str(attrs.get(sc.AGENTOPS_ACTION_TYPE) or attrs.get(sc.ERROR_TYPE) or record.name)


def make_step(record: SpanRecord, depth: int, session_start: int) -> Step:
    attrs = record.attributes
    kind = step_kind(record)
    model = provider = None
    if kind == _kinds.LLM:
        model = attrs.get(sc.GEN_AI_RESPONSE_MODEL) or attrs.get(sc.GEN_AI_REQUEST_MODEL)
        provider = attrs.get(sc.GEN_AI_PROVIDER_NAME) or attrs.get(sc.GEN_AI_SYSTEM)
    params_keys, returns_keys = _CONTENT_KEYS.get(kind, _DEFAULT_CONTENT_KEYS)
    cost = attrs.get(sc.AGENTOPS_COST_USD)
    return Step(
        record=record,
        kind=kind,
        name=_name(kind, record, model),
        depth=depth,
        offset_ns=record.start_ns - session_start,
        params=decode_content(_first(attrs, params_keys)),
        returns=decode_content(_first(attrs, returns_keys)),
        error=_error_of(record),
        model=str(model) if model else None,
        provider=str(provider) if provider else None,
        usage=Usage.from_attributes(attrs) if kind == _kinds.LLM else Usage(),
        cost=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
    )


def find_failing_step(steps: Iterable[Step]) -> Step | None:
    """The step that caused a failure: the deepest failing step, the earliest among equals."""
    failed = [s for s in steps if s.failed]
    if not failed:
        return None
    return min(failed, key=lambda s: (-s.depth, s.record.start_ns))
