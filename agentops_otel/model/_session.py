"""The read model: a Session (root span, steps in time order, totals, end state, failing step).

`get_session()`, the pytest plugin, the replay renderers, `check` and `diff` all read this model,
so what a test asserts is exactly what the replay shows. Build it with `build_sessions(records)`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import semconv as sc
from ._records import SpanRecord

STEP_KINDS = ("llm", "tool", "action", "agent", "error", "other")

_OPERATION_KINDS: dict[str, str] = {
    sc.GenAiOperationNameValues.EXECUTE_TOOL: "tool",
    sc.GenAiOperationNameValues.INVOKE_AGENT: "agent",
    sc.GenAiOperationNameValues.CREATE_AGENT: "agent",
    sc.GenAiOperationNameValues.CHAT: "llm",
    sc.GenAiOperationNameValues.TEXT_COMPLETION: "llm",
    sc.GenAiOperationNameValues.EMBEDDINGS: "llm",
    sc.GenAiOperationNameValues.GENERATE_CONTENT: "llm",
}


def _datetime(ns: int | None) -> datetime | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC)


def decode_content(value: Any) -> Any:
    """Content attributes hold JSON strings; give back the value, or the raw text if not JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    @classmethod
    def from_attributes(cls, attrs: Mapping[str, Any]) -> Usage:
        def num(key: str, fallback: str | None = None) -> int:
            value = attrs.get(key, attrs.get(fallback) if fallback else None)
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                return 0
            try:
                count = float(value)
            except ValueError:
                return 0
            # Whole, non-negative counts only: the cost processor leaves anything else unpriced too.
            return int(count) if math.isfinite(count) and count >= 0 and count.is_integer() else 0

        return cls(
            num(sc.GEN_AI_USAGE_INPUT_TOKENS, sc.GEN_AI_USAGE_PROMPT_TOKENS),
            num(sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.GEN_AI_USAGE_COMPLETION_TOKENS),
            num(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
            num(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS),
            num(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
        )


@dataclass(frozen=True, slots=True)
class StepError:
    type: str
    message: str = ""
    stacktrace: str | None = None

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


def _error_of(record: SpanRecord) -> StepError | None:
    exceptions = [e for e in record.events if e.name == "exception"]
    if exceptions:
        a = exceptions[-1].attributes
        return StepError(
            str(a.get(sc.EXCEPTION_TYPE, "Exception")),
            str(a.get(sc.EXCEPTION_MESSAGE, "")),
            a.get(sc.EXCEPTION_STACKTRACE),
        )
    attrs = record.attributes
    if record.status_code == "ERROR" or sc.ERROR_TYPE in attrs:
        details = attrs.get(sc.AGENTOPS_ERROR_DETAILS) or record.status_message or ""
        return StepError(str(attrs.get(sc.ERROR_TYPE, "Error")), str(details))
    return None


def step_kind(record: SpanRecord) -> str:
    attrs = record.attributes
    declared = attrs.get(sc.AGENTOPS_SPAN_TYPE)
    if declared in STEP_KINDS:
        return str(declared)
    return _OPERATION_KINDS.get(str(attrs.get(sc.GEN_AI_OPERATION_NAME)), "other")


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
        return _datetime(self.record.start_ns)  # type: ignore[return-value]

    @property
    def ended_at(self) -> datetime | None:
        return _datetime(self.record.end_ns)

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
            "usage": _usage_dict(self.usage),
            "cost": self.cost,
            "priced": self.priced if self.kind == "llm" else None,
            "status": self.record.status_code,
            "attributes": dict(self.record.attributes),
            "events": [
                {"name": e.name, "time_ns": e.time_ns, "attributes": dict(e.attributes)} for e in self.record.events
            ],
        }


def _usage_dict(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def _make_step(record: SpanRecord, depth: int, session_start: int) -> Step:
    attrs = record.attributes
    kind = step_kind(record)
    params: Any = None
    returns: Any = None
    model = provider = None
    if kind == "llm":
        model = attrs.get(sc.GEN_AI_RESPONSE_MODEL) or attrs.get(sc.GEN_AI_REQUEST_MODEL)
        provider = attrs.get(sc.GEN_AI_PROVIDER_NAME) or attrs.get(sc.GEN_AI_SYSTEM)
        name = str(model or record.name)
        params = decode_content(attrs.get(sc.GEN_AI_INPUT_MESSAGES))
        returns = decode_content(attrs.get(sc.GEN_AI_OUTPUT_MESSAGES))
    elif kind == "tool":
        name = str(attrs.get(sc.GEN_AI_TOOL_NAME) or record.name.removeprefix("execute_tool "))
        params = decode_content(attrs.get(sc.GEN_AI_TOOL_CALL_ARGUMENTS))
        returns = decode_content(attrs.get(sc.GEN_AI_TOOL_CALL_RESULT))
    elif kind == "agent":
        name = str(attrs.get(sc.GEN_AI_AGENT_NAME) or record.name.removeprefix("invoke_agent "))
        params = decode_content(attrs.get(sc.AGENTOPS_STEP_PARAMS, attrs.get(sc.GEN_AI_INPUT_MESSAGES)))
        returns = decode_content(attrs.get(sc.AGENTOPS_STEP_RETURNS, attrs.get(sc.GEN_AI_OUTPUT_MESSAGES)))
    else:
        name = str(attrs.get(sc.AGENTOPS_ACTION_TYPE) or attrs.get(sc.ERROR_TYPE) or record.name)
        params = decode_content(attrs.get(sc.AGENTOPS_STEP_PARAMS))
        returns = decode_content(attrs.get(sc.AGENTOPS_STEP_RETURNS))
    cost = attrs.get(sc.AGENTOPS_COST_USD)
    return Step(
        record=record,
        kind=kind,
        name=name,
        depth=depth,
        offset_ns=record.start_ns - session_start,
        params=params,
        returns=returns,
        error=_error_of(record),
        model=str(model) if model else None,
        provider=str(provider) if provider else None,
        usage=Usage.from_attributes(attrs) if kind == "llm" else Usage(),
        cost=float(cost) if isinstance(cost, int | float) else None,
    )


def find_failing_step(steps: Iterable[Step]) -> Step | None:
    """The step that caused a failure: the deepest failing step, the earliest among equals."""
    failed = [s for s in steps if s.failed]
    if not failed:
        return None
    return min(failed, key=lambda s: (-s.depth, s.record.start_ns))


@dataclass(frozen=True, slots=True)
class Session:
    """One agent run rebuilt from its spans: what `get_session()` returns and replay shows."""

    root: SpanRecord
    steps: tuple[Step, ...]
    spans: tuple[SpanRecord, ...]
    url_override: str | None = None

    # Identity
    @property
    def session_id(self) -> str:
        return str(self.root.attributes.get(sc.SESSION_ID) or self.root.trace_id)

    @property
    def trace_id(self) -> str:
        return self.root.trace_id

    @property
    def name(self) -> str:
        return str(self.root.attributes.get(sc.AGENTOPS_SESSION_NAME) or self.root.name)

    @property
    def tags(self) -> list[str]:
        return list(self.root.attributes.get(sc.AGENTOPS_SESSION_TAGS) or ())

    @property
    def service(self) -> str | None:
        service = self.root.resource.get(sc.SERVICE_NAME)
        return str(service) if service is not None else None

    @property
    def is_agentops_session(self) -> bool:
        """False for a trace of another instrumentation whose root stands in for the session."""
        return self.root.attributes.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION

    @property
    def parent_session_id(self) -> str | None:
        value = self.root.attributes.get(sc.AGENTOPS_SESSION_PARENT_ID)
        return str(value) if value else None

    # State
    @property
    def is_open(self) -> bool:
        return self.root.end_ns is None

    @property
    def end_state(self) -> str | None:
        """ "Success", "Fail" or "Indeterminate"; None while the session is still open."""
        state = self.root.attributes.get(sc.AGENTOPS_SESSION_END_STATE)
        if state:
            return str(state)
        if self.is_open:
            return None
        if self.root.status_code == "ERROR" or any(s.failed for s in self.steps if s.depth == 1):
            return sc.SessionEndStateValues.FAIL
        if self.root.status_code == "OK":
            return sc.SessionEndStateValues.SUCCESS
        return sc.SessionEndStateValues.INDETERMINATE

    @property
    def end_state_reason(self) -> str | None:
        reason = self.root.attributes.get(sc.AGENTOPS_SESSION_END_STATE_REASON)
        if reason:
            return str(reason)
        return self.root.status_message

    @property
    def started_at(self) -> datetime:
        return _datetime(self.root.start_ns)  # type: ignore[return-value]

    @property
    def ended_at(self) -> datetime | None:
        return _datetime(self.root.end_ns)

    @property
    def duration(self) -> float | None:
        ns = self.root.duration_ns
        return None if ns is None else ns / 1e9

    # Steps by kind
    def steps_of(self, *kinds: str) -> list[Step]:
        return [s for s in self.steps if s.kind in kinds]

    @property
    def action_events(self) -> list[Step]:
        return self.steps_of("action")

    @property
    def tool_events(self) -> list[Step]:
        return self.steps_of("tool")

    @property
    def llm_events(self) -> list[Step]:
        return self.steps_of("llm")

    @property
    def agent_events(self) -> list[Step]:
        return self.steps_of("agent")

    @property
    def error_events(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "error" or s.failed]

    @property
    def failing_step(self) -> Step | None:
        recorded = self.root.attributes.get(sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID)
        if recorded:
            for step in self.steps:
                if step.span_id == recorded:
                    return step
        if self.end_state == sc.SessionEndStateValues.SUCCESS:
            return None
        return find_failing_step(self.steps)

    # Totals: summed from the LLM steps, so they are right before the session ends too.
    @property
    def llm_calls(self) -> int:
        return len(self.llm_events)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for step in self.llm_events:
            total = total + step.usage
        return total

    @property
    def unpriced_steps(self) -> list[Step]:
        return [s for s in self.llm_events if not s.priced]

    @property
    def cost_complete(self) -> bool:
        return not self.unpriced_steps

    @property
    def cost_lower_bound(self) -> float:
        """Cost in USD of the LLM calls that could be priced."""
        return sum(s.cost or 0.0 for s in self.llm_events)

    @property
    def cost(self) -> float | None:
        """Cost in USD; None when some LLM call could not be priced (see `unpriced_steps`)."""
        return self.cost_lower_bound if self.cost_complete else None

    @property
    def url(self) -> str:
        """A link that opens this session's replay (a backend UI, the local viewer, or a file)."""
        if self.url_override:
            return self.url_override
        from .._urls import session_url

        return session_url(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json` output and the HTML replay."""
        failing = self.failing_step
        return {
            "session_id": self.session_id,
            "trace_id": self.trace_id,
            "name": self.name,
            "tags": self.tags,
            "service": self.service,
            "end_state": self.end_state,
            "end_state_reason": self.end_state_reason,
            "start_ns": self.root.start_ns,
            "end_ns": self.root.end_ns,
            "duration": self.duration,
            "usage": _usage_dict(self.usage),
            "llm_calls": self.llm_calls,
            "cost": self.cost,
            "cost_lower_bound": self.cost_lower_bound,
            "cost_complete": self.cost_complete,
            "failing_step": failing.span_id if failing else None,
            "parent_session_id": self.parent_session_id,
            "root_attributes": dict(self.root.attributes),
            "steps": [s.to_dict() for s in self.steps],
        }


def _pick_root(records: list[SpanRecord]) -> SpanRecord:
    for record in records:
        if record.attributes.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION:
            return record
    ids = {r.span_id for r in records}
    orphans = [r for r in records if r.parent_span_id is None or r.parent_span_id not in ids]
    return min(orphans or records, key=lambda r: (r.parent_span_id is not None, r.start_ns))


def build_session(records: Iterable[SpanRecord], url: str | None = None) -> Session:
    """Build one Session from the spans of one trace (in any order)."""
    spans = sorted({(r.span_id): r for r in records}.values(), key=lambda r: r.start_ns)
    if not spans:
        raise ValueError("a session needs at least one span")
    root = _pick_root(spans)
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for record in spans:
        if record is not root:
            children[record.parent_span_id].append(record)
    ids = {r.span_id for r in spans}
    steps: list[Step] = []

    def walk(parent_id: str, depth: int) -> None:
        for record in children.get(parent_id, ()):
            steps.append(_make_step(record, depth, root.start_ns))
            walk(record.span_id, depth + 1)

    if root.attributes.get(sc.AGENTOPS_SPAN_TYPE) != sc.SpanTypeValues.SESSION and step_kind(root) != "other":
        # Another instrumentation's root stands in for the session and is a step of it too: an LLM
        # call or tool call made outside any session still counts, with its tokens and cost.
        steps.append(_make_step(root, 0, root.start_ns))
    walk(root.span_id, 1)
    # Spans whose parent is missing from the trace (lost or sampled out) still count as steps.
    for record in spans:
        if record is not root and record.parent_span_id not in ids:
            steps.append(_make_step(record, 1, root.start_ns))
            walk(record.span_id, 2)
    steps.sort(key=lambda s: (s.record.start_ns, s.depth))
    return Session(root=root, steps=tuple(steps), spans=tuple(spans), url_override=url)


def build_sessions(records: Iterable[SpanRecord]) -> list[Session]:
    """Group spans by trace and build one Session per trace, oldest first."""
    by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
    for record in records:
        by_trace[record.trace_id].append(record)
    sessions = [build_session(group) for group in by_trace.values()]
    return sorted(sessions, key=lambda s: s.root.start_ns)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of a session listing: what `sessions` and `check` need, without the steps."""

    session_id: str
    trace_id: str
    name: str
    start_ns: int
    end_ns: int | None
    end_state: str | None
    tags: tuple[str, ...] = ()
    service: str | None = None
    cost: float | None = None
    cost_complete: bool = True
    llm_calls: int = 0
    usage: Usage = field(default_factory=Usage)
    end_state_reason: str | None = None

    @property
    def duration(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e9

    @property
    def started_at(self) -> datetime:
        return _datetime(self.start_ns)  # type: ignore[return-value]

    @property
    def failed(self) -> bool:
        return self.end_state == sc.SessionEndStateValues.FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "trace_id": self.trace_id,
            "name": self.name,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "duration": self.duration,
            "end_state": self.end_state,
            "end_state_reason": self.end_state_reason,
            "tags": list(self.tags),
            "service": self.service,
            "cost": self.cost,
            "cost_complete": self.cost_complete,
            "llm_calls": self.llm_calls,
            "usage": _usage_dict(self.usage),
        }


def summarize(session: Session) -> SessionSummary:
    return SessionSummary(
        session_id=session.session_id,
        trace_id=session.trace_id,
        name=session.name,
        start_ns=session.root.start_ns,
        end_ns=session.root.end_ns,
        end_state=session.end_state,
        tags=tuple(session.tags),
        service=session.service,
        cost=session.cost,
        cost_complete=session.cost_complete,
        llm_calls=session.llm_calls,
        usage=session.usage,
        end_state_reason=session.end_state_reason,
    )
