"""The read model shared by every consumer: SpanRecord in, Session out. Pure data: no I/O, no settings."""

from .._kinds import STEP_KINDS
from ._clusters import Concentration, Run, TrajectoryCluster, cluster_trajectories, failure_concentration, runs_of
from ._failure import Failure
from ._provenance import CauseLink
from ._records import EventRecord, LinkRecord, SpanRecord, from_readable_span
from ._session import Session, build_session, build_sessions
from ._steps import Step, StepError, decode_content, find_failing_step, step_kind
from ._summary import SessionSummary, summarize
from ._trajectory import Departure, Trajectory, TrajectoryStep, argument_shape, trajectory
from ._usage import Usage

__all__ = [
    "STEP_KINDS",
    "CauseLink",
    "Concentration",
    "Departure",
    "EventRecord",
    "Failure",
    "LinkRecord",
    "Run",
    "Session",
    "SessionSummary",
    "SpanRecord",
    "Step",
    "StepError",
    "Trajectory",
    "TrajectoryCluster",
    "TrajectoryStep",
    "Usage",
    "argument_shape",
    "build_session",
    "build_sessions",
    "cluster_trajectories",
    "decode_content",
    "failure_concentration",
    "find_failing_step",
    "from_readable_span",
    "runs_of",
    "step_kind",
    "summarize",
    "trajectory",
]
