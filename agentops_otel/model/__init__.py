"""The read model shared by every consumer: SpanRecord in, Session out. Pure data: no I/O, no settings."""

from .._kinds import STEP_KINDS
from ._records import EventRecord, LinkRecord, SpanRecord, from_readable_span
from ._session import Session, build_session, build_sessions
from ._steps import Step, StepError, decode_content, find_failing_step, step_kind
from ._summary import SessionSummary, summarize
from ._usage import Usage

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
