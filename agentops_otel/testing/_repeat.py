"""Running one test body n times, each run its own session, and judging it by its pass rate.

Imported by the pytest plugin only for tests that carry the `agentops_repeat` marker (it needs
OpenTelemetry). Each run is a session named with the test's node id, tagged with it and `run:<i>`, and
carrying `agentops.test.node_id`, `agentops.run.index` and `agentops.run.count`, so `agentops-otel check`
and `trajectories` can group the runs of one test again from any trace source.

The fixtures are set up once for all runs; a fixture that must act per run (the playback fixture starts
each run from the beginning of its recording) registers a `RunHook`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from .._stats import wilson_interval
from ..model import Run, Session, cluster_trajectories, failure_concentration
from ._recording import SessionWatcher, TestRecording, session_facts
from ._repeat_plan import RepeatHooks, RepeatPlan
from ._summary import repeat_lines

# Outcomes that end the whole test, not one run: pytest.skip / xfail / exit inside the body, Ctrl-C.
_STOPS = (pytest.skip.Exception, pytest.xfail.Exception, pytest.exit.Exception, KeyboardInterrupt, GeneratorExit)


class RepeatFailure(AssertionError):
    """The test's pass rate over its runs fell short of what its `agentops_repeat` marker asks."""


RepeatFailure.__module__ = "agentops_otel.testing"  # where users import it from (and how reports name it)


@dataclass
class RunResult:
    index: int
    session: Session
    started: tuple[Session, ...]
    problem: str | None  # the first line of why the run failed; None when it passed

    @property
    def passed(self) -> bool:
        return self.problem is None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {line}"[:500] if line else type(exc).__name__


class RepeatRunner:
    """Runs and judges one repeated test; `handle` and `sessions` follow the current run."""

    __test__ = False

    def __init__(self, nodeid: str, plan: RepeatPlan, watcher: SessionWatcher, hooks: RepeatHooks) -> None:
        self.nodeid, self.plan, self.watcher, self.hooks = nodeid, plan, watcher, hooks
        self.current: TestRecording | None = None
        self.results: list[RunResult] = []
        self.facts: dict[str, Any] | None = None
        self.handle = _Current(self, "handle")
        self.sessions = _Current(self, "sessions")

    def run_all(self, call: Callable[[], Any]) -> None:
        __tracebackhide__ = True
        problem = self.plan.unreachable()
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        first_failure: BaseException | None = None
        for index in range(1, self.plan.runs + 1):
            failure = self._run_once(index, call)
            if failure is not None and first_failure is None:
                first_failure = failure
        self.facts = self._judge()
        if not self.facts["ok"]:
            message = "\n".join(repeat_lines(self.nodeid, self.facts, verbose=True))
            raise RepeatFailure(message) from first_failure

    def _run_once(self, index: int, call: Callable[[], Any]) -> BaseException | None:
        """One run in its own session; the exception that failed it, or None when it passed."""
        __tracebackhide__ = True
        recording = TestRecording(self.watcher, self.nodeid, run=(index, self.plan.runs))
        self.current = recording
        failure: BaseException | None = None
        try:
            with ExitStack() as stack:
                for hook in self.hooks.hooks:
                    stack.enter_context(hook.around())
                result = call()
                if inspect.isawaitable(result):  # a plain function returning a coroutine: never awaited
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                    raise TypeError("the test body returned an awaitable that nothing awaits")
        except _STOPS as exc:
            recording.handle.end("Indeterminate", f"run {index} stopped the test: {_first_line(exc)}")
            self.watcher.finish()
            raise
        except (Exception, pytest.fail.Exception, SystemExit) as exc:
            failure = exc
        self.watcher.finish()
        problem = None if failure is None else _first_line(failure)
        session = recording.handle.end(
            "Success" if problem is None else "Fail", None if problem is None else f"test call failed: {problem}"
        )
        self.results.append(RunResult(index, session, tuple(recording.sessions), problem))
        return failure

    def _judge(self) -> dict[str, Any]:
        """Plain data about the runs (it travels in the test's report, also over xdist)."""
        plan, results = self.plan, self.results
        passes = sum(1 for r in results if r.passed)
        low, high = wilson_interval(passes, len(results), plan.confidence)
        ok = passes == len(results) if plan.min_pass_rate is None else low >= plan.min_pass_rate
        runs = {r.session.session_id: r for r in results}
        clusters = cluster_trajectories([Run(r.session, r.started) for r in results], confidence=plan.confidence)
        concentration = failure_concentration(clusters)
        return {
            "runs": len(results),
            "passes": passes,
            "min_pass_rate": plan.min_pass_rate,
            "confidence": plan.confidence,
            "interval": [low, high],
            "ok": ok,
            "notes": [h.note for h in self.hooks.hooks if h.note],
            "failed_runs": [
                {"index": r.index, "problem": r.problem, **_link(r.session)} for r in results if not r.passed
            ],
            "clusters": [
                {
                    "label": c.trajectory.label(),
                    "count": c.count,
                    "passes": c.passes,
                    "failures": c.failures,
                    "departure": None if c.departure is None else c.departure.describe(),
                    "runs": [runs[run.session_id].index for run in c.runs],
                }
                for c in clusters
            ],
            "concentration": None
            if concentration is None
            else {"cluster": concentration.cluster.index, "failures": concentration.failures},
        }

    def session_facts(self) -> list[dict[str, Any]]:
        """The runs' sessions and those they started, for the run summary's totals."""
        return [
            session_facts(s, link=not r.passed and s is r.session)
            for r in self.results
            for s in (r.session, *r.started)
        ]


def _link(session: Session) -> dict[str, Any]:
    from ._describe import replay_link

    return {"session_id": session.session_id, "url": replay_link(session)}


class _Current:
    """The `agentops_session` / `agentops_sessions` fixture value of a repeated test: the current run's."""

    def __init__(self, runner: RepeatRunner, attribute: str) -> None:
        object.__setattr__(self, "_runner", runner)
        object.__setattr__(self, "_attribute", attribute)

    def _target(self) -> Any:
        recording = self._runner.current
        if recording is None:
            raise RuntimeError(
                f"agentops_{'session' if self._attribute == 'handle' else 'sessions'} of a repeated test is the "
                "current run's, and no run has started yet (use it in the test body)"
            )
        return getattr(recording, self._attribute)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __getitem__(self, index: int) -> Any:
        return self._target()[index]

    def __repr__(self) -> str:
        return f"<current run of {self._runner.nodeid}: {self._target()!r}>"
