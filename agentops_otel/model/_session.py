"""The read model: a Session (root span, steps in time order, totals, end state, failure).

`get_session()`, the pytest plugin, the replay renderers, `check` and `diff` all read this model,
so what a test asserts is exactly what the replay shows. Build it with `build_sessions(records)`.
The model is pure data: it does no I/O and knows no settings. `url` is filled in by whoever builds
a session for a user (the links layer), and is None otherwise; `crash` by a reader that found the
open session's writer gone (`_liveness.judged`).

Which step caused a failure, and which errors were handled, is decided once when the session is
built (`model._failure`); `failure` adds where the failing argument came from (`model._provenance`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import _conventions, _kinds, _states
from .. import semconv as sc
from ._failure import NOTHING, Attribution, Failure, attribute, failed_at_top, failure_of
from ._records import SpanRecord
from ._steps import Step, as_datetime, make_step
from ._usage import Usage


@dataclass(frozen=True, slots=True)
class Session:
    """One agent run rebuilt from its spans: what `get_session()` returns and replay shows."""

    root: SpanRecord
    steps: tuple[Step, ...]
    spans: tuple[SpanRecord, ...]
    url: str | None = None  # a link that opens this session's replay, when the builder knows one
    crash: str | None = None  # why a reader holds this open session crashed (its writer is gone)
    attribution: Attribution = NOTHING  # the failing step and the handled errors (build_session)
    top_failed: bool | None = None  # a step right under the root failed (build_session: `failed_at_top`)

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
        return _kinds.is_session_root(self.root.attributes)

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
        """ "Success", "Fail", "Indeterminate" or "Crashed" (the process died before it ended: see
        `_states`); None while the session is still open."""
        return _states.derived_end_state(
            self.root.attributes.get(sc.AGENTOPS_SESSION_END_STATE),
            not self.is_open,
            self.root.status_code,
            self.top_failed if self.top_failed is not None else any(s.failed for s in self.steps if s.depth == 1),
            crashed=self.crash is not None or self.root.attributes.get(sc.AGENTOPS_SESSION_CRASHED) is True,
        )

    @property
    def end_state_reason(self) -> str | None:
        if self.crash is not None and self.is_open:
            return self.crash
        reason = self.root.attributes.get(sc.AGENTOPS_SESSION_END_STATE_REASON)
        if reason:
            return str(reason)
        return self.root.status_message

    @property
    def started_at(self) -> datetime:
        return as_datetime(self.root.start_ns)  # type: ignore[return-value]

    @property
    def ended_at(self) -> datetime | None:
        return as_datetime(self.root.end_ns)

    @property
    def duration(self) -> float | None:
        ns = self.root.duration_ns
        return None if ns is None else ns / 1e9

    # Steps by kind
    def steps_of(self, *kinds: str) -> list[Step]:
        return [s for s in self.steps if s.kind in kinds]

    @property
    def action_events(self) -> list[Step]:
        return self.steps_of(_kinds.ACTION)

    @property
    def tool_events(self) -> list[Step]:
        return self.steps_of(_kinds.TOOL)

    @property
    def llm_events(self) -> list[Step]:
        return self.steps_of(_kinds.LLM)

    @property
    def agent_events(self) -> list[Step]:
        return self.steps_of(_kinds.AGENT)

    @property
    def error_events(self) -> list[Step]:
        return [s for s in self.steps if s.kind == _kinds.ERROR or s.failed]

    @property
    def failing_step(self) -> Step | None:
        """The step that caused the failure: where the exception that ended the session was first
        raised (see `model._failure`); None unless the session ended Fail because of a step."""
        cause = self.attribution.cause
        return self.steps[cause] if cause is not None and self.end_state == _states.FAIL else None

    @property
    def handled_errors(self) -> list[Step]:
        """Steps that failed and whose error the agent dealt with: never the cause of a failure."""
        return [s for s in self.steps if s.handled]

    @property
    def failure(self) -> Failure | None:
        """Why the session failed (None unless it ended Fail): the step, its error, the
        reason, the cause chain behind it (`failure.cause_chain`) and the handled errors."""
        return failure_of(self.steps, self.attribution, self.end_state, self.end_state_reason)

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
        """Cost in USD of the LLM calls that could be priced, plus the costs the application gave other
        steps (`@tool(cost=...)`)."""
        given = sc.AGENTOPS_COST_GIVEN
        return sum(s.cost or 0.0 for s in self.steps if s.kind == _kinds.LLM or s.attributes.get(given) is True)

    @property
    def cost(self) -> float | None:
        """Cost in USD; None when some LLM call could not be priced (see `unpriced_steps`)."""
        return self.cost_lower_bound if self.cost_complete else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json` output and the HTML replay."""
        failing = self.failing_step
        failure = self.failure
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
            "usage": self.usage.to_dict(),
            "llm_calls": self.llm_calls,
            "cost": self.cost,
            "cost_lower_bound": self.cost_lower_bound,
            "cost_complete": self.cost_complete,
            "failing_step": failing.span_id if failing else None,
            "failure": failure.to_dict() if failure is not None else None,
            "parent_session_id": self.parent_session_id,
            "root_attributes": dict(self.root.attributes),
            "steps": [s.to_dict() for s in self.steps],
        }


# The writer's identity, where the exporting process put it on its resource: a lost root's stand-in
# carries it, so that readers can ask whether that process still runs.
_WRITER_KEYS = (sc.PROCESS_PID, sc.HOST_NAME, sc.PROCESS_CREATION_TIME)
LOST_ROOT_NAME = "session (its root span never arrived)"


def _pick_root(records: list[SpanRecord]) -> SpanRecord:
    for record in records:
        if _kinds.is_session_root(record.attributes):
            return record
    ids = {r.span_id for r in records}
    orphans = [r for r in records if r.parent_span_id is None or r.parent_span_id not in ids]
    root = min(orphans or records, key=lambda r: (r.parent_span_id is not None, r.start_ns))
    lost = _lost_session_root(root, records)
    return lost if lost is not None else root


def _lost_session_root(top: SpanRecord, records: list[SpanRecord]) -> SpanRecord | None:
    """A stand-in for our session's root when only its steps arrived: the process died before the
    session ended (its root is exported at the end), or the root is still running. Without it the
    steps would read as a finished session of their own. Still open: readers judge the crash."""
    session_id = top.attributes.get(sc.SESSION_ID)
    if top.parent_span_id is None or session_id is None:
        return None  # a trace that is whole, or not a session of ours
    attributes: dict[str, Any] = {sc.AGENTOPS_SPAN_TYPE: _kinds.SESSION, sc.SESSION_ID: session_id}
    attributes.update((key, top.resource[key]) for key in _WRITER_KEYS if key in top.resource)
    return SpanRecord(
        trace_id=top.trace_id,
        span_id=top.parent_span_id,
        parent_span_id=None,
        name=LOST_ROOT_NAME,
        start_ns=min(r.start_ns for r in records),
        end_ns=None,
        attributes=attributes,
        resource=top.resource,
        scope=top.scope,
    )


def build_session(records: Iterable[SpanRecord]) -> Session:
    """Build one Session from the spans of one trace (in any order)."""
    spans = sorted({(r.span_id): r for r in records}.values(), key=lambda r: r.start_ns)
    if not spans:
        raise ValueError("a session needs at least one span")
    root = _pick_root(spans)
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for record in spans:
        if record is not root:
            children[record.parent_span_id].append(record)
    ids = {r.span_id for r in spans} | {root.span_id}  # a lost root's stand-in is not among them
    steps: list[Step] = []

    def walk(parent_id: str, depth: int, inside_llm: bool) -> None:
        # Iterative: an agent may nest thousands of steps deep. Below an LLM call's span, spans are
        # part of that call (a client library tracing itself): `inside_llm` is passed down.
        pending = [(record, depth, inside_llm) for record in reversed(children.get(parent_id, ()))]
        while pending:
            record, level, inside = pending.pop()
            step = make_step(record, level, root.start_ns, inside_llm=inside)
            steps.append(step)
            below = inside or step.kind == _kinds.LLM
            pending.extend((child, level + 1, below) for child in reversed(children.get(record.span_id, ())))

    root_is_llm = False
    if not _kinds.is_session_root(root.attributes) and _kinds.step_kind(root.attributes) != _kinds.OTHER:
        # Another instrumentation's root stands in for the session and is a step of it too: an LLM
        # call or tool call made outside any session still counts, with its tokens and cost.
        steps.append(make_step(root, 0, root.start_ns))
        root_is_llm = steps[-1].kind == _kinds.LLM
    walk(root.span_id, 1, root_is_llm)
    # Spans whose parent is missing from the trace (lost or sampled out) still count as steps.
    for record in spans:
        if record is not root and record.parent_span_id not in ids:
            step = make_step(record, 1, root.start_ns)
            steps.append(step)
            walk(record.span_id, 2, step.kind == _kinds.LLM)
    steps = _beside_llm_calls(steps, root.start_ns)
    steps.sort(key=lambda s: (s.record.start_ns, s.depth))
    top_failed = failed_at_top(steps)
    session = Session(root=root, steps=tuple(steps), spans=tuple(spans), top_failed=top_failed)
    attribution = attribute(root, session.steps, session.end_state)
    if attribution.handled:
        steps = [dataclasses.replace(s, handled=True) if i in attribution.handled else s for i, s in enumerate(steps)]
    return dataclasses.replace(session, steps=tuple(steps), attribution=attribution)


def _within(inner: SpanRecord, outer: SpanRecord) -> bool:
    return (
        outer.start_ns <= inner.start_ns
        and inner.end_ns is not None
        and (outer.end_ns is None or inner.end_ns <= outer.end_ns)
    )


def _beside_llm_calls(steps: list[Step], session_start: int) -> list[Step]:
    """A client library's own LLM span beside another instrumentation's LLM span that lasts over it
    (same parent) is part of that call: OpenLLMetry does not make its span current."""
    clients = [s for s in steps if s.kind == _kinds.LLM and _conventions.is_client_scope(s.record.scope)]
    if not clients:
        return steps
    calls: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for step in steps:
        if step.kind == _kinds.LLM and not _conventions.is_client_scope(step.record.scope):
            calls[step.parent_span_id].append(step.record)
    beside = {
        id(step) for step in clients if any(_within(step.record, call) for call in calls.get(step.parent_span_id, ()))
    }
    if not beside:
        return steps
    return [make_step(s.record, s.depth, session_start, inside_llm=True) if id(s) in beside else s for s in steps]


def build_sessions(records: Iterable[SpanRecord]) -> list[Session]:
    """Group spans by trace and build one Session per trace, oldest first."""
    by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
    for record in records:
        by_trace[record.trace_id].append(record)
    sessions = [build_session(group) for group in by_trace.values()]
    return sorted(sessions, key=lambda s: s.root.start_ns)
