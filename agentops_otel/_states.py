"""Session end states and the status vocabulary, and the rules that derive them.

One home for: the end states (`Success`, `Fail`, `Indeterminate`), the word for a session still
running (`open`), reading an end state a user wrote (any case, AgentOps' enums), when a span counts
as failed, and the end state of a trace that carries none (another instrumentation's). The store's SQL
mirrors `derived_end_state`; a test keeps the two in step.

`Crashed` is a fourth end state that readers show and capture never writes as such: the process died
before the session ended. Killed by SIGTERM or SIGHUP, the session is recorded `Indeterminate` (as
AgentOps records it) with `agentops.session.crashed`; killed outright (SIGKILL, the OOM killer), it
stays open in the data, and a reader that finds its writer gone (or silent past the grace period,
`_liveness`) calls it crashed. `check` counts crashed sessions as failures unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from . import semconv as sc
from .errors import ConfigurationError

SUCCESS: Final = sc.SessionEndStateValues.SUCCESS.value
FAIL: Final = sc.SessionEndStateValues.FAIL.value
INDETERMINATE: Final = sc.SessionEndStateValues.INDETERMINATE.value
END_STATES: Final = (SUCCESS, FAIL, INDETERMINATE)  # the states a session is ended with
CRASHED: Final = "Crashed"  # read, never written: the process died before the session ended
CRASH_REASON: Final = "process exited without ending the session"
OPEN: Final = "open"  # not an end state: the status of a session still running
STATUSES: Final = (*END_STATES, CRASHED, OPEN)

_BY_LOWER = {s.lower(): s for s in STATUSES}


# AgentOps' other spellings: 0.3's docs ("Failure", "Error"), 0.4's TraceState and OpenTelemetry's StatusCode
# names, as str() prints them ("TraceState.ERROR", "StatusCode.OK") or as their member names.
_ALIASES = {
    **dict.fromkeys(("ok", "succeeded", "successful", "completed"), SUCCESS),
    **dict.fromkeys(("failure", "failed", "error", "errored"), FAIL),
    "unset": INDETERMINATE,
}
_ENUM_PREFIXES = ("statuscode.", "tracestate.", "endstate.")


def _canonical(text: str) -> str | None:
    key = text.strip().lower()
    for prefix in _ENUM_PREFIXES:
        key = key.removeprefix(prefix)
    found = _BY_LOWER.get(key) or _ALIASES.get(key)
    return found if found in END_STATES else None


def known_end_state(value: Any) -> str | None:
    """The canonical end state for a user's spelling, or None if unknown.

    Any case; AgentOps' spellings ("Error", "Failure", "SUCCESS", "UNSET", "StatusCode.ERROR"); enums by
    member name or `.value` (AgentOps' EndState and TraceState, OpenTelemetry's StatusCode), nested too.
    """
    for _ in range(3):  # TraceState.ERROR.value is StatusCode.ERROR, whose .value is a number
        if isinstance(value, str):
            return _canonical(value)
        name = getattr(value, "name", None)
        if isinstance(name, str) and (found := _canonical(name)) is not None:
            return found
        if not hasattr(value, "value"):
            return None
        value = value.value
    return None


def read_end_state(value: Any) -> tuple[str, str | None]:
    """(canonical end state, the spelling as given when it is not one we know).

    Never raises: an unknown state (AgentOps 0.4 accepts any string, e.g. "Escalation_Required") is
    Indeterminate, and the caller keeps what was given. None means the default, Success.
    """
    if value is None:
        return SUCCESS, None
    found = known_end_state(value)
    if found is not None:
        return found, None
    return INDETERMINATE, value if isinstance(value, str) else str(value)


def parse_status(value: str) -> str:
    """A status filter (an end state or "open", any case) in its canonical spelling."""
    found = _BY_LOWER.get(value.strip().lower())
    if found is None:
        raise ConfigurationError(f"unknown session status {value!r}: use one of {', '.join(STATUSES)}")
    return found


def status_of(end_state: str | None) -> str:
    """What listings show for a session: its end state, or "open" while it runs."""
    return end_state or OPEN


def span_failed(status_code: str, attributes: Mapping[str, Any], event_names: Iterable[str] = ()) -> bool:
    """A span failed when its status is ERROR, it names an `error.type`, or it recorded an exception."""
    return status_code == "ERROR" or sc.ERROR_TYPE in attributes or "exception" in event_names


def is_failure(end_state: str | None, *, allow_crashed: bool = False) -> bool:
    """Whether a session with this end state failed: Fail, and Crashed unless `allow_crashed`."""
    return end_state == FAIL or (end_state == CRASHED and not allow_crashed)


def derived_end_state(
    explicit: Any, ended: bool, status_code: str, failed_child: bool = False, crashed: bool = False
) -> str | None:
    """The end state of a session root: the recorded one, else from the root's status and its steps.

    Crashed when `crashed` (recorded on the root, or found by a reader) and the session did not end
    Success or Fail. None while the root is open. A root without an end state of ours (another instrumentation's) is
    Fail when its status is ERROR or a step right under it failed (`failed_child`: looking through
    chains and turns that did not fail; the OpenAI Agents SDK under OpenInference leaves its root OK
    while its agent's span is ERROR), Success when its status is OK, else Indeterminate.
    """
    if crashed and explicit not in (SUCCESS, FAIL):
        return CRASHED
    if explicit:
        return str(explicit)
    if not ended:
        return None
    if status_code == "ERROR" or failed_child:
        return FAIL
    if status_code == "OK":
        return SUCCESS
    return INDETERMINATE
