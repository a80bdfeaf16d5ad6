"""The read model shared by every consumer: SpanRecord in, Session out."""

from ._records import EventRecord, LinkRecord, SpanRecord, from_readable_span
from ._session import (
    STEP_KINDS,
    Session,
    SessionSummary,
    Step,
    StepError,
    Usage,
    build_session,
    build_sessions,
    decode_content,
    find_failing_step,
    step_kind,
    summarize,
)

__all__ = [
    "STEP_KINDS",
    "EventRecord",
    "LinkRecord",
    "Session",
    "SessionSummary",
    "SpanRecord",
    "Step",
    "StepError",
    "Usage",
    "build_session",
    "build_sessions",
    "decode_content",
    "find_failing_step",
    "from_readable_span",
    "step_kind",
    "summarize",
]
