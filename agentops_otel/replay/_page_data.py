"""The replay page's data: a Session as compact JSON, every repeated value stored once.

    data = page_data(session)          # plain, JSON-ready; the page's script decodes it

Layout (`"v": 2`):

    {"v": 2, "session": {...header facts...}, "backend_url": ..., "values": [null, ...],
     "shapes": [[key, ...], ...], "steps": {column: [one entry per step]}}

Every string, attribute value and piece of content is kept once in `values` and named by its index
(0 is null, "none recorded"). A step's input or output is an index, or for a chat transcript a list
of message indexes: the history an agent sends again with each LLM call is then stored once, and the
page can tell which messages a call adds. Steps are columns (one list per field) so no key repeats:
`parent` (index, -1 at the top), `kind`, `name`, `span`, `start` and `dur` (ns from the session
start; null while running), `mark` (0, 1 error, 2 caused the failure, 3 handled), `error`, `llm` (0, or [model,
provider, input tokens, output tokens, cached, reasoning, cost or null, priced]), `input`, `output`,
`attrs` and the attributes of each event in `events`: [shape, value, ...] where a shape lists the
keys once for every span that has the same ones. Content attributes shown as a step's input and
output are left out of its attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import semconv as sc
from ..model import Session, Step
from ._text import failure_note
from ._traceback import fold_traceback

VERSION = 2

# Shown as a step's Input and Output, so not repeated among its attributes.
_CONTENT_ATTRIBUTES = frozenset(
    {
        sc.GEN_AI_INPUT_MESSAGES,
        sc.GEN_AI_OUTPUT_MESSAGES,
        sc.GEN_AI_TOOL_CALL_ARGUMENTS,
        sc.GEN_AI_TOOL_CALL_RESULT,
        sc.AGENTOPS_STEP_PARAMS,
        sc.AGENTOPS_STEP_RETURNS,
    }
)
# How a step's error reads on the page: none, an error, the error that caused the session's failure,
# an error the agent handled (never the cause).
MARK_NONE, MARK_ERROR, MARK_CAUSE, MARK_HANDLED = 0, 1, 2, 3


def is_chat(value: Any) -> bool:
    """A list of chat messages (dicts with a string role): shown as a transcript."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value)
    )


class _Values:
    """The value table: equal values get one index (told apart by their repr, which is quick and keeps
    1, 1.0, True and "1" apart; dicts with keys in another order count as different, which only costs space)."""

    def __init__(self) -> None:
        self.items: list[Any] = [None]
        self._strings: dict[str, int] = {}
        self._others: dict[str, int] = {}
        self.shapes: list[list[int]] = []
        self._shape_index: dict[tuple[str, ...], int] = {}

    def ref(self, value: Any) -> int:
        if value.__class__ is str:
            found = self._strings.get(value)
            if found is None:
                found = self._strings[value] = self._add(value)
            return found
        if value is None:
            return 0
        key = repr(value)
        found = self._others.get(key)
        if found is None:
            found = self._others[key] = self._add(value)
        return found

    def _add(self, value: Any) -> int:
        self.items.append(value)
        return len(self.items) - 1

    def content(self, value: Any) -> int | list[int]:
        """A step's input or output: one index, or a list of message indexes for a chat transcript."""
        if is_chat(value):
            return [self.ref(message) for message in value]
        return self.ref(value)

    def attributes(self, attributes: Mapping[str, Any], skip: frozenset[str] = frozenset()) -> list[int] | int:
        """[shape, value, ...]: the keys once per distinct set of keys; 0 for none."""
        keys = tuple(k for k in attributes if k not in skip)
        if not keys:
            return 0
        shape = self._shape_index.get(keys)
        if shape is None:
            shape = self._shape_index[keys] = len(self.shapes)
            self.shapes.append([self.ref(k) for k in keys])
        ref = self.ref
        return [shape, *(ref(list(v) if isinstance(v, tuple) else v) for v in map(attributes.__getitem__, keys))]


def _why(session: Session, index_of: dict[str, int]) -> list[list[Any]] | None:
    """[text, step index or None] for each link of the failing step's cause chain (None: no failure)."""
    failure = session.failure
    if failure is None:
        return None
    return [[link.text, index_of.get(link.step.span_id) if link.step else None] for link in failure.cause_chain]


def _session_facts(session: Session, failing: int | None, values: _Values, index_of: dict[str, int]) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "trace_id": session.trace_id,
        "name": session.name,
        "tags": session.tags,
        "service": session.service,
        "end_state": session.end_state,
        "end_state_reason": session.end_state_reason,
        "start_ns": session.root.start_ns,
        "end_ns": session.root.end_ns,
        "duration": session.duration,
        "usage": session.usage.to_dict(),
        "llm_calls": session.llm_calls,
        "cost": session.cost,
        "cost_lower_bound": session.cost_lower_bound,
        "cost_complete": session.cost_complete,
        "parent_session_id": session.parent_session_id,
        "failing": failing,  # index of the step that caused the failure, or None
        "failure_note": failure_note(session, None if failing is None else failing + 1),
        "why": _why(session, index_of),  # the "why did this fail" panel: the cause chain, linked
        "attributes": values.attributes(session.root.attributes),
    }


def _error(step: Step, values: _Values) -> int:
    if step.error is None:
        return 0
    stack = step.error.stacktrace
    return values.ref(
        {
            "type": step.error.type,
            "message": step.error.message,
            # [text, ours] pieces: our own wrappers' frames are folded away on the page.
            "stack": fold_traceback(stack) if isinstance(stack, str) and stack else None,
        }
    )


def _llm(step: Step, values: _Values) -> list[Any]:
    usage = step.usage
    return [
        values.ref(step.model),
        values.ref(step.provider),
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_tokens,
        usage.reasoning_tokens,
        step.cost,
        step.priced,
    ]


def page_data(session: Session, backend_url: str | None = None) -> dict[str, Any]:
    """What the page's script reads (see the module docstring for the layout)."""
    values = _Values()
    steps = session.steps
    index_of = {step.span_id: i for i, step in enumerate(steps)}
    failing_step = session.failing_step
    failing = None if failing_step is None else index_of.get(failing_step.span_id)
    columns: dict[str, list[Any]] = {
        name: []
        for name in ("parent", "kind", "name", "span", "start", "dur", "mark", "error", "llm", "input", "output",
                     "attrs", "events")
    }  # fmt: skip
    parent, kind, name, span, start, dur, mark, error, llm, inputs, outputs, attrs, events = columns.values()
    origin = session.root.start_ns
    ref = values.ref
    for i, step in enumerate(steps):
        record = step.record
        parent.append(index_of.get(record.parent_span_id, -1) if record.parent_span_id else -1)
        kind.append(ref(step.kind))
        name.append(ref(step.name))
        span.append(ref(record.name))
        start.append(record.start_ns - origin)
        dur.append(record.duration_ns)
        mark.append(
            MARK_CAUSE if i == failing else MARK_HANDLED if step.handled else MARK_ERROR if step.error else MARK_NONE
        )
        error.append(_error(step, values))
        llm.append(_llm(step, values) if step.kind == "llm" else 0)
        inputs.append(values.content(step.params))
        outputs.append(values.content(step.returns))
        attrs.append(values.attributes(record.attributes, _CONTENT_ATTRIBUTES))
        events.append(
            [[ref(e.name), e.time_ns - origin, values.attributes(e.attributes)] for e in record.events]
            if record.events
            else 0
        )
    return {
        "v": VERSION,
        "session": _session_facts(session, failing, values, index_of),
        "backend_url": backend_url,
        "values": values.items,
        "shapes": values.shapes,
        "steps": columns,
    }


__all__ = ["MARK_CAUSE", "MARK_ERROR", "MARK_NONE", "is_chat", "page_data"]
