"""A process killed before it ends its session (issue 14): SIGKILL (or the OOM killer) leaves the session
open in the data and readers find its writer gone; SIGTERM ends it Indeterminate, marked crashed. Either
way every reader of the store says Crashed, and `check` counts it as a failure unless --allow-crashed.
Real processes, really killed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentops_otel import _liveness
from agentops_otel.store import LocalStore
from tests._otlp_receiver import OtlpReceiver
from tests.test_cause_chain import _cli
from tests.test_exit_lifecycle import env_for, otlp_http_env

AGENT = """
import sys, time
import agentops_otel as agentops
from agentops_otel import tool

agentops.init(auto_start_session=False)

@tool
def step(i):
    return i

with agentops.session("ok", tags=["run"]):
    step(0)
agentops.start_session(tags=["run"])
for i in range(3):
    step(i)
import agentops_otel._pipeline as p
p.current_pipeline().force_flush()
print("ready", flush=True)
time.sleep(60)
"""


def _killed(tmp_path: Path, signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(AGENT)],
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    process.send_signal(signum)
    process.communicate(timeout=60)
    assert process.returncode == -signum


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_session_reads_crashed_and_fails_the_gate(tmp_path: Path, signum: int):
    _killed(tmp_path, signum)
    with LocalStore(tmp_path / "traces.db") as store:
        listed = {s.name: s for s in store.sessions()}
    crashed = next(s for name, s in listed.items() if name != "ok")
    assert listed["ok"].end_state == "Success"
    assert crashed.end_state == "Crashed" and crashed.failed
    if signum == signal.SIGKILL:
        assert crashed.end_state_reason.startswith("process exited without ending the session (process ")
    else:
        assert crashed.end_state_reason == "terminated by SIGTERM"
    shown = json.loads(_cli(tmp_path, "replay", crashed.session_id, "--json").stdout)
    assert shown["end_state"] == "Crashed" and shown["end_state_reason"] == crashed.end_state_reason
    only_crashed = json.loads(_cli(tmp_path, "sessions", "--json", "--status", "Crashed").stdout)
    assert [s["session_id"] for s in only_crashed] == [crashed.session_id]
    gate = _cli(tmp_path, "check", "--max-failure-rate", "0.05")
    assert gate.returncode == 1, gate.stdout
    assert "1 failed of 2 ended, 1 crashed (counted as failed)" in gate.stdout
    allowed = _cli(tmp_path, "check", "--max-failure-rate", "0.05", "--allow-crashed")
    assert allowed.returncode == 0, allowed.stdout
    assert "0 failed of 1 ended, 1 crashed (not rated: --allow-crashed)" in allowed.stdout


def test_a_writer_on_another_host_is_crashed_only_after_the_grace_period(monkeypatch):
    attributes = {"process.pid": 12345, "host.name": "elsewhere.example"}
    now = 10_000 * 10**9
    assert _liveness.crash_reason(attributes, now - 10 * 10**9, now_ns=now, grace_s=3600) is None
    reason = _liveness.crash_reason(attributes, now - 7200 * 10**9, now_ns=now, grace_s=3600)
    assert reason.startswith("process exited without ending the session (nothing heard from it since")
    assert "over the 1h grace period" in reason
    monkeypatch.setenv("AGENTOPS_OTEL_CRASH_GRACE", "2h")
    assert _liveness.crash_reason(attributes, now - 7200 * 10**9 + 1, now_ns=now) is None
    monkeypatch.setenv("AGENTOPS_OTEL_CRASH_GRACE", "soon")
    from agentops_otel._config import crash_grace_s

    assert crash_grace_s() == 3600.0  # a bad value falls back, with one log line


def test_a_live_writer_is_not_crashed():
    assert _liveness.crash_reason(_liveness.writer_identity(), 0, now_ns=10**20) is None


def test_a_sigkilled_session_sent_over_otlp_reads_crashed_from_the_backends_data(tmp_path: Path):
    """Over OTLP the root goes out when the session ends, so a killed process leaves its steps without
    it. They read as a session that never ended, Crashed once its sender (named on the resource) is
    gone, and the gate fails; they read as a finished session of their own before."""
    from google.protobuf.json_format import MessageToDict

    receiver = OtlpReceiver()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(AGENT)],
            env=otlp_http_env(tmp_path, receiver),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        process.kill()
        process.communicate(timeout=60)
        exported = [MessageToDict(a.request) for a in receiver.attempts() if a.request is not None]
    finally:
        receiver.close()
    file = tmp_path / "collector.jsonl"  # as the Collector's file exporter writes it
    file.write_text("".join(json.dumps(request) + "\n" for request in exported))
    source = f"file:{file}"
    listed = {s["name"]: s for s in json.loads(_cli(tmp_path, "sessions", "--source", source, "--json").stdout)}
    assert listed["ok"]["end_state"] == "Success"
    (crashed,) = [s for name, s in listed.items() if name != "ok"]
    assert crashed["end_state"] == "Crashed" and crashed["steps"] == 3
    assert crashed["end_state_reason"].startswith(f"process exited without ending the session (process {process.pid} ")
    replay = _cli(tmp_path, "replay", crashed["session_id"], "--source", source)
    assert "Session never ended: Crashed" in replay.stdout
    gate = _cli(tmp_path, "check", "--source", source, "--max-failure-rate", "0.05")
    assert gate.returncode == 1, gate.stdout
    assert "1 crashed (counted as failed)" in gate.stdout
