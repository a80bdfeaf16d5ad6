"""Words and numbers of the replay page, the same with and without JavaScript (assets/replay_util.js
mirrors the formats; the failure note is made here only and the script reads it from the page's data)."""

from __future__ import annotations

import json
from typing import Any

from .. import _states
from ..model import Session

# End states mapped to a fixed set of class names: a recorded value is never used as one.
_STATE_CLASSES = {
    _states.SUCCESS: "st-success",
    _states.FAIL: "st-fail",
    _states.INDETERMINATE: "st-indeterminate",
}


def state_class(end_state: str | None) -> str:
    if end_state is None:
        return "st-open"
    return _STATE_CLASSES.get(end_state, "st-other")


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    if seconds == 0:
        return "0 s"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} \u00b5s"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{int(seconds // 60)} min {round(seconds % 60)} s"


def offset_text(ns: int) -> str:
    ms = max(0, ns) / 1e6
    minutes, rest = divmod(ms, 60_000)
    return f"{int(minutes):02d}:{rest / 1000:06.3f}"


def tokens_text(input_tokens: int, output_tokens: int) -> str:
    return f"{input_tokens} in / {output_tokens} out"


def json_in_string(text: str) -> Any:
    """The object or array a string holds as JSON text (a tool result inside a transcript), else None."""
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] not in "[{" or stripped[-1] not in "]}":
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def failure_note(session: Session, failing_number: int | None) -> str:
    """What "jump to failure" finds, or why there is nothing to jump to."""
    state = session.end_state
    reason = session.end_state_reason
    if failing_number is not None:
        step = session.failing_step
        error = f": {step.error}" if step is not None and step.error else ""
        name = f"{step.kind} {step.name}" if step is not None else "a step"
        return f"Caused by step {failing_number} ({name}){error}"
    if state == _states.FAIL:
        failure = session.failure
        summary = failure.summary if failure is not None else f"Ended Fail: {reason}"
        return f"No step to jump to. {summary}."
    if state == _states.SUCCESS:
        return "Nothing failed: the session succeeded."
    if state is None:
        return "Still running: no step has failed so far."
    return f"No step failed; the session ended {state}" + (f" ({reason})." if reason else ".")


__all__ = ["duration_text", "failure_note", "json_in_string", "offset_text", "state_class", "tokens_text"]
