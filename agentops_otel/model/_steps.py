"""Steps: one span of a session read as what it was to the agent (an LLM call, tool call, action...)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import _conventions, _kinds
from .. import semconv as sc
from .._states import span_failed
from ._records import SpanRecord
from ._usage import Usage


def as_datetime(ns: int | None) -> datetime | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC)


decode_content = _conventions.decode_json


@dataclass(frozen=True, slots=True)
class StepError:
    """What failed a step. `id` is the exception's identity when we recorded it (the same on every
    step it passed through); only the first of those steps carries the stack trace."""

    type: str
    message: str = ""
    stacktrace: str | None = None
    id: str | None = None

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


def _error_of(record: SpanRecord) -> StepError | None:
    attrs = record.attributes
    if not span_failed(record.status_code, attrs, (e.name for e in record.events)):
        return None
    error_id = attrs.get(sc.AGENTOPS_ERROR_ID)
    error_id = str(error_id) if error_id else None
    exceptions = [e for e in record.events if e.name == "exception"]
    if exceptions:
        a = exceptions[-1].attributes
        stack = a.get(sc.EXCEPTION_STACKTRACE)
        return StepError(
            str(a.get(sc.EXCEPTION_TYPE, "Exception")),
            str(a.get(sc.EXCEPTION_MESSAGE, "")),
            stack if isinstance(stack, str) else None,
            error_id,
        )
    details = attrs.get(sc.AGENTOPS_ERROR_DETAILS) or record.status_message or ""
    return StepError(str(attrs.get(sc.ERROR_TYPE, "Error")), str(details), None, error_id)


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
    # The step failed, and the session went on (or ended) without that error: it was caught and dealt
    # with. Never the cause of a failure (see `Session.failure`).
    handled: bool = False

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
                "id": self.error.id,
            },
            "handled": self.handled,
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


def _recorded_cost(attrs: Mapping[str, Any]) -> float | None:
    cost = attrs.get(sc.AGENTOPS_COST_USD)
    return float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None


def make_step(record: SpanRecord, depth: int, session_start: int, *, inside_llm: bool = False) -> Step:
    """The step a span is, read through the convention map.

    `inside_llm`: the span is nested in an LLM call's span (a client library tracing itself, an HTTP
    span): it is part of that call, so it is never an LLM step of its own, nor counted or priced.
    """
    attrs = record.attributes
    kind = _conventions.step_kind(attrs)
    if kind == _kinds.LLM and inside_llm:
        kind = _kinds.OTHER
    llm = kind == _kinds.LLM
    params, returns = _conventions.content(attrs, kind)
    return Step(
        record=record,
        kind=kind,
        name=_conventions.step_name(attrs, kind, record.name),
        depth=depth,
        offset_ns=record.start_ns - session_start,
        params=params,
        returns=returns,
        error=_error_of(record),
        model=_conventions.model(attrs) if llm else None,
        provider=_conventions.provider(attrs) if llm else None,
        usage=Usage.from_attributes(attrs) if llm else Usage(),
        cost=_recorded_cost(attrs) if llm or attrs.get(sc.AGENTOPS_COST_GIVEN) is True else None,
    )


def find_failing_step(steps: Iterable[Step]) -> Step | None:
    """The failing step of a failed trace by its structure alone (no exception identities: another
    instrumentation's trace, an older recording): see `model._failure` for the rule. A session's
    own answer, which follows the exception that ended it, is `Session.failing_step`."""
    from ._failure import structural_cause

    steps = list(steps)
    found = structural_cause(steps)
    return None if found is None else steps[found]
