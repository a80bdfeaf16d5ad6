"""`agentops-otel demo` as a new user runs it: in a fresh directory, then `sessions` and `replay`.

Everything runs in subprocesses with the real entry point, the real openai client and the loopback
LLM server; the recorded failing session's timeline is compared to a gold file with the volatile
fields (ids, times, durations, costs) scrubbed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GOLD = Path(__file__).parent / "gold" / "timeline_demo_failure.txt"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _scrub(text: str) -> str:
    text = UUID.sub("<session-id>", text)
    text = re.sub(r"\b\d\d:\d\d\.\d{3}\b", "MM:SS.mmm", text)
    text = re.sub(r"\b\d+(\.\d+)?(us|ms|s)\b", "<dur>", text)
    return re.sub(r"\$\d+(\.\d+)?", "$<cost>", text)


def _cli() -> list[str]:
    installed = shutil.which("agentops-otel", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-c", "from agentops_otel.cli import main; main()"]


@pytest.fixture(scope="module")
def fresh_dir(tmp_path_factory):
    """A new user's directory after `agentops-otel demo`, and how to run the CLI there."""
    home = tmp_path_factory.mktemp("new-user")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_OTEL_", "OTEL_"))}
    env |= {"COLUMNS": "100", "NO_COLOR": "1"}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*_cli(), *args], cwd=home, env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    demo = run("demo")
    return home, run, demo


def test_demo_records_into_the_store_in_the_working_directory(fresh_dir):
    home, _, demo = fresh_dir
    assert (home / ".agentops" / "traces.db").is_file()
    assert "Recorded 3 sessions in .agentops/traces.db (1 failed)" in demo.stdout
    assert demo.stderr == ""  # no warning or traceback for a new user


def test_demo_prints_each_replay_and_the_next_commands(fresh_dir):
    _, _, demo = fresh_dir
    out = demo.stdout
    assert out.count("Session ended: Success") == 2 and out.count("Session ended: Fail") == 1
    assert "Action: fetch_customer_data  Input: customer_id=None" in out
    assert "Error: ValueError: customer_id cannot be None   <- caused the failure" in out
    assert "agentops-otel sessions" in out and "--html replay.html --open" in out


def test_sessions_then_lists_the_three_demo_sessions(fresh_dir):
    _, run, _ = fresh_dir
    rows = run("sessions").stdout.splitlines()[1:]
    assert len(rows) == 3
    assert sorted(r.split()[4] for r in rows) == ["Fail", "Success", "Success"]
    assert all("support" in r and "demo" in r for r in rows)
    listed = json.loads(run("sessions", "--json", "--status", "Fail").stdout)
    assert [s["name"] for s in listed] == ["support T-1003"]
    assert listed[0]["llm_calls"] == 3 and listed[0]["service"] == "support-agent-demo"


def test_replay_of_a_prefix_shows_the_failing_timeline(fresh_dir):
    _, run, _ = fresh_dir
    failed = json.loads(run("sessions", "--json", "--status", "Fail").stdout)[0]["session_id"]
    text = run("replay", failed[:8], "--width", "260").stdout  # wide: no truncation, so no layout jitter
    if os.environ.get("AGENTOPS_OTEL_UPDATE_GOLD"):
        GOLD.write_text(_scrub(text), encoding="utf-8")
    assert _scrub(text) == GOLD.read_text(encoding="utf-8")
    session = json.loads(run("replay", failed[:8], "--json").stdout)
    failing = next(s for s in session["steps"] if s["span_id"] == session["failing_step"])
    assert failing["name"] == "fetch_customer_data" and failing["params"] == {"customer_id": None}


def test_replay_of_an_unknown_id_in_the_demo_store_is_a_one_line_error(fresh_dir):
    _, run, _ = fresh_dir
    done = run("replay", "not-a-session", check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: no session or trace id starts with 'not-a-session'")
    assert len(done.stderr.splitlines()) == 1
