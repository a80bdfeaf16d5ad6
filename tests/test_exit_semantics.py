"""How a program's end ends its open sessions, as AgentOps ends them (issue 14): an uncaught exception
is Fail with the exception as the reason (and the application's own hook still runs), `sys.exit(0)`
is Success, another exit code Fail with the code, Ctrl-C Indeterminate. Real processes, read back from
the store."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentops_otel.store import LocalStore
from tests._otlp_receiver import OtlpReceiver
from tests.test_exit_lifecycle import env_for, otlp_http_env

PROGRAM = """
import sys, threading
import agentops_otel as agentops
from agentops_otel import tool

def own_hook(kind, value, tb):  # set before init(): ours runs first, then this one
    print("own hook saw", kind.__name__, flush=True)
sys.excepthook = own_hook
agentops.init(auto_start_session=False)

@tool
def lookup(order_id):
    if order_id is None:
        raise LookupError("no order id")
    return {"order": order_id}

how = sys.argv[1]
if how == "uncaught":
    agentops.start_session(tags=["uncaught"])
    lookup("A-1")
    lookup(None)
elif how == "thread":
    def work():
        agentops.start_session(tags=["thread"])
        lookup(None)
    t = threading.Thread(target=work)
    t.start()
    t.join()
else:
    with agentops.session("exits", tags=[how]):
        lookup("A-1")
        if how == "exit0":
            sys.exit(0)
        if how == "exit-none":
            sys.exit()
        if how == "exit3":
            sys.exit(3)
        if how == "ctrl-c":
            raise KeyboardInterrupt
"""


def _run(tmp_path: Path, how: str) -> tuple[subprocess.CompletedProcess[str], object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM), how],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    with LocalStore(tmp_path / "traces.db") as store:
        (listed,) = store.sessions()
    return done, listed


@pytest.mark.parametrize(
    ("how", "end_state", "reason", "returncode"),
    [
        ("exit0", "Success", None, 0),
        ("exit-none", "Success", None, 0),
        ("exit3", "Fail", "SystemExit: 3", 3),
        ("ctrl-c", "Indeterminate", "KeyboardInterrupt", -2),  # Python dies of SIGINT, as without us
    ],
)
def test_leaving_a_session_by_exit_or_ctrl_c(tmp_path: Path, how, end_state, reason, returncode):
    done, listed = _run(tmp_path, how)
    assert done.returncode == returncode, done.stderr
    assert (listed.end_state, listed.end_state_reason) == (end_state, reason)


def test_ctrl_c_with_otlp_export_still_ends_the_process_by_sigint(tmp_path: Path):
    """Ctrl-C while the exit flush sends over OTLP: the process still dies of SIGINT (an import or
    exec of ours running at exit, as the price tables' thread did, makes CPython exit 1 instead) and
    the session arrives."""
    receiver = OtlpReceiver()
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(PROGRAM), "ctrl-c"],
            env=otlp_http_env(tmp_path, receiver),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == -2, done.stderr
        assert len(receiver.span_ids()) == 2  # the session and its step, sent at exit
    finally:
        receiver.close()


def test_an_uncaught_exception_ends_the_session_fail_and_the_applications_hook_still_runs(tmp_path: Path):
    done, listed = _run(tmp_path, "uncaught")
    assert done.returncode == 1
    assert "own hook saw LookupError" in done.stdout
    assert (listed.end_state, listed.end_state_reason) == ("Fail", "LookupError: no order id")
    with LocalStore(tmp_path / "traces.db") as store:
        from agentops_otel.model import build_session

        session = build_session(store.trace(listed.trace_id))
    assert session.failing_step.name == "lookup" and session.failing_step.params == {"order_id": None}
    shown = subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", "replay", listed.session_id, "--json"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    failure = json.loads(shown.stdout)["failure"]
    assert failure["span_id"] == session.failing_step.span_id and failure["error"] == "LookupError: no order id"
    handled = [s for s in json.loads(shown.stdout)["steps"] if s["handled"]]
    assert handled == [] and failure["cause_chain"][0]["text"] == "order_id=None"


def test_an_uncaught_exception_in_a_thread_ends_that_threads_session_fail(tmp_path: Path):
    done, listed = _run(tmp_path, "thread")
    assert done.returncode == 0, done.stderr
    assert "LookupError: no order id" in done.stderr  # the default thread hook still prints it
    assert (listed.end_state, listed.end_state_reason) == ("Fail", "LookupError: no order id")
