"""SessionSummary: one line of a session listing, without the steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._states import CRASHED, FAIL
from ._steps import as_datetime
from ._usage import Usage

if TYPE_CHECKING:
    from ._session import Session


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What `sessions` and `check` need of a session."""

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
    steps: int | None = None  # None when the source does not say (then only the session itself can)

    @property
    def duration(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e9

    @property
    def started_at(self) -> datetime:
        return as_datetime(self.start_ns)  # type: ignore[return-value]

    @property
    def failed(self) -> bool:
        return self.end_state in (FAIL, CRASHED)  # a crash is a failure (check --allow-crashed: not)

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
            "usage": self.usage.to_dict(),
            "steps": self.steps,
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
        steps=len(session.steps),
    )
