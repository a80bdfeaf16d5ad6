"""pytest plugin: each test recorded as an agent session, replay links on failure, a run summary.

Opt in with `pytest --agentops` or, in the ini file, `agentops = true`. Then each test runs in its own
session (named and tagged with the node id) that ends Success or Fail with the test's outcome
(Indeterminate when skipped; Fail for an expected failure). Sessions that the code under test starts
are linked to it. Fixtures:

    agentops_session    the test's own session (a SessionHandle: `.get()` reads it as a Session)
    agentops_sessions   the sessions started during the test, as Sessions, oldest first (live view)
    agentops_snapshot   assert a session's trajectory against a golden file (works without --agentops)

A failing test's report carries the replay links of its sessions, and the run ends with a summary:
sessions, failures, tokens, cost, repeated and flaky tests, and the replay links of each failed test.

Judge a non-deterministic test by its pass rate (recorded whether or not --agentops is on):

    @pytest.mark.agentops_repeat(n=40, min_pass_rate=0.9, confidence=0.95)
    def test_refund(agentops_session): ...

runs the body 40 times (fixtures are set up once), each run its own session tagged with the node id and
`run:<i>`; the test passes when the lower bound of the Wilson score interval of its pass rate is at or
above min_pass_rate (unset: every run must pass). `agentops_session` and `agentops_sessions` are the
current run's. A failure lists passes/runs, the interval, the trajectories taken and the replay link of
each failing run. With the playback fixture, each run plays the recording from its beginning.

Always, also when off: the phase reports are set on the item (`item.rep_setup`, `item.rep_call`,
`item.rep_teardown`), so a fixture can read `request.node.rep_call.failed`.

Options (each has an ini twin):
    --agentops, --no-agentops      / agentops = true
    --agentops-update-snapshots    / agentops_update_snapshots = true
    --agentops-snapshot-dir=DIR    / agentops_snapshot_dir = DIR   (default: __agentops_snapshots__
                                     next to each test file)
    --agentops-repeat=N            / agentops_repeat = N   (run each test marked agentops_repeat N times,
                                     whatever its own n)

This module imports only pytest at import time; recording code is imported when first needed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# The playback fixture lives with the other fixtures; its module imports only pytest.
from ._playback_fixture import MARKER_HELP as PLAYBACK_MARKER_HELP
from ._playback_fixture import agentops_playback  # noqa: F401  (a fixture: registered by being here)
from ._repeat_plan import HOOKS_KEY, PLAN_KEY, RepeatHooks, parse_runs_option, plan_of
from ._repeat_plan import MARKER as REPEAT_MARKER
from ._repeat_plan import MARKER_HELP as REPEAT_MARKER_HELP

if TYPE_CHECKING:
    from ._recording import SessionWatcher, TestRecording
    from ._repeat import RepeatRunner

_REPORT_ATTRIBUTE = "agentops"  # plain data on the teardown report; xdist carries it to the controller
_SNAPSHOT_DIR = "__agentops_snapshots__"


@dataclass
class _RunState:
    enabled: bool
    update_snapshots: bool
    snapshot_dir: str | None
    repeat_runs: int | None  # --agentops-repeat: the n of every test marked agentops_repeat
    watchers: dict[int, SessionWatcher] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)  # one per test, from teardown reports


_run_key = pytest.StashKey[_RunState]()
_test_key = pytest.StashKey["TestRecording"]()
_runner_key = pytest.StashKey["RepeatRunner"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentops", "agentops-otel: record each test as an agent session")
    group.addoption(
        "--agentops",
        action="store_true",
        default=None,
        help="record each test as a session, link replays on failure, print a summary (ini: agentops)",
    )
    group.addoption("--no-agentops", action="store_false", dest="agentops", help="turn recording off (over the ini)")
    group.addoption(
        "--agentops-update-snapshots",
        action="store_true",
        default=None,
        help="write trajectory snapshots instead of comparing them (ini: agentops_update_snapshots)",
    )
    group.addoption(
        "--agentops-snapshot-dir",
        default=None,
        metavar="DIR",
        help=f"where trajectory snapshots live (default: {_SNAPSHOT_DIR} beside each test file; "
        "ini: agentops_snapshot_dir)",
    )
    parser.addini("agentops", "record each test as an agent session (like --agentops)", type="bool", default=False)
    parser.addini(
        "agentops_update_snapshots",
        "write trajectory snapshots instead of comparing them",
        type="bool",
        default=False,
    )
    group.addoption(
        "--agentops-repeat",
        default=None,
        metavar="N",
        help="run each test marked agentops_repeat N times instead of its own n (ini: agentops_repeat)",
    )
    parser.addini("agentops_snapshot_dir", "where trajectory snapshots live", default="")
    parser.addini("agentops_repeat", "run each test marked agentops_repeat this many times", default="")


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    return value if value is not None else config.getini(name)


def pytest_configure(config: pytest.Config) -> None:
    from ..errors import ConfigurationError

    config.addinivalue_line("markers", PLAYBACK_MARKER_HELP)
    config.addinivalue_line("markers", REPEAT_MARKER_HELP)
    from_option = config.getoption("agentops_repeat") is not None
    try:
        repeat_runs = parse_runs_option(
            _option(config, "agentops_repeat"), "--agentops-repeat" if from_option else "the ini option agentops_repeat"
        )
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None
    state = config.stash[_run_key] = _RunState(
        enabled=bool(_option(config, "agentops")),
        update_snapshots=bool(_option(config, "agentops_update_snapshots")),
        snapshot_dir=_option(config, "agentops_snapshot_dir") or None,
        repeat_runs=repeat_runs,
    )
    # Always registered: under xdist the controller runs no tests itself but prints the workers' facts.
    config.pluginmanager.register(_Summary(state), "agentops-summary")


def _state(config: pytest.Config) -> _RunState:
    return config.stash[_run_key]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    state = _state(item.config)
    marker = item.get_closest_marker(REPEAT_MARKER) if isinstance(item, pytest.Function) else None
    problem = None
    if marker is not None:
        problem = _prepare_repeat(item, marker, state)
    elif state.enabled:
        from ._recording import TestRecording, ensure_watcher

        item.stash[_test_key] = TestRecording(ensure_watcher(state.watchers), item.nodeid)
    result = yield
    if problem is not None:  # after the other plugins' setup, so that their teardown finds its state
        pytest.fail(problem, pytrace=False)
    return result


def _prepare_repeat(item: pytest.Item, marker: pytest.Mark, state: _RunState) -> str | None:
    """A repeated test: its runs get a session each (no session of the whole test), recorded always.

    Returns what is wrong with the marker's arguments, if anything.
    """
    from ..errors import ConfigurationError

    try:
        plan = plan_of(marker, state.repeat_runs)
    except ConfigurationError as exc:
        return str(exc)
    from ._recording import ensure_watcher
    from ._repeat import RepeatRunner

    hooks = item.stash[HOOKS_KEY] = RepeatHooks()  # fixtures acting per run (playback) join it
    item.stash[PLAN_KEY] = plan
    item.stash[_runner_key] = RepeatRunner(item.nodeid, plan, ensure_watcher(state.watchers), hooks)
    return None


@pytest.hookimpl(wrapper=True, trylast=True)  # inside async plugins' wrappers: the body is synchronous here
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
    __tracebackhide__ = True
    runner = pyfuncitem.stash.get(_runner_key, None)
    if runner is None:
        return (yield)
    body = pyfuncitem.obj
    if inspect.iscoroutinefunction(body) or inspect.isasyncgenfunction(body):
        pytest.fail(
            "agentops_repeat cannot await an async test itself: install an async plugin that runs async tests "
            "(pytest-asyncio, anyio), which makes the body synchronous first",
            pytrace=False,
        )

    def repeated(**kwargs: Any) -> None:
        __tracebackhide__ = True
        runner.run_all(lambda: body(**kwargs))

    pyfuncitem.obj = repeated
    try:
        return (yield)
    finally:
        pyfuncitem.obj = body


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    # The common recipe's attributes, set whether or not recording is on.
    setattr(item, f"rep_{report.when}", report)
    recording = item.stash.get(_test_key, None)
    if recording is not None:
        if report.failed:
            _add_links(report, recording)
        if report.when == "teardown":
            _finish(item, recording, report)
    runner = item.stash.get(_runner_key, None)
    if runner is not None and report.when == "teardown":
        _finish_repeated(item, runner, report)
    return report


def _links_text(recording: TestRecording) -> str:
    from ._describe import session_header

    lines = [session_header(recording.handle.get())]
    lines += [f"  started in the test: {session_header(s)}" for s in recording.sessions]
    return "\n".join(lines)


def _add_links(report: pytest.TestReport, recording: TestRecording) -> None:
    text = _links_text(recording)
    # A traceback's repr prints its sections under it, whatever --show-capture says; xdist keeps them.
    add_section = getattr(report.longrepr, "addsection", None)
    if add_section is not None:
        add_section("agentops sessions", text)
    else:
        report.sections.append(("agentops sessions", text))


def _verdict(item: pytest.Item, teardown: pytest.TestReport) -> tuple[str, str | None]:
    """The session's end state from the test's three phases."""
    reports = [getattr(item, "rep_setup", None), getattr(item, "rep_call", None), teardown]
    for report in reports:
        if report is not None and report.failed:
            return "Fail", f"test {report.when} failed: {_crash_message(report)}"
    for report in reports:
        if report is not None and report.skipped:
            if hasattr(report, "wasxfail"):
                return "Fail", f"expected failure (xfail): {_crash_message(report)}"
            return "Indeterminate", f"skipped: {_skip_reason(report)}"
    return "Success", None


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) or str(report.longrepr or "")
    return message.strip().splitlines()[0][:500] if message.strip() else report.outcome


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "skipped")


def _finish(item: pytest.Item, recording: TestRecording, teardown: pytest.TestReport) -> None:
    from ._recording import session_facts

    state, reason = _verdict(item, teardown)
    own = recording.handle.end(state, reason)
    for watcher in _state(item.config).watchers.values():
        watcher.finish()
    reports = (getattr(item, "rep_setup", None), getattr(item, "rep_call", None), teardown)
    failed = any(r is not None and r.failed for r in reports)  # as pytest counts it: an xfail is not
    # Links (a replay page written per session unless a URL template is set) only where they are shown.
    sessions = [session_facts(own, link=failed)] + [session_facts(s, link=failed) for s in recording.sessions]
    # The id (and, for a failure, the link) as JUnit XML <property> elements, read from this report.
    properties = [("agentops_session_id", own.session_id)]
    if sessions[0]["url"]:
        properties.append(("agentops_replay", sessions[0]["url"]))
    item.user_properties.extend(properties)
    teardown.user_properties.extend(properties)
    setattr(teardown, _REPORT_ATTRIBUTE, {"nodeid": item.nodeid, "failed": failed, "sessions": sessions})
    del item.stash[_test_key]


def _finish_repeated(item: pytest.Item, runner: RepeatRunner, teardown: pytest.TestReport) -> None:
    reports = (getattr(item, "rep_setup", None), getattr(item, "rep_call", None), teardown)
    failed = any(r is not None and r.failed for r in reports)
    facts = runner.facts
    if facts is not None:
        from .._stats import describe_rate

        properties = [("agentops_pass_rate", describe_rate(facts["passes"], facts["runs"], facts["confidence"]))]
        item.user_properties.extend(properties)
        teardown.user_properties.extend(properties)
    setattr(
        teardown,
        _REPORT_ATTRIBUTE,
        {"nodeid": item.nodeid, "failed": failed, "sessions": runner.session_facts(), "repeat": facts},
    )
    del item.stash[_runner_key]


class _Summary:
    """Collects the facts teardown reports carry (from this process or xdist workers) and prints them."""

    def __init__(self, state: _RunState) -> None:
        self._state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        facts = getattr(report, _REPORT_ATTRIBUTE, None)
        if isinstance(facts, dict):
            self._state.results.append(facts)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self._state.results:
            return
        from ._summary import summary_lines

        terminalreporter.write_sep("=", "agentops sessions")
        for line in summary_lines(self._state.results):
            terminalreporter.write_line(line)


def _recording_or_fail(request: pytest.FixtureRequest, fixture: str) -> Any:
    """The test's recording; for a repeated test, one that follows the current run."""
    runner = request.node.stash.get(_runner_key, None)
    if runner is not None:
        return runner
    recording = request.node.stash.get(_test_key, None)
    if recording is None:
        pytest.fail(
            f"the {fixture} fixture needs recording on: run pytest with --agentops, or set `agentops = true` "
            "in the [pytest] section of your ini file",
            pytrace=False,
        )
    return recording


@pytest.fixture
def agentops_session(request: pytest.FixtureRequest) -> Any:
    """The test's own session (a SessionHandle); pass it to the assertions, or `.get()` a Session."""
    return _recording_or_fail(request, "agentops_session").handle


@pytest.fixture
def agentops_sessions(request: pytest.FixtureRequest) -> Any:
    """The sessions started during this test (the test's own excluded), oldest first, read live."""
    return _recording_or_fail(request, "agentops_sessions").sessions


@pytest.fixture
def agentops_snapshot(request: pytest.FixtureRequest) -> Callable[..., None]:
    """`agentops_snapshot(session, name=None)`: compare the trajectory with its golden file.

    The file is DIR/<test file stem>/<test name>[-<name>].json; `--agentops-update-snapshots` writes it.
    """
    from .snapshots import assert_matches_snapshot, snapshot_path

    state = _state(request.config)
    test_file = Path(str(request.node.path))
    base = Path(state.snapshot_dir) if state.snapshot_dir else test_file.parent / _SNAPSHOT_DIR
    if not base.is_absolute():
        base = Path(str(request.config.rootpath)) / base

    def check(session: Any, name: str | None = None) -> None:
        __tracebackhide__ = True
        path = snapshot_path(base / test_file.stem, request.node.name, name)
        assert_matches_snapshot(session, path, update=state.update_snapshots)

    return check
