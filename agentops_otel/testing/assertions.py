"""Behavioural assertions on a recorded session: which steps ran, in what order, with what, at what cost.

Each takes a `Session` (or a `SessionHandle`, read at the moment you assert) and raises AssertionError
whose message shows what the agent actually did, compactly, with the session's replay link:

    from agentops_otel.testing import (
        assert_tool_called, assert_called_before, assert_called_with, assert_steps, assert_cost_under,
    )

    assert_tool_called(session, "search", times=2)
    assert_called_before(session, "classify_intent", "issue_refund")
    assert_called_with(session, "issue_refund", amount=lambda v: v < 100, currency="EUR")
    assert_no_none_arguments(session)
    assert_steps(session, ["llm", "tool:search", "action:fetch_*", "llm"])       # in order, gaps allowed
    assert_max_llm_calls(session, 3)
    assert_cost_under(session, 0.01)                                             # unpriced call -> fails
    assert_no_errors(session)

Names match steps of kind tool, action or agent (narrow with `kind=`). Step patterns (`assert_steps`,
snapshots) are `"kind:name"`, `"kind"` alone (any step of that kind: llm, tool, action, agent, error)
or a bare name; names may use `*` wildcards; `step("refund", amount=50)` also matches arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._format import usd
from ..model import Session, Step
from ._describe import describe, format_step, session_of, unpriced_reason
from ._patterns import NAMED_KINDS, StepPattern, arguments_mismatch, as_pattern, describe_arguments, step

__all__ = [
    "StepPattern",
    "assert_action_called",
    "assert_called",
    "assert_called_before",
    "assert_called_with",
    "assert_cost_under",
    "assert_max_llm_calls",
    "assert_no_errors",
    "assert_no_none_arguments",
    "assert_not_called",
    "assert_steps",
    "assert_tokens_under",
    "assert_tool_called",
    "assert_tool_not_called",
    "step",
]


def _fail(message: str, session: Session, mark: int | None = None) -> AssertionError:
    return AssertionError(f"{message}\n{describe(session, mark)}")


def _calls(session: Session, name: str, kind: str | None) -> list[Step]:
    pattern = StepPattern(kind, name)
    return [s for s in session.steps if pattern.matches(s)]


def _what(name: str, kind: str | None) -> str:
    return f"{kind} {name!r}" if kind else repr(name)


def _times(n: int) -> str:
    return "1 time" if n == 1 else f"{n} times"


def assert_called(
    session: Any,
    name: str,
    *,
    kind: str | None = None,
    times: int | None = None,
    at_least: int | None = None,
    at_most: int | None = None,
) -> list[Step]:
    """`name` ran (as a tool, action or agent, or as `kind`); with `times`/`at_least`/`at_most`, that often.

    Returns the matching steps, oldest first.
    """
    __tracebackhide__ = True
    s = session_of(session)
    calls = _calls(s, name, kind)
    count = len(calls)
    what = _what(name, kind)
    if times is not None and count != times:
        raise _fail(f"{what} was called {_times(count)}, expected exactly {_times(times)}", s)
    if at_least is not None and count < at_least:
        raise _fail(f"{what} was called {_times(count)}, expected at least {_times(at_least)}", s)
    if at_most is not None and count > at_most:
        raise _fail(f"{what} was called {_times(count)}, expected at most {_times(at_most)}", s)
    if times is None and at_least is None and at_most is None and count == 0:
        raise _fail(f"{what} was never called", s)
    return calls


def assert_tool_called(
    session: Any, name: str, *, times: int | None = None, at_least: int | None = None, at_most: int | None = None
) -> list[Step]:
    """The tool `name` was called (exactly `times`, or within `at_least`..`at_most`)."""
    __tracebackhide__ = True
    return assert_called(session, name, kind="tool", times=times, at_least=at_least, at_most=at_most)


def assert_action_called(
    session: Any, name: str, *, times: int | None = None, at_least: int | None = None, at_most: int | None = None
) -> list[Step]:
    """The action `name` (`@record_action`, `ActionEvent`) ran (exactly `times`, or within bounds)."""
    __tracebackhide__ = True
    return assert_called(session, name, kind="action", times=times, at_least=at_least, at_most=at_most)


def assert_not_called(session: Any, name: str, *, kind: str | None = None) -> None:
    """`name` never ran (as a tool, action or agent, or as `kind`)."""
    __tracebackhide__ = True
    s = session_of(session)
    calls = _calls(s, name, kind)
    if calls:
        first = s.steps.index(calls[0])
        raise _fail(f"{_what(name, kind)} was called {_times(len(calls))}, expected never", s, first)


def assert_tool_not_called(session: Any, name: str) -> None:
    """The tool `name` was never called."""
    __tracebackhide__ = True
    assert_not_called(session, name, kind="tool")


def assert_called_before(session: Any, first: str, then: str, *, kind: str | None = None) -> None:
    """Both ran, and the first call of `first` started before the first call of `then`."""
    __tracebackhide__ = True
    s = session_of(session)
    a, b = _calls(s, first, kind), _calls(s, then, kind)
    if not a or not b:
        missing = " and ".join(repr(n) for n, c in ((first, a), (then, b)) if not c)
        raise _fail(f"expected {first!r} before {then!r}, but {missing} never ran", s)
    if s.steps.index(a[0]) > s.steps.index(b[0]):
        raise _fail(
            f"expected {first!r} before {then!r}, but {then!r} ran first (step {s.steps.index(b[0]) + 1})",
            s,
            s.steps.index(b[0]),
        )


def assert_called_with(
    session: Any,
    name: str,
    arguments: Mapping[str, Any] | None = None,
    /,
    **expected: Any,
) -> Step:
    """Some call of `name` had arguments matching every expected one; returns that step.

    Each expected value is compared with `==`, or, if callable, called with the actual value and must
    return true: `assert_called_with(s, "refund", amount=lambda v: v < 100)`. Arguments named like
    this function's own parameters go in the positional dict: `assert_called_with(s, "f", {"name": "x"})`.
    Other arguments of the call are ignored.
    """
    __tracebackhide__ = True
    s = session_of(session)
    wanted = {**(arguments or {}), **expected}
    calls = _calls(s, name, None)
    if not calls:
        raise _fail(f"{name!r} was never called (expected a call with {describe_arguments(wanted)})", s)
    reasons = []
    for call in calls:
        problem = arguments_mismatch(call.params, wanted)
        if problem is None:
            return call
        reasons.append(f"  step {s.steps.index(call) + 1}: {problem}")
    shown = "\n".join(reasons[:10]) + ("\n  …" if len(reasons) > 10 else "")
    raise _fail(f"no call of {name!r} matched {describe_arguments(wanted)}:\n{shown}", s)


def assert_no_none_arguments(session: Any, *, kinds: Iterable[str] = NAMED_KINDS) -> None:
    """No tool, action or agent call got `None` for an argument (top-level arguments only)."""
    __tracebackhide__ = True
    s = session_of(session)
    kinds = tuple(kinds)
    offenders = []
    for i, st in enumerate(s.steps):
        if st.kind in kinds and isinstance(st.params, dict):
            nones = [k for k, v in st.params.items() if v is None]
            if nones:
                offenders.append((i, st, nones))
    if offenders:
        lines = [f"  step {i + 1}: {st.kind} {st.name}: {', '.join(nones)} is None" for i, st, nones in offenders]
        raise _fail("a step was called with a None argument:\n" + "\n".join(lines), s, offenders[0][0])


def _considered(session: Session, kinds: Iterable[str] | None) -> list[Step]:
    allowed = tuple(kinds) if kinds is not None else ("llm", "tool", "action", "agent", "error")
    return [st for st in session.steps if st.kind in allowed]


def assert_steps(
    session: Any,
    expected: Sequence[str | StepPattern],
    *,
    exact: bool = False,
    kinds: Iterable[str] | None = None,
) -> None:
    """The steps ran in this order: a sub-sequence (gaps allowed), or with `exact=True` the whole sequence.

    Only steps of `kinds` count (default: llm, tool, action, agent, error; spans of other
    instrumentations, such as HTTP clients, are left out).
    """
    __tracebackhide__ = True
    s = session_of(session)
    patterns = [as_pattern(p) for p in expected]
    steps = _considered(s, kinds)
    index_in_session = {id(st): i for i, st in enumerate(s.steps)}
    if exact:
        for i, pattern in enumerate(patterns):
            if i >= len(steps):
                raise _fail(f"expected {len(patterns)} steps, the session has {len(steps)}: missing {pattern}", s)
            if not pattern.matches(steps[i]):
                raise _fail(
                    f"step {i + 1} is `{format_step(steps[i])}`, expected {pattern}",
                    s,
                    index_in_session[id(steps[i])],
                )
        if len(steps) > len(patterns):
            extra = steps[len(patterns)]
            raise _fail(
                f"expected {len(patterns)} steps, the session has {len(steps)}: unexpected `{format_step(extra)}`",
                s,
                index_in_session[id(extra)],
            )
        return
    position = position_of_last = 0
    for matched, pattern in enumerate(patterns):
        while position < len(steps) and not pattern.matches(steps[position]):
            position += 1
        if position == len(steps):
            after = f" after step `{format_step(steps[position_of_last])}`" if matched else ""
            raise _fail(
                f"matched {matched} of {len(patterns)} expected steps in order; no {pattern}{after}",
                s,
            )
        position_of_last = position
        position += 1


def assert_max_llm_calls(session: Any, limit: int) -> None:
    """At most `limit` LLM calls."""
    __tracebackhide__ = True
    s = session_of(session)
    if s.llm_calls > limit:
        raise _fail(f"{s.llm_calls} LLM calls, expected at most {limit}", s)


def assert_cost_under(session: Any, max_usd: float) -> None:
    """Cost below `max_usd`. A call that could not be priced fails: an unknown cost is not zero."""
    __tracebackhide__ = True
    s = session_of(session)
    cost = s.cost
    if cost is None:
        lines = [f"  {format_step(st)}: {unpriced_reason(st)}" for st in s.unpriced_steps]
        raise _fail(
            f"cost unknown: {len(s.unpriced_steps)} LLM call(s) could not be priced "
            f"(the priced calls cost {usd(s.cost_lower_bound)}, budget {usd(max_usd)}):\n" + "\n".join(lines),
            s,
        )
    if cost >= max_usd:
        raise _fail(f"cost {usd(cost)} is not under the budget of {usd(max_usd)}", s)


def assert_tokens_under(session: Any, max_tokens: int) -> None:
    """Input plus output tokens of all LLM calls below `max_tokens`."""
    __tracebackhide__ = True
    s = session_of(session)
    usage = s.usage
    if usage.total_tokens >= max_tokens:
        raise _fail(
            f"{usage.total_tokens} tokens ({usage.input_tokens} in, {usage.output_tokens} out) "
            f"is not under the budget of {max_tokens}",
            s,
        )


def assert_no_errors(session: Any) -> None:
    """No step failed and no error was recorded."""
    __tracebackhide__ = True
    s = session_of(session)
    errors = s.error_events
    if errors:
        first = s.steps.index(errors[0])
        lines = [f"  step {s.steps.index(e) + 1}: {format_step(e)}" for e in errors]
        raise _fail(f"{len(errors)} step(s) failed:\n" + "\n".join(lines), s, first)
