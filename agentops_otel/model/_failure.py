"""Failure attribution: which step caused a session's failure, and which errors were handled.

A session fails because of the exception that ended it. Capture gives each exception a step sees an
identity (`agentops.error.id`, the same on every step it passes through) and records on the root the
exception that ended the session with the chain it was raised from (`agentops.session.error.*`). The
step that *caused* the failure is where the earliest exception of that chain was first raised: the
deepest step that recorded it (the first one it reached). In order, the first rule that names a step:

1. the exception that ended the session (the root's failing step, as capture found it, or the same
   rule applied here to the steps' identities), followed into a failed span of another
   instrumentation below it with the same error type (the library call that raised it);
2. ended Fail by hand without an exception in flight: the last error the application recorded
   (`ErrorEvent`), or the step it names as its trigger when that step failed itself;
3. ended Fail by hand: the last failed step whose error reads as the given reason;
4. a trace without our identities (another instrumentation's, an older recording): the structure.
   The chain of failed steps from the top (below a failed root, or from a failed top-level step under
   any root: the OpenAI Agents SDK leaves its root OK while its agent's span is ERROR) is followed
   down, at each level to the failed child whose error matches its parent's, else the last to end;
   the deepest step of that chain caused the failure. Spans that only group steps (kind `other`:
   chains, turns) and did not fail are looked through: the step above a step is its nearest
   ancestor that is not one of them.

Otherwise no step did: the application ended the session Fail (its reason says why).

A failed step not on the failure's path (the ending exception's steps, the cause and the failed steps
above it) was *handled*: with our identity, as soon as the session ended; without one, when the step
above it ended without failing (or was handled itself), or, at the top, when the session ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _kinds, _states
from .. import semconv as sc
from ._provenance import CauseLink, cause_chain
from ._records import SpanRecord
from ._steps import Step, StepError

EXCEPTION, MARKED, ERROR_EVENT, REASON, STRUCTURE = "exception", "marked", "error event", "reason", "structure"


@dataclass(frozen=True, slots=True)
class Attribution:
    """What the rules found: the cause's index in the steps (or None), the handled steps' indexes, how
    the cause was found, and whether an exception ended the session at all."""

    cause: int | None = None
    handled: frozenset[int] = frozenset()
    how: str | None = None
    by_exception: bool = False


NOTHING = Attribution()


def _ids(value: Any) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return []


def _end_key(step: Step) -> tuple[int, int]:
    return (step.record.end_ns if step.record.end_ns is not None else step.record.start_ns, step.record.start_ns)


def _error_text(step: Step) -> tuple[str, str] | None:
    """(short type, message) of a step's error, to compare errors recorded by different hands."""
    if step.error is None:
        return None
    return step.error.type.rsplit(".", 1)[-1], step.error.message


class _Tree:
    """Steps by index, with their parents and children (iterative walks only: agents nest deep)."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = steps
        self.index = {step.span_id: i for i, step in enumerate(steps)}
        self.parent: list[int | None] = [self.index.get(s.parent_span_id) if s.parent_span_id else None for s in steps]
        self.children: dict[int | None, list[int]] = {}
        for i, parent in enumerate(self.parent):
            self.children.setdefault(parent, []).append(i)

    def _passing(self, i: int) -> bool:
        """A span another instrumentation groups steps with (a chain, a turn) that did not fail: an
        error passes through it as if it were not there."""
        step = self.steps[i]
        return step.kind == _kinds.OTHER and not step.failed

    def failed_children(self, parent: int | None) -> list[int]:
        """The failed steps right below `parent`, looking through passing spans."""
        found, pending = [], list(self.children.get(parent, ()))
        while pending:
            i = pending.pop()
            if self.steps[i].failed:
                found.append(i)
            elif self._passing(i):
                pending.extend(self.children.get(i, ()))
        return sorted(found)

    def above(self, i: int) -> int | None:
        """The step that called `i`: its nearest ancestor that is not a passing span (None: the root)."""
        parent = self.parent[i]
        while parent is not None and self._passing(parent):
            parent = self.parent[parent]
        return parent

    def at_top(self, i: int) -> bool:
        """Right under the session (or under another instrumentation's root step), through passing spans."""
        above = self.above(i)
        return above is None or self.steps[above].depth == 0

    def failed_ancestors(self, i: int) -> list[int]:
        found = []
        parent = self.above(i)
        while parent is not None and self.steps[parent].failed:
            found.append(parent)
            parent = self.above(parent)
        return found


def failed_at_top(steps: Sequence[Step]) -> bool:
    """A step right under the root failed (through chains and turns that did not): the trace failed,
    whatever its root says (the OpenAI Agents SDK under OpenInference leaves its root OK)."""
    failed = [i for i, step in enumerate(steps) if step.failed and step.depth > 0]
    if not failed:
        return False
    tree = _Tree(steps)
    return any(tree.at_top(i) for i in failed)


def _pick(tree: _Tree, candidates: list[int], like: tuple[str, str] | None) -> int:
    """The failed child that failed as its parent did (same type and message, else same type), else
    the last to end: the one whose error the parent went on to fail with."""
    if like is not None:
        for strict in (True, False):
            same = [i for i in candidates if _matches(_error_text(tree.steps[i]), like, strict)]
            if same:
                return max(same, key=lambda i: _end_key(tree.steps[i]))
    return max(candidates, key=lambda i: _end_key(tree.steps[i]))


def _matches(error: tuple[str, str] | None, like: tuple[str, str], strict: bool) -> bool:
    return error is not None and error[0] == like[0] and (not strict or error[1] == like[1])


def _descend(tree: _Tree, start: int, path: set[int], *, foreign_only: bool) -> int:
    """From a failed step down the chain of failed children to the deepest (with `foreign_only`, only
    into spans without our identity whose error type matches: a library's span that raised it)."""
    current = start
    while True:
        like = _error_text(tree.steps[current])
        below = tree.failed_children(current)
        if foreign_only:
            below = [i for i in below if tree.steps[i].error.id is None]  # type: ignore[union-attr]
            below = [i for i in below if like is not None and _matches(_error_text(tree.steps[i]), like, False)]
        if not below:
            return current
        current = _pick(tree, below, like)
        path.add(current)


def _root_error(root: SpanRecord, reason: str | None) -> tuple[str, str] | None:
    for event in reversed(root.events):
        if event.name == "exception":
            kind = str(event.attributes.get(sc.EXCEPTION_TYPE, "")).rsplit(".", 1)[-1]
            return kind, str(event.attributes.get(sc.EXCEPTION_MESSAGE, ""))
    if reason and ": " in reason:
        kind, _, message = reason.partition(": ")
        return kind.rsplit(".", 1)[-1], message
    return None


def structural_cause(
    steps: Sequence[Step], like: tuple[str, str] | None = None, path: set[int] | None = None
) -> int | None:
    """Rule 4: the deepest step of the chain of failed steps from the top, in a failed trace (see the
    module docstring); `like`: the root's own error, to pick among failed top-level steps."""
    tree = _Tree(steps)
    # The top: a foreign root that is a step itself (depth 0), else the steps right under the root.
    top = [i for i, step in enumerate(steps) if step.failed and step.depth == 0]
    top = top or [i for i, step in enumerate(steps) if step.failed and tree.at_top(i)]
    if not top:
        return None
    path = path if path is not None else set()
    first = _pick(tree, top, like)
    path.add(first)
    return _descend(tree, first, path, foreign_only=False)


def _named_by_reason(steps: Sequence[Step], failed: list[int], reason: str | None) -> int | None:
    if not reason:
        return None
    wanted = reason.strip()
    same = [i for i in failed if wanted in (str(steps[i].error), steps[i].error.message)]  # type: ignore[union-attr]
    return max(same, key=lambda i: _end_key(steps[i])) if same else None


def _error_event(steps: Sequence[Step], failed: list[int], tree: _Tree) -> tuple[int, str] | None:
    events = [i for i in failed if steps[i].kind == _kinds.ERROR]
    if not events:
        return None
    last = max(events, key=lambda i: _end_key(steps[i]))
    trigger = tree.index.get(str(steps[last].attributes.get(sc.AGENTOPS_ERROR_TRIGGER_SPAN_ID) or ""))
    # The trigger names the step the error was about; it is the cause only when it failed itself.
    return (trigger, MARKED) if trigger is not None and steps[trigger].failed else (last, ERROR_EVENT)


def attribute(root: SpanRecord, steps: Sequence[Step], end_state: str | None) -> Attribution:
    """Apply the rules to one session (its root, steps in order, end state)."""
    failed = [i for i, step in enumerate(steps) if step.failed]
    attrs: Mapping[str, Any] = root.attributes
    ending = _ids(attrs.get(sc.AGENTOPS_SESSION_ERROR_ID)) + _ids(attrs.get(sc.AGENTOPS_SESSION_ERROR_CHAIN))
    if not failed:
        return Attribution(by_exception=bool(ending))
    tree = _Tree(steps)
    ours = any(steps[i].error.id for i in failed)  # type: ignore[union-attr]
    on_chain = set(ending)
    path = {i for i in failed if (steps[i].error.id or "") in on_chain}  # type: ignore[union-attr]
    cause: int | None = None
    how: str | None = None
    if end_state == _states.FAIL:
        cause, how = _cause(root, steps, failed, tree, ending, ours, path)
    if cause is not None:
        path.add(cause)
        path.update(tree.failed_ancestors(cause))
    ended = root.end_ns is not None
    handled: set[int] = set()
    for i in failed:
        if i in path:
            continue
        step, parent = steps[i], tree.above(i)
        if step.error.id is not None:  # type: ignore[union-attr]
            above = steps[parent] if parent is not None else None
            if ended or (
                above is not None
                and above.record.end_ns is not None
                and (above.error is None or above.error.id != step.error.id)  # type: ignore[union-attr]
            ):
                handled.add(i)
        elif parent is None:
            if ended:
                handled.add(i)
        elif steps[parent].record.end_ns is not None and (not steps[parent].failed or parent in handled):
            handled.add(i)
    return Attribution(cause, frozenset(handled), how, bool(ending))


def _cause(
    root: SpanRecord,
    steps: Sequence[Step],
    failed: list[int],
    tree: _Tree,
    ending: list[str],
    ours: bool,
    path: set[int],
) -> tuple[int | None, str | None]:
    attrs = root.attributes
    if ending:
        recorded = tree.index.get(str(attrs.get(sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID) or ""))
        if recorded is not None and steps[recorded].failed:
            return _descend(tree, recorded, path, foreign_only=True), EXCEPTION
        for error_id in reversed(ending):  # the earliest of the chain first
            seen = [i for i in failed if steps[i].error.id == error_id]  # type: ignore[union-attr]
            if seen:
                first = max(seen, key=lambda i: (steps[i].depth, -steps[i].record.start_ns))
                return _descend(tree, first, path, foreign_only=True), EXCEPTION
        if ours:
            return None, None  # raised in the session's own code, outside any step
    else:
        found = _error_event(steps, failed, tree)
        if found is not None:
            return found
        reason = attrs.get(sc.AGENTOPS_SESSION_END_STATE_REASON) or root.status_message
        named = _named_by_reason(steps, failed, str(reason) if reason else None)
        if named is not None:  # the last step to fail so, followed down to where it was raised
            return _descend(tree, named, path, foreign_only=False), REASON
    if ours:
        return None, None
    reason = attrs.get(sc.AGENTOPS_SESSION_END_STATE_REASON) or root.status_message
    like = _root_error(root, str(reason) if reason else None)
    found_structurally = structural_cause(steps, like, path)
    return (found_structurally, STRUCTURE) if found_structurally is not None else (None, None)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a session failed: `Session.failure` (None unless it ended Fail).

    `step` caused it (None when no step did: the application ended it Fail, or the exception was
    raised outside any step), `number` is that step's position from 1,
    `cause_chain` where the step's failing argument came from (see `model._provenance`), `handled`
    the errors the agent dealt with on the way (never the cause), `how` which rule named the step.
    """

    end_state: str
    reason: str | None
    step: Step | None
    number: int | None
    how: str | None
    handled: tuple[Step, ...]
    cause_chain: tuple[CauseLink, ...]
    raised_outside_steps: bool = False

    @property
    def error(self) -> StepError | None:
        return self.step.error if self.step is not None else None

    @property
    def summary(self) -> str:
        """One sentence: what failed, or why no step is to blame."""
        reason = self.reason
        if self.step is not None:
            return f"Step {self.number} ({self.step.kind} {self.step.name}) raised {self.step.error}"
        if self.raised_outside_steps:
            return f"Ended Fail: {reason or 'an exception'}, raised in the session's own code (no step recorded it)"
        return (
            f"Ended Fail by the application: {reason}" if reason else "Ended Fail by the application (no reason given)"
        )

    @property
    def chain_text(self) -> str:
        return " <- ".join(link.text for link in self.cause_chain)

    def to_dict(self) -> dict[str, Any]:
        return {
            "end_state": self.end_state,
            "reason": self.reason,
            "summary": self.summary,
            "step": self.number,
            "span_id": self.step.span_id if self.step is not None else None,
            "error": str(self.step.error) if self.step is not None and self.step.error else None,
            "how": self.how,
            "cause_chain": [link.to_dict() for link in self.cause_chain],
            "handled": [step.span_id for step in self.handled],
        }


def failure_of(
    steps: Sequence[Step], attribution: Attribution, end_state: str | None, reason: str | None
) -> Failure | None:
    if end_state != _states.FAIL:
        return None
    cause = attribution.cause
    step = steps[cause] if cause is not None else None
    chain = cause_chain(steps, cause) if cause is not None else ()
    return Failure(
        end_state=end_state,
        reason=reason,
        step=step,
        number=None if cause is None else cause + 1,
        how=attribution.how if step is not None else None,
        handled=tuple(s for s in steps if s.handled),
        cause_chain=chain,
        raised_outside_steps=step is None and attribution.by_exception and end_state == _states.FAIL,
    )
