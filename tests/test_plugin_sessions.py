"""The pytest plugin, run for real in a pytest subprocess: on, off, by ini, and under pytest-xdist."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentops_otel.sources import open_source

pytest_plugins = ["pytester"]

AGENT_SUITE = """
import pytest
import agentops_otel as agentops
from agentops_otel import semconv as sc
from agentops_otel.testing import assert_tool_called

@agentops.tool("search")
def search(query):
    return [query]

def run_agent(text):
    agentops.record(agentops.LLMEvent(model="gpt-4o", prompt=text, completion="billing",
                                      prompt_tokens=100, completion_tokens=10))
    return search(text)

def test_passes(agentops_session, agentops_sessions):
    run_agent("hello")
    with agentops.session("child-a"):
        run_agent("inner")
    agentops.start_session(name="child-b").end("Fail", "wrong intent")
    assert [s.name for s in agentops_sessions] == ["child-a", "child-b"]
    own = agentops_session.get().root.attributes
    assert own[sc.AGENTOPS_TEST_NODE_ID] == "test_agent.py::test_passes"
    assert agentops_sessions[1].parent_session_id == agentops_session.session_id
    assert_tool_called(agentops_session, "search", times=1)

def test_fails(agentops_session):
    run_agent("refund")
    with agentops.session("child-of-failure"):
        run_agent("x")
    assert_tool_called(agentops_session, "search", times=2)

def test_skipped():
    pytest.skip("not today")

@pytest.mark.xfail(reason="known bad")
def test_expected_failure():
    assert False

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

def test_teardown_error(broken_teardown):
    pass
"""

REP_RECIPE = """
import json, os, pytest

@pytest.fixture(autouse=True)
def note_outcome(request):
    yield
    node = request.node
    if hasattr(node, "rep_call"):  # not when setup failed
        with open(os.environ["OUTCOMES_FILE"], "a") as f:
            f.write(json.dumps([node.name, node.rep_setup.passed, node.rep_call.failed]) + "\\n")
"""


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store" / "traces.db"
    monkeypatch.setenv("AGENTOPS_OTEL_STORE_PATH", str(path))
    monkeypatch.setenv("AGENTOPS_OTEL_INSTRUMENT_LLM", "false")
    return path


def _ini(pytester: pytest.Pytester, extra: str = "") -> None:
    pytester.makeini(f"[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n{extra}")


def _by_name(store_path: Path) -> dict[str, object]:
    return {s.name: s for s in open_source(f"store:{store_path}").sessions()}


def test_on_each_test_is_a_session_ended_by_its_outcome(
    pytester: pytest.Pytester, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ini(pytester)
    pytester.makepyfile(test_agent=AGENT_SUITE)
    result = pytester.runpytest_subprocess("--agentops", "-rA", "--junitxml=report.xml")
    result.assert_outcomes(passed=2, failed=1, skipped=1, xfailed=1, errors=1)

    sessions = _by_name(store_path)
    states = {name: s.end_state for name, s in sessions.items()}  # type: ignore[attr-defined]
    assert states == {
        "test_agent.py::test_passes": "Success",
        "test_agent.py::test_fails": "Fail",
        "test_agent.py::test_skipped": "Indeterminate",
        "test_agent.py::test_expected_failure": "Fail",
        "test_agent.py::test_teardown_error": "Fail",
        "child-a": "Success",
        "child-b": "Fail",
        "child-of-failure": "Success",
    }
    failed = sessions["test_agent.py::test_fails"]
    assert failed.tags == ("test_agent.py::test_fails",)  # type: ignore[attr-defined]
    assert "assert_tool_called" not in (failed.end_state_reason or "")  # type: ignore[attr-defined]
    assert (failed.end_state_reason or "").startswith("test call failed: AssertionError: tool 'search'")  # type: ignore[attr-defined]
    xml = (pytester.path / "report.xml").read_text()
    assert f'<property name="agentops_session_id" value="{failed.session_id}" />' in xml  # type: ignore[attr-defined]
    assert '<property name="agentops_replay" value="file://' in xml
    teardown = sessions["test_agent.py::test_teardown_error"]
    assert teardown.end_state_reason == "test teardown failed: RuntimeError: teardown broke"  # type: ignore[attr-defined]

    out = result.stdout.str()
    # The failure report carries the replay links of the test's session and of those it started.
    failure_section = out.split("_ test_fails _")[1].split("=====")[0]
    assert f"session {failed.session_id} 'test_agent.py::test_fails' (open) · replay: " in failure_section  # type: ignore[attr-defined]
    assert "started in the test: session " in failure_section and "'child-of-failure' (Success)" in failure_section
    # The summary: 8 sessions, 4 failed, 4 LLM calls of 110 tokens each, and each failed test's links.
    summary = out.split("agentops sessions ==")[1].split("short test summary info")[0]
    assert "8 sessions in 5 tests, 4 failed · 4 LLM calls · 440 tokens (400 in, 40 out) · cost $0.00" in summary
    assert "failed tests:\n  test_agent.py::test_fails\n    session " in summary
    assert "test_agent.py::test_teardown_error" in summary
    assert "test_passes" not in summary and "test_expected_failure" not in summary  # an xfail is no failure


def test_off_nothing_is_recorded_but_phase_reports_are_set(
    pytester: pytest.Pytester, store_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcomes = tmp_path / "outcomes.jsonl"
    monkeypatch.setenv("OUTCOMES_FILE", str(outcomes))
    _ini(pytester)
    pytester.makeconftest(REP_RECIPE)
    pytester.makepyfile(
        test_plain="""
        def test_ok():
            pass

        def test_bad():
            assert 1 == 2

        def test_needs_recording(agentops_session):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1, errors=1)
    assert "agentops sessions" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*the agentops_session fixture needs recording on: run pytest with --agentops*"])
    assert not store_path.exists()
    lines = outcomes.read_text().splitlines()
    assert sorted(lines) == sorted(['["test_ok", true, false]', '["test_bad", true, true]'])


def test_ini_twins_turn_recording_on(pytester: pytest.Pytester, store_path: Path) -> None:
    _ini(pytester, "agentops = true\n")
    pytester.makepyfile(
        test_ini="""
        def test_recorded(agentops_session):
            assert agentops_session.get().name == "test_ini.py::test_recorded"
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert "1 sessions in 1 tests, 0 failed" in result.stdout.str()
    assert list(_by_name(store_path)) == ["test_ini.py::test_recorded"]


def test_under_xdist_workers_record_and_the_controller_summarises(pytester: pytest.Pytester, store_path: Path) -> None:
    _ini(pytester)
    pytester.makepyfile(test_agent=AGENT_SUITE)
    result = pytester.runpytest_subprocess("--agentops", "-n", "2")
    result.assert_outcomes(passed=2, failed=1, skipped=1, xfailed=1, errors=1)
    out = result.stdout.str()
    assert "8 sessions in 5 tests, 4 failed · 4 LLM calls · 440 tokens (400 in, 40 out)" in out
    assert "failed tests:\n" in out and "  test_agent.py::test_fails\n    session " in out
    assert len(_by_name(store_path)) == 8  # both workers wrote to the one store


def test_the_plugin_module_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, agentops_otel.testing.pytest_plugin;"
        "print(sorted(m for m in ('openai', 'anthropic', 'genai_prices', 'click', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_sessions_started_in_threads_are_the_tests_and_junit_gets_the_ids(
    pytester: pytest.Pytester, store_path: Path
) -> None:
    _ini(pytester, "agentops = true\n")
    pytester.makepyfile(
        test_threads="""
        from concurrent.futures import ThreadPoolExecutor
        import agentops_otel as agentops

        def work(i):
            with agentops.session(f"worker-{i}"):
                agentops.record(agentops.ToolEvent(name="step", params={"i": i}))

        def test_threads(agentops_session, agentops_sessions):
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(work, range(12)))
            assert sorted(s.name for s in agentops_sessions) == sorted(f"worker-{i}" for i in range(12))
            assert all(s.end_state == "Success" and len(s.tool_events) == 1 for s in agentops_sessions)

        def test_after(agentops_sessions):
            assert len(agentops_sessions) == 0  # nothing carried over from the previous test
        """
    )
    result = pytester.runpytest_subprocess("--junitxml=report.xml")
    result.assert_outcomes(passed=2)
    xml = (pytester.path / "report.xml").read_text()
    own = _by_name(store_path)["test_threads.py::test_threads"]
    assert f'<property name="agentops_session_id" value="{own.session_id}" />' in xml  # type: ignore[attr-defined]
    assert '<property name="agentops_replay"' not in xml  # links are written for failed tests only
    assert "14 sessions in 2 tests, 0 failed" in result.stdout.str()
    off = pytester.runpytest_subprocess("--no-agentops", "-k", "test_after")
    off.assert_outcomes(errors=1)  # the ini turned recording on; --no-agentops turns it off again
