"""Acceptance: the CLI as a new user meets it, in a fresh directory (README quick start and issue 2/7/8).

One `agentops-otel demo` per module (a subprocess: it owns its process' pipeline), then the read
commands against what it recorded (in-process, through click), and the mistakes users make (unknown
ids, bad sources, corrupt files).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentops_otel.cli import main

CLEAN_ENV = {k: None for k in os.environ if k.startswith(("AGENTOPS_OTEL_", "OTEL_"))}


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """`agentops-otel ARGS` run from `cwd`, in-process (read commands keep no global state)."""
    with contextlib.chdir(cwd):
        return CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **(env or {})})


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    """The demo records through the pipeline, which is one per process: a process of its own."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    return subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", "demo"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fresh-project")
    result = run_demo(directory)
    assert result.returncode == 0, result.stderr
    assert "Recorded 3 sessions" in result.stdout
    return directory


@pytest.fixture(scope="module")
def listed(demo_dir: Path) -> list[dict]:
    result = run_cli(demo_dir, "sessions", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def failed_id(listed: list[dict]) -> str:
    (failed,) = [s for s in listed if s["end_state"] == "Fail"]
    return failed["session_id"]


def test_demo_records_into_the_default_store_in_the_working_directory(demo_dir: Path, listed: list[dict]):
    assert (demo_dir / ".agentops" / "traces.db").is_file()
    assert sorted(s["end_state"] for s in listed) == ["Fail", "Success", "Success"]
    for session in listed:
        assert session["cost"] > 0 and session["cost_complete"] is True
        assert session["llm_calls"] >= 1
        assert "demo" in session["tags"]


def test_sessions_table_and_filters(demo_dir: Path, listed: list[dict]):
    table = run_cli(demo_dir, "sessions")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split()[:4] == ["SESSION", "STARTED", "DURATION", "STATUS"]
    assert all(s["session_id"] in table.stdout for s in listed)

    failed = run_cli(demo_dir, "sessions", "--status", "Fail", "--json")
    assert [s["session_id"] for s in json.loads(failed.stdout)] == [failed_id(listed)]
    shipping = json.loads(run_cli(demo_dir, "sessions", "--tag", "shipping", "--json").stdout)
    assert len(shipping) == 1 and "shipping" in shipping[0]["tags"]

    nothing = run_cli(demo_dir, "sessions", "--tag", "no-such-tag")
    assert nothing.exit_code == 0 and "no sessions match" in nothing.stdout + nothing.stderr


def test_replay_by_unique_prefix_shows_the_failing_step(demo_dir: Path, listed: list[dict]):
    session_id = failed_id(listed)
    result = run_cli(demo_dir, "replay", session_id[:8])
    assert result.exit_code == 0, result.stderr
    assert session_id in result.stdout
    assert "Status: Fail" in result.stdout
    assert "caused the failure" in result.stdout
    assert "customer_id cannot be None" in result.stdout


def test_replay_json_is_the_session_model(demo_dir: Path, listed: list[dict]):
    session_id = failed_id(listed)
    result = run_cli(demo_dir, "replay", session_id[:8], "--json")
    session = json.loads(result.stdout)
    assert session["session_id"] == session_id
    assert session["end_state"] == "Fail"
    failing = [s for s in session["steps"] if s.get("span_id") == session["failing_step"]]
    assert failing, "failing_step names one of the session's steps"
    assert [s["kind"] for s in session["steps"]].count("llm") == session["llm_calls"]


def test_replay_by_trace_id_prefix(demo_dir: Path, listed: list[dict]):
    session = listed[0]
    result = run_cli(demo_dir, "replay", session["trace_id"][:10])
    assert result.exit_code == 0 and session["session_id"] in result.stdout


def test_replay_html_is_self_contained(demo_dir: Path, listed: list[dict], tmp_path: Path):
    out = tmp_path / "replay.html"
    result = run_cli(demo_dir, "replay", failed_id(listed)[:8], "--html", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    assert failed_id(listed) in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_diff_names_the_first_divergence(demo_dir: Path, listed: list[dict]):
    ok = next(s for s in listed if s["end_state"] == "Success" and "billing" in s["tags"])
    result = run_cli(demo_dir, "diff", ok["session_id"][:8], failed_id(listed)[:8])
    assert result.exit_code == 1  # they differ
    assert "First divergence at step" in result.stdout
    same = run_cli(demo_dir, "diff", ok["session_id"][:8], ok["session_id"])
    assert same.exit_code == 0, same.stdout


def test_check_gate_exit_codes(demo_dir: Path):
    breached = run_cli(demo_dir, "check", "--max-failure-rate", "0.05")
    assert breached.exit_code == 1
    assert "BREACHED" in breached.stdout
    passing = run_cli(demo_dir, "check", "--max-failure-rate", "0.5", "--max-cost", "1", "--json")
    assert passing.exit_code == 0, passing.stdout
    report = json.loads(passing.stdout)
    assert report["ok"] is True and report["sessions"] == 3
    rate = next(c for c in report["checks"] if c["metric"] == "failure rate")
    assert rate["measured"] == pytest.approx(1 / 3)
    too_many_calls = run_cli(demo_dir, "check", "--max-llm-calls", "1")
    assert too_many_calls.exit_code == 1


def test_export_writes_a_credential_free_recording(demo_dir: Path, listed: list[dict], tmp_path: Path):
    out = tmp_path / "failing.json"
    result = run_cli(demo_dir, "export", failed_id(listed)[:8], "-o", str(out))
    assert result.exit_code == 0, result.stderr
    recording = json.loads(out.read_text())
    assert recording["session_id"] == failed_id(listed) and recording["end_state"] == "Fail"
    assert "sk-" not in out.read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("replay", "zzzz"), "no session or trace id starts with 'zzzz'"),
        (("diff", "zzzz", "yyyy"), "zzzz"),
        (("export", "zzzz"), "zzzz"),
        (("sessions", "--source", "bogus:thing"), "cannot tell what kind of source"),
        (("sessions", "--source", "jaeger:"), "needs a URL"),
        (("sessions", "--source", "jaeger:http://127.0.0.1:9"), "cannot connect"),
        (("check", "--source", "tempo:http://127.0.0.1:9"), "127.0.0.1:9"),
        (("sessions", "--source", "file:does-not-exist.json"), "does-not-exist.json"),
        (("sessions", "--since", "yesterday"), "--since"),
        (("sessions", "--status", "bogus"), "bogus"),
        (("check", "--max-failure-rate", "2"), "max-failure-rate"),
    ],
)
def test_user_mistakes_give_one_line_and_status_2(demo_dir: Path, args: tuple[str, ...], needle: str):
    result = run_cli(demo_dir, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"this is not sqlite at all", b"SQLite format 3\x00" + b"\x00" * 50])
def test_corrupt_store_file_is_a_clear_error(tmp_path: Path, content: bytes):
    (tmp_path / "broken.db").write_bytes(content)
    result = run_cli(tmp_path, "sessions", "--source", "broken.db")
    assert result.exit_code == 2
    assert "broken.db" in result.stderr and "Traceback" not in result.stderr


def test_truncated_otlp_json_file_names_where_it_broke(tmp_path: Path):
    (tmp_path / "traces.json").write_text('{"resourceSpans": [{"scopeSpans": [')
    result = run_cli(tmp_path, "replay", "abcd", "--source", "traces.json")
    assert result.exit_code == 2
    assert "traces.json" in result.stderr and "line 1" in result.stderr


def test_empty_store_lists_nothing_and_says_so(tmp_path: Path):
    result = run_cli(tmp_path, "sessions")
    assert result.exit_code == 0
    assert "no sessions" in (result.stdout + result.stderr).lower()
    assert not (tmp_path / ".agentops" / "traces.db").exists() or result.stdout.count("\n") <= 1


def test_store_path_env_var_is_honoured(tmp_path: Path, demo_dir: Path):
    store = demo_dir / ".agentops" / "traces.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli(elsewhere, "sessions", "--json", env={"AGENTOPS_OTEL_SOURCE": f"store:{store}"})
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 3
