"""Compact text for failure messages: a session's header, its step sequence, its replay link.

Shared by the assertions, snapshots, variations and the pytest plugin, so every failure reads alike:

    session 3f2a1b0c… 'triage' (Fail) · replay: http://127.0.0.1:8765/sessions/3f2a…
    steps (4):
       1. llm gpt-4o
       2. tool search(query='refund policy')
       3. action fetch_customer_data(customer_id=None)  !! ValueError: customer_id cannot be None
       4. llm gpt-4o
"""

from __future__ import annotations

import logging
from typing import Any

from .. import semconv as sc
from ..model import Session, Step

_log = logging.getLogger("agentops_otel")

_MAX_VALUE = 40  # characters of one argument value
_MAX_ARGS = 100  # characters of one step's argument list
_MAX_STEPS = 40  # steps shown before the middle is elided


def session_of(value: Any) -> Session:
    """Accept a Session, or anything whose `.get()` returns one (a SessionHandle)."""
    if isinstance(value, Session):
        return value
    get = getattr(value, "get", None)
    if callable(get) and hasattr(value, "session_id"):
        session = get()
        if isinstance(session, Session):
            return session
    raise TypeError(
        f"expected a Session or a SessionHandle (from start_session() or the agentops_session fixture), "
        f"got {type(value).__name__}"
    )


def replay_link(session: Session) -> str | None:
    """The session's replay URL (the one it carries, else made now), or None when none can be made."""
    from .._links import session_url  # never raises: a folder it cannot write is logged and skipped

    return session.url or session_url(session)


def _short(value: Any, limit: int = _MAX_VALUE) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_arguments(params: Any) -> str:
    """`a=1, b='x'` for a dict of arguments, the value itself otherwise; '' when nothing recorded."""
    if params is None:
        return ""
    text = ", ".join(f"{k}={_short(v)}" for k, v in params.items()) if isinstance(params, dict) else _short(params)
    return text if len(text) <= _MAX_ARGS else text[: _MAX_ARGS - 1] + "…"


def format_step(step: Step) -> str:
    """One step on one line: kind, name, arguments (not for LLM calls), and its error if it failed."""
    if step.kind == "llm":
        text = f"llm {step.name}"
    else:
        text = f"{step.kind} {step.name}"
        if step.kind != "error" and step.params is not None:
            text += f"({format_arguments(step.params)})"
    if step.error is not None:
        text += f"  !! {step.error}"
    return text


def format_steps(steps: list[Step] | tuple[Step, ...], mark: int | None = None) -> str:
    """Numbered, indented by nesting; `mark` (an index) gets an arrow. Long lists keep both ends."""
    if not steps:
        return "steps: (none)"
    lines = [f"steps ({len(steps)}):"]
    indexes = list(range(len(steps)))
    if len(steps) > _MAX_STEPS:
        head, tail = _MAX_STEPS // 2, _MAX_STEPS // 2
        if mark is not None and head <= mark < len(steps) - tail:  # keep the marked step in view
            indexes = [*range(head), mark, *range(len(steps) - tail, len(steps))]
        else:
            indexes = [*range(head), *range(len(steps) - tail, len(steps))]
    previous = -1
    for i in indexes:
        if i != previous + 1:
            lines.append(f"      … {i - previous - 1} more steps …")
        previous = i
        step = steps[i]
        indent = "  " * max(step.depth - 1, 0)
        arrow = "  <-" if i == mark else ""
        lines.append(f"  {i + 1:>3}. {indent}{format_step(step)}{arrow}")
    if previous != len(steps) - 1:
        lines.append(f"      … {len(steps) - previous - 1} more steps …")
    return "\n".join(lines)


def session_header(session: Session) -> str:
    state = session.end_state or "open"
    name = f" {session.name!r}" if session.name and session.name != "session" else ""
    text = f"session {session.session_id}{name} ({state})"
    link = replay_link(session)
    return f"{text} · replay: {link}" if link else text


def describe(session: Session, mark: int | None = None) -> str:
    """Header and step sequence, for the body of a failure message."""
    return f"{session_header(session)}\n{format_steps(session.steps, mark)}"


def unpriced_reason(step: Step) -> str:
    reason = step.attributes.get(sc.AGENTOPS_COST_UNPRICED_REASON)
    return str(reason) if reason else f"no price for model {step.model or step.name!r}"
