"""Trajectory snapshots: golden files of kinds, names and chosen arguments; where runs diverge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentops_otel as agentops
from agentops_otel.errors import ConfigurationError
from agentops_otel.testing import assert_matches_snapshot, trajectory
from tests._capture import ensure_pipeline

pytest_plugins = ["pytester"]


@agentops.tool("search")
def search(query: str, request_id: str = "") -> list[str]:
    return [query]


@agentops.tool("issue_refund")
def issue_refund(amount: float) -> str:
    return "ok"


def _run(refund: float | None, query: str = "refund policy", request_id: str = "r1") -> agentops.SessionHandle:
    ensure_pipeline()
    with agentops.session("snap") as handle:
        agentops.record(agentops.LLMEvent(model="gpt-4o", prompt=query, completion="x", prompt_tokens=5))
        search(query, request_id=request_id)
        if refund is not None:
            issue_refund(refund)
        agentops.record(agentops.LLMEvent(model="gpt-4o", prompt="done", completion="y", prompt_tokens=7))
    return handle


def test_update_writes_a_reviewable_file_and_a_rerun_matches(tmp_path: Path) -> None:
    path = tmp_path / "snaps" / "refund.json"
    assert_matches_snapshot(_run(50.0), path, update=True)
    text = path.read_text()
    assert text.splitlines()[3] == '    {"depth": 1, "kind": "llm", "name": "gpt-4o"},'
    assert json.loads(text)["steps"][1] == {
        "arguments": {"query": "refund policy", "request_id": "r1"},
        "depth": 1,
        "kind": "tool",
        "name": "search",
    }
    assert_matches_snapshot(_run(50.0), path)  # new ids, times and tokens: the same trajectory
    mtime = path.stat().st_mtime_ns
    assert_matches_snapshot(_run(50.0), path, update=True)
    assert path.stat().st_mtime_ns == mtime  # an unchanged trajectory is not rewritten


def test_a_different_argument_says_which_step_diverges(tmp_path: Path) -> None:
    path = tmp_path / "refund.json"
    assert_matches_snapshot(_run(50.0), path, update=True)
    with pytest.raises(AssertionError) as excinfo:
        assert_matches_snapshot(_run(500.0), path)
    message = str(excinfo.value)
    assert message.startswith("trajectories diverge: step 3 differs\nsnapshot (4 steps):")
    assert "  >   3. tool issue_refund(amount=50.0)" in message
    assert "  >   3. tool issue_refund(amount=500.0)" in message
    assert "--agentops-update-snapshots" in message


def test_a_missing_or_extra_step_is_named(tmp_path: Path) -> None:
    path = tmp_path / "refund.json"
    assert_matches_snapshot(_run(50.0), path, update=True)
    with pytest.raises(AssertionError, match="step 3 differs"):
        assert_matches_snapshot(_run(None), path)
    short = tmp_path / "short.json"
    assert_matches_snapshot(_run(None), short, update=True)
    with pytest.raises(AssertionError, match="step 3 differs"):
        assert_matches_snapshot(_run(50.0), short)
    handle = _run(None)
    steps = trajectory(handle)
    (tmp_path / "prefix.json").write_text(json.dumps({"version": 1, "steps": steps[:2]}))
    with pytest.raises(AssertionError, match="the session goes on after step 2; the snapshot ends there"):
        assert_matches_snapshot(handle, tmp_path / "prefix.json")


def test_ignored_arguments_and_missing_or_corrupt_files(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    assert_matches_snapshot(_run(1.0, request_id="a"), path, update=True, ignore=["request_id"])
    assert_matches_snapshot(_run(1.0, request_id="b"), path, ignore=["request_id"])
    with pytest.raises(AssertionError, match=r"no trajectory snapshot at .*nothing\.json; create it with update=True"):
        assert_matches_snapshot(_run(1.0), tmp_path / "nothing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="cannot read the trajectory snapshot"):
        assert_matches_snapshot(_run(1.0), tmp_path / "bad.json")
    (tmp_path / "old.json").write_text('{"version": 0, "steps": []}')
    with pytest.raises(ConfigurationError, match="is not a version 1 trajectory snapshot"):
        assert_matches_snapshot(_run(1.0), tmp_path / "old.json")


def test_the_fixture_and_the_update_flag(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOPS_OTEL_STORE_PATH", str(pytester.path / "store" / "traces.db"))
    monkeypatch.setenv("AGENTOPS_OTEL_INSTRUMENT_LLM", "false")  # importing the LLM clients takes seconds
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(
        test_snap="""
        import os
        import agentops_otel as agentops

        @agentops.tool("lookup")
        def lookup(key):
            return key

        def test_agent(agentops_snapshot):
            with agentops.session("s") as handle:
                lookup(os.environ.get("LOOKUP_KEY", "a"))
            agentops_snapshot(handle)
        """
    )
    first = pytester.runpytest_subprocess()
    first.assert_outcomes(failed=1)
    first.stdout.fnmatch_lines(["*no trajectory snapshot at *__agentops_snapshots__*test_snap*test_agent.json*"])
    pytester.runpytest_subprocess("--agentops-update-snapshots").assert_outcomes(passed=1)
    golden = pytester.path / "__agentops_snapshots__" / "test_snap" / "test_agent.json"
    assert '"arguments": {"key": "a"}' in golden.read_text()
    monkeypatch.setenv("LOOKUP_KEY", "b")
    changed = pytester.runpytest_subprocess()
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*trajectories diverge: step 1 differs*", "*>   1. tool lookup(key='a')*"])
    ini = "[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n"
    pytester.makeini(ini + "agentops_update_snapshots = true\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    assert '"arguments": {"key": "b"}' in golden.read_text()  # the ini twin rewrote it
