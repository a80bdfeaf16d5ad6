"""What every source does with sessions once it has them: filter a listing, resolve an id or prefix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from .. import _liveness
from .._states import status_of
from ..cost import price_records
from ..errors import SessionNotFoundError
from ..model import Session, SessionSummary, SpanRecord, build_session


def read_session(records: Iterable[SpanRecord]) -> Session:
    """One trace read back: priced as the live pipeline prices, and judged crashed when it is open
    and its writer is gone (or silent past the grace period)."""
    return _liveness.judged(build_session(price_records(records)))


def matches(
    summary: SessionSummary,
    *,
    since_ns: int | None = None,
    tags: Sequence[str] = (),
    status: str | None = None,
    service: str | None = None,
) -> bool:
    if since_ns is not None and summary.start_ns < since_ns:
        return False
    if status and status_of(summary.end_state).lower() != status.lower():
        return False
    if service and summary.service != service:
        return False
    return all(tag in summary.tags for tag in tags)


def newest_first(summaries: Iterable[SessionSummary], limit: int | None) -> list[SessionSummary]:
    ordered = sorted(summaries, key=lambda s: s.start_ns, reverse=True)
    return ordered if limit is None else ordered[: max(limit, 0)]


class _Identified(Protocol):
    @property
    def session_id(self) -> str: ...

    @property
    def trace_id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


def pick(sessions: Iterable[T], ident: str, where: str) -> T:
    """The one session whose session id or trace id is `ident`, else the one it is a unique prefix of."""
    wanted = ident.strip()
    if not wanted:
        raise SessionNotFoundError("give a session id, a trace id, or a prefix of one")
    candidates = list(sessions)
    exact = [s for s in candidates if wanted in (s.session_id, s.trace_id)]
    if exact:
        return exact[0]
    lowered = wanted.lower()
    found = {s.trace_id: s for s in candidates if s.session_id.startswith(wanted) or s.trace_id.startswith(lowered)}
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise SessionNotFoundError(f"no session {wanted!r} in {where}; list them with `agentops-otel sessions`")
    names = ", ".join(sorted(s.session_id for s in found.values())[:5])
    raise SessionNotFoundError(f"{wanted!r} matches {len(found)} sessions in {where} ({names}…); give more of the id")
