"""Two sessions' step sequences side by side, and the first step where they diverge.

    from agentops_otel.replay._diff import diff_sessions, compare_steps
    result = diff_sessions(a, b)                      # sides labelled "A" and "B"
    result = diff_sessions(recorded, actual, labels=("recorded", "actual"))
    if result.first_divergence:
        print(result.first_divergence.describe())   # "step 2: different tool: 'lookup' vs 'search'"
    print(result.render(width=120))

The two step sequences are aligned first (`align`: difflib's SequenceMatcher, anchored on identical
steps, then by kind and name), so a step inserted or missing on one side is one row of its own and the
steps after it pair up again; the aligned pairs are then compared by kind, name, arguments and error.
Outputs are not compared: a different output shows up as the next step's different decision, which is
where it matters. Ids that every run mints anew (tool call ids inside LLM messages) are ignored.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from ..model import Session, Step

# Keys whose values differ between any two runs of the same conversation.
_VOLATILE_KEYS = frozenset({"id", "call_id", "tool_call_id"})


def _normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, list | tuple):
        return [_normalised(v) for v in value]
    return value


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


Labels = tuple[str, str]
NEUTRAL: Labels = ("A", "B")


def _first_difference(a: Any, b: Any, path: str = "", labels: Labels = NEUTRAL) -> str:
    """Where two JSON-like values first differ, e.g. `customer_id: 42 vs null`."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            inner = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                return f"{inner} only in {labels[0] if key in a else labels[1]}"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], inner, labels)
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]", labels)
        if len(a) != len(b):
            return f"{path or 'value'} has {len(a)} items vs {len(b)}"
    return f"{path + ': ' if path else ''}{_short(a)} vs {_short(b)}"


def compare_steps(a: Step, b: Step, labels: Labels = NEUTRAL) -> str | None:
    """Why step `b` is not the step `a` was; None when they are equivalent. `labels` name the two sides."""
    if a.kind != b.kind:
        return f"different kind: {a.kind} {a.name!r} vs {b.kind} {b.name!r}"
    if a.name != b.name:
        return f"different {a.kind}: {a.name!r} vs {b.name!r}"
    params_a, params_b = _normalised(a.params), _normalised(b.params)
    if params_a != params_b:
        what = "input" if a.kind == "llm" else "arguments"
        return f"different {what} to {a.name!r}: {_first_difference(params_a, params_b, labels=labels)}"
    if a.failed != b.failed:
        side, error = (labels[1], b.error) if b.failed else (labels[0], a.error)
        return f"error only in {side}: {error}"
    if a.error and b.error and a.error.type != b.error.type:
        return f"different error: {a.error} vs {b.error}"
    return None


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first step where two sessions part ways. `index` counts rows from 0; every row before it
    pairs two equal steps, so its number is the step's number on either side."""

    index: int
    recorded: Step | None  # the first session's step (side A); None: it had no more steps
    actual: Step | None  # the second session's step (side B); None: it stopped early
    reason: str

    @property
    def number(self) -> int:
        return self.index + 1

    def describe(self) -> str:
        return f"step {self.number}: {self.reason}"


def _divergence(index: int, a: Step | None, b: Step | None, labels: Labels) -> Divergence | None:
    if a is None and b is not None:
        return Divergence(index, None, b, f"extra step in {labels[1]}: {b.kind} {b.name!r}")
    if b is None and a is not None:
        return Divergence(index, a, None, f"missing step in {labels[1]}: {a.kind} {a.name!r}")
    reason = compare_steps(a, b, labels) if a is not None and b is not None else None
    return None if reason is None else Divergence(index, a, b, reason)


@dataclass(frozen=True, slots=True)
class SessionDiff:
    recorded: Session
    actual: Session
    pairs: tuple[tuple[Step | None, Step | None], ...]
    first_divergence: Divergence | None
    labels: Labels = NEUTRAL

    @property
    def same(self) -> bool:
        return self.first_divergence is None

    def render(self, width: int = 100) -> str:
        return render_diff(self, width)

    def to_dict(self) -> dict[str, Any]:
        first = self.first_divergence

        def step(s: Step | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {
                "span_id": s.span_id,
                "kind": s.kind,
                "name": s.name,
                "params": s.params,
                "error": str(s.error) if s.error else None,
            }

        return {
            "recorded": self.recorded.session_id,
            "actual": self.actual.session_id,
            "same": self.same,
            "first_divergence": None
            if first is None
            else {
                "index": first.index,
                "step": first.number,
                "reason": first.reason,
                "recorded": step(first.recorded),
                "actual": step(first.actual),
            },
            "steps": [[step(a), step(b)] for a, b in self.pairs],
            "marks": [mark(a, b) for a, b in self.pairs],
        }


Rows = list[tuple[Step | None, Step | None]]
_SMALL = 4_000_000  # len(a) * len(b) up to which a stretch between anchors is aligned by kind and name


def _coarse(step: Step) -> tuple[str, str]:
    return step.kind, step.name


def _by_kind_and_name(a: tuple[Step, ...], b: tuple[Step, ...]) -> Rows:
    if len(a) * len(b) > _SMALL:  # long and unlike each other: side by side in order
        return list(zip_longest(a, b))
    rows: Rows = []
    matcher = difflib.SequenceMatcher(None, [_coarse(s) for s in a], [_coarse(s) for s in b], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag in ("equal", "replace"):  # the same steps, or different ones in the same place
            rows.extend(zip_longest(a[a0:a1], b[b0:b1]))
        elif tag == "delete":
            rows.extend((step, None) for step in a[a0:a1])
        else:
            rows.extend((None, step) for step in b[b0:b1])
    return rows


def align(a: tuple[Step, ...], b: tuple[Step, ...]) -> tuple[tuple[Step | None, Step | None], ...]:
    """The two sequences as rows: matched steps side by side, an inserted or missing step alone.

    Steps identical in kind, name and arguments anchor the alignment (difflib's SequenceMatcher; steps
    repeated everywhere cannot anchor), then the stretches between anchors are aligned by kind and
    name, so a changed argument is one row marked different and an extra iteration of a loop is rows
    of their own. The shared start and end pair up first: 10,000 steps align in milliseconds.
    """
    ids: dict[tuple[str, str, str], int] = {}

    def fine(steps: tuple[Step, ...]) -> list[int]:
        return [ids.setdefault((s.kind, s.name, repr(_normalised(s.params))), len(ids)) for s in steps]

    keys_a, keys_b = fine(a), fine(b)
    size = min(len(a), len(b))
    start = 0
    while start < size and keys_a[start] == keys_b[start]:
        start += 1
    end = 0
    while end < size - start and keys_a[-1 - end] == keys_b[-1 - end]:
        end += 1
    rows: Rows = list(zip(a[:start], b[:start], strict=True))
    at_a = at_b = start
    stop_a, stop_b = len(a) - end, len(b) - end
    matcher = difflib.SequenceMatcher(None, keys_a[start:stop_a], keys_b[start:stop_b])
    for block in matcher.get_matching_blocks():
        block_a, block_b = start + block.a, start + block.b
        rows += _by_kind_and_name(a[at_a:block_a], b[at_b:block_b])
        rows.extend(zip(a[block_a : block_a + block.size], b[block_b : block_b + block.size], strict=True))
        at_a, at_b = block_a + block.size, block_b + block.size
    rows.extend(zip(a[stop_a:], b[stop_b:], strict=True))
    return tuple(rows)


def diff_sessions(recorded: Session, actual: Session, labels: Labels = NEUTRAL) -> SessionDiff:
    """Align the two sessions' steps and find the first row that differs.

    `labels` name the two sides in the text: neutral "A"/"B" unless one side is a recording.
    """
    pairs = align(recorded.steps, actual.steps)
    first = None
    for index, (a, b) in enumerate(pairs):
        first = _divergence(index, a, b, labels)
        if first is not None:
            break
    return SessionDiff(recorded, actual, pairs, first, labels)


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts = message.get("parts") or []
    texts = [str(p["content"]) for p in parts if isinstance(p, dict) and isinstance(p.get("content"), str)]
    calls = [f"{p.get('name')}(…)" for p in parts if isinstance(p, dict) and p.get("type") == "tool_call"]
    results = [
        "result " + _short(p.get("response"), 80)
        for p in parts
        if isinstance(p, dict) and p.get("type") == "tool_call_response"
    ]
    return " ".join(texts + calls + results) or _short(message)


def excerpt(params: Any) -> str:
    """What a step was given, briefly: the last chat message's text, or key=value arguments."""
    if isinstance(params, list) and params and all(isinstance(m, dict) and "role" in m for m in params):
        return '"' + " ".join(_message_text(params[-1]).split()) + '"'
    if isinstance(params, dict):
        return ", ".join(f"{k}={json.dumps(v, default=str, ensure_ascii=False)}" for k, v in params.items())
    return _short(params, 200)


def _cell(step: Step | None, width: int) -> str:
    if step is None:
        return "".ljust(width)
    text = f"{step.kind:<6} {'  ' * (step.depth - 1)}{step.name}"
    if step.params is not None:
        text += " " + excerpt(step.params)
    if step.error:
        text += f"  ✗ {step.error}"
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def _heading(label: str, session: Session) -> str:
    return f"{label}: {session.session_id} ({session.end_state or 'open'}, {len(session.steps)} steps)"


def mark(a: Step | None, b: Step | None) -> str:
    """`=` the same step, `≠` a different one, `-` only in the first session, `+` only in the second."""
    if a is None or b is None:
        return "+" if a is None else "-"
    return "=" if compare_steps(a, b) is None else "≠"


def render_diff(diff: SessionDiff, width: int = 100) -> str:
    """Side-by-side text: `=` same step, `≠` different, `-`/`+` only on one side; the first
    divergence is marked with `<-` and explained below."""
    column = max(20, (width - 14) // 2)  # "    1≠ " + A + " | " + B + "  <-" fits the width
    label_a, label_b = diff.labels
    # The sessions on lines of their own: an id is never cut to fit a column.
    lines = [
        _heading(label_a, diff.recorded),
        _heading(label_b, diff.actual),
        f"{'':5}  {label_a[:column]:<{column}} | {label_b[:column]}",
    ]
    first = diff.first_divergence
    for index, (a, b) in enumerate(diff.pairs):
        line = f"{index + 1:>5}{mark(a, b)} {_cell(a, column)} | {_cell(b, column).rstrip()}"
        if first is not None and index == first.index:
            line += "  <-"
        lines.append(line.rstrip())
    if first is None:
        lines.append(f"No divergence: the {len(diff.pairs)} steps match.")
    else:
        lines.append(f"First divergence at {first.describe()}")
    return "\n".join(lines)


__all__ = ["Divergence", "SessionDiff", "align", "compare_steps", "diff_sessions", "excerpt", "mark", "render_diff"]
