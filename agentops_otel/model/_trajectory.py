"""Trajectories: a session's steps reduced to what matters for its behaviour.

A trajectory keeps, for each LLM call, tool call, action, agent and error step: its kind, its name (the
model for an LLM call), its nesting depth, the shape of the arguments it chose (keys and value kinds:
`{"order_id": "str", "items": ["str"]}`; with `include_values=True` the values themselves) and, when it
failed, the error type. Prompts, outputs, ids, timings, tokens and cost are left out, so two runs that
took the same path have equal trajectories however long they took.

Sessions started inside a session (its children, by `parent_session_id`) are part of its trajectory:
each appears as a `session <name>` step, nested under the step it started in, with its own steps under it.

    t = trajectory(session)                      # a Trajectory (hashable: group sessions by it)
    t.label()                                    # 'llm gpt-4o → tool lookup_order(order_id: str) → llm gpt-4o'
    t.departure(most_common)                     # where it first differs from another, or None
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import _kinds
from ._session import Session
from ._steps import Step

KINDS = (_kinds.LLM, _kinds.TOOL, _kinds.ACTION, _kinds.AGENT, _kinds.ERROR)
SESSION_KIND = "session"  # a child session, nested in its parent's trajectory
_ARGUMENT_KINDS = (_kinds.TOOL, _kinds.ACTION, _kinds.AGENT)  # the steps whose arguments are choices
_ARROW = " → "


def argument_shape(value: Any) -> Any:
    """Keys and value kinds of a JSON value: str, number, bool, null; objects keep their keys, lists
    the distinct shapes of their items (so two lists of strings have one shape, whatever their length)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return {str(k): argument_shape(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        shapes = {_canonical(argument_shape(v)): argument_shape(v) for v in value}
        return [shapes[k] for k in sorted(shapes)]
    return type(value).__name__


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _shape_text(shape: Any) -> str:
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, list):
        return "[" + " | ".join(_shape_text(v) for v in shape) + "]"
    return str(shape)


@dataclass(frozen=True, slots=True)
class TrajectoryStep:
    """One step of a trajectory. `arguments` is canonical JSON (the shape, or the values), or None."""

    kind: str
    name: str
    depth: int
    arguments: str | None = None
    error: str | None = None
    values: bool = False  # whether `arguments` holds values rather than a shape

    @property
    def argument_value(self) -> Any:
        return None if self.arguments is None else json.loads(self.arguments)

    def label(self) -> str:
        """`tool lookup_order(order_id: str)`, `action refund(amount=40)`, `llm gpt-4o  !! RateLimitError`."""
        text = f"{self.kind} {self.name}"
        args = self.argument_value
        if self.arguments is not None:
            if isinstance(args, dict):
                inner = ", ".join(f"{k}={v!r}" if self.values else f"{k}: {_shape_text(v)}" for k, v in args.items())
            else:
                inner = repr(args) if self.values else _shape_text(args)
            text += f"({inner})"
        if self.error is not None:
            text += f"  !! {self.error}"
        return text

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"kind": self.kind, "name": self.name, "depth": self.depth}
        if self.arguments is not None:
            entry["arguments"] = self.argument_value
        if self.error is not None:
            entry["error"] = self.error
        return entry


@dataclass(frozen=True, slots=True)
class Departure:
    """Where a trajectory first differs from a reference: at `index` (0-based), step against step."""

    index: int
    step: TrajectoryStep | None  # None: this trajectory ends here
    reference: TrajectoryStep | None  # None: the reference ends here

    def describe(self, reference_name: str = "the most common") -> str:
        if self.step is None:
            return f"stops after step {self.index}, where {reference_name} goes on with {self.reference.label()}"  # type: ignore[union-attr]
        if self.reference is None:
            return f"goes on after step {self.index} with {self.step.label()}, where {reference_name} ends"
        return f"step {self.index + 1} is {self.step.label()}, where {reference_name} has {self.reference.label()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.index + 1,
            "this": None if self.step is None else self.step.label(),
            "reference": None if self.reference is None else self.reference.label(),
            "text": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class Trajectory:
    """A session's behaviour as a hashable sequence of steps: equal trajectories took the same path."""

    steps: tuple[TrajectoryStep, ...]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[TrajectoryStep]:
        return iter(self.steps)

    def __getitem__(self, index: int) -> TrajectoryStep:
        return self.steps[index]

    def label(self, limit: int = 240) -> str:
        """The steps on one line, cut at `limit` (nesting shows in `lines()`)."""
        if not self.steps:
            return "(no steps)"
        text = _ARROW.join(s.label() for s in self.steps)
        return text if len(text) <= limit else text[: limit - 1] + f"… ({len(self.steps)} steps)"

    def lines(self, mark: int | None = None, max_steps: int = 30) -> list[str]:
        """Numbered and indented by depth; `mark` (an index) gets an arrow; long ones keep both ends."""
        if not self.steps:
            return ["(no steps)"]
        shown = list(range(len(self.steps)))
        if len(shown) > max_steps:
            half = max_steps // 2
            shown = sorted({*range(half), *range(len(shown) - half, len(shown)), *([mark] if mark is not None else [])})
        rows, previous = [], -1
        for i in shown:
            if i != previous + 1:
                rows.append(f"      … {i - previous - 1} more steps …")
            previous = i
            step = self.steps[i]
            arrow = ">" if i == mark else " "
            rows.append(f"{arrow} {i + 1:>3}. {'  ' * max(step.depth - 1, 0)}{step.label()}")
        return rows

    def departure(self, reference: Trajectory) -> Departure | None:
        """The first step where this trajectory differs from `reference`; None when they are equal."""
        if self.steps == reference.steps:
            return None
        for i, (mine, theirs) in enumerate(zip(self.steps, reference.steps, strict=False)):
            if mine != theirs:
                return Departure(i, mine, theirs)
        at = min(len(self.steps), len(reference.steps))
        mine_or_none = self.steps[at] if at < len(self.steps) else None
        theirs_or_none = reference.steps[at] if at < len(reference.steps) else None
        return Departure(at, mine_or_none, theirs_or_none)

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.steps]


def _step(step: Step, depth: int, include_values: bool, ignore: frozenset[str]) -> TrajectoryStep:
    arguments = None
    if step.kind in _ARGUMENT_KINDS and step.params is not None:
        params = step.params
        if isinstance(params, dict) and ignore:
            params = {k: v for k, v in params.items() if k not in ignore}
        # Values go through JSON once, so a recorded value and a value read back compare equal.
        params = json.loads(_canonical(params))
        arguments = _canonical(params if include_values else argument_shape(params))
    error = step.error.type if step.error is not None else None
    return TrajectoryStep(step.kind, step.name, depth, arguments, error, include_values)


def _span_end(step: Step) -> float:
    return step.record.end_ns if step.record.end_ns is not None else float("inf")


def trajectory(
    session: Session,
    *,
    include_values: bool = False,
    children: Iterable[Session] = (),
    ignore: Iterable[str] = (),
) -> Trajectory:
    """The trajectory of `session`, with the sessions in `children` (started inside it, at any depth)
    nested where they started. `ignore` names arguments to leave out (ids, timestamps)."""
    ignored = frozenset(ignore)
    by_parent: dict[str, list[Session]] = defaultdict(list)
    known = {session.session_id}
    kids = [c for c in children if c.session_id != session.session_id]
    known.update(c.session_id for c in kids)
    for child in kids:
        parent = child.parent_session_id
        by_parent[parent if parent in known else session.session_id].append(child)

    def steps_of(current: Session, base: int, seen: frozenset[str]) -> list[TrajectoryStep]:
        kept = [s for s in current.steps if s.kind in KINDS]
        blocks: list[tuple[int, int, list[TrajectoryStep]]] = [
            (s.record.start_ns, n, [_step(s, s.depth + base, include_values, ignored)]) for n, s in enumerate(kept)
        ]
        for child in by_parent.get(current.session_id, ()):
            if child.session_id in seen:  # a parent cycle in corrupt data: shown once
                continue
            start = child.root.start_ns
            enclosing = [s for s in current.steps if s.record.start_ns <= start <= _span_end(s)]
            depth = base + 1 + max((s.depth for s in enclosing), default=0)
            head = TrajectoryStep(SESSION_KIND, child.name, depth)
            inner = steps_of(child, depth, seen | {child.session_id})
            blocks.append((start, len(kept) + len(blocks), [head, *inner]))
        blocks.sort(key=lambda b: (b[0], b[1]))
        return [step for _, _, block in blocks for step in block]

    return Trajectory(tuple(steps_of(session, 0, frozenset({session.session_id}))))


__all__ = ["KINDS", "SESSION_KIND", "Departure", "Trajectory", "TrajectoryStep", "argument_shape", "trajectory"]
