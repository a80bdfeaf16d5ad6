"""`@pytest.mark.agentops_repeat`: a test judged by its pass rate over repeated runs (pytester, subprocess).

The agent under test is `tests._flaky_agent`: the real `openai` client against a loopback model whose
choice (escalate, or look the order up) comes from a source seeded with the test's name, so which runs
fail is computed here before pytest runs them, with or without xdist.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentops_otel import semconv as sc
from agentops_otel.sources import open_source
from tests._flaky_agent import REPEATED_SUITE, REPO, pct, plans, rate_text, wilson

pytest_plugins = ["pytester"]


@pytest.fixture
def suite_env(pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "store" / "traces.db"
    monkeypatch.setenv("AGENTOPS_OTEL_STORE_PATH", str(store))
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the suite imports tests._flaky_agent
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider --strict-markers\n")
    return store


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_flaky_tests_are_judged_by_the_lower_bound_and_listed_with_their_trajectories(
    pytester: pytest.Pytester, suite_env: Path, workers: list[str]
) -> None:
    cases = plans()
    lenient, strict = cases["test_double_lenient"], cases["test_double_strict"]
    # The seeds give what this test is about: two flaky tests, one above its threshold, one under.
    assert 0 < lenient["passes"] < 20 and lenient["ok"] and 0 < strict["passes"] < 20 and not strict["ok"]
    assert cases["test_parcel"]["ok"] and cases["test_cancel"]["passes"] == 0

    pytester.makepyfile(test_support=REPEATED_SUITE)
    result = pytester.runpytest_subprocess(*workers)
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()

    # The failure message: passes/runs, the interval, the verdict, the trajectories, each failing run's link.
    section = out.split("_ test_double_strict _")[1].split("\n___")[0].split("=====")[0]
    low = wilson(strict["passes"], 20)[0]
    head = rate_text(strict["passes"], 20).replace(" passed", " runs passed", 1)
    assert f"agentops_repeat: {head} · FAILED: the lower bound {pct(low)} is under min_pass_rate 60%" in section
    failing = [i + 1 for i, fails in enumerate(strict["fails"]) if fails]
    for index in failing:
        assert f"run {index}: AssertionError: tool 'lookup_order' was never called · replay: file://" in section
    run_lines = [line for line in section.splitlines() if line.strip().startswith("run ")]
    links = [line.split("replay: ")[1].strip() for line in run_lines]
    assert len(links) == len(failing) and all(Path(link.removeprefix("file://")).is_file() for link in links)
    assert "#2  " in section and "tool escalate(priority: number, reason: str)" in section
    assert "the failures: always via #2" in section

    summary = out.split("agentops sessions ==")[1].split("short test summary info")[0]
    for name, plan in cases.items():
        assert f"test_support.py::{name}: {rate_text(plan['passes'], plan['runs'])}" in summary, name
    flaky = summary.split("flaky tests (passed some runs, failed others):")[1].split("failed tests:")[0]
    assert "test_double_lenient" in flaky and "test_double_strict" in flaky
    assert "test_parcel" not in flaky and "test_cancel" not in flaky
    ok_runs = 20 - sum(lenient["fails"])
    assert f"#1  {ok_runs} runs, {ok_runs} passed: llm gpt-4o → tool lookup_order(order_id: str) → llm gpt-4o" in flaky
    bad_runs = sum(lenient["fails"])
    assert f"#2  {bad_runs} runs, 0 passed: llm gpt-4o → tool escalate(priority: number, reason: str) → llm gpt-4o" in (
        flaky
    )
    assert "departs from #1: step 2 is tool escalate(priority: number, reason: str)" in flaky
    assert "ok: the lower bound" in flaky and "FAILED: the lower bound" in flaky
    failed = summary.split("failed tests:")[1]
    assert "test_support.py::test_cancel" in failed and "test_support.py::test_double_strict" in failed
    assert "test_double_lenient" not in failed

    # Each run is its own session, told apart by tag and attributes, ended by that run's outcome.
    source = open_source(f"store:{suite_env}")
    summaries = source.sessions(limit=None)
    assert len(summaries) == sum(p["runs"] for p in cases.values())
    strict_runs = sorted(
        (source.session(s.trace_id) for s in summaries if s.name == "test_support.py::test_double_strict"),
        key=lambda s: s.root.attributes[sc.AGENTOPS_RUN_INDEX],
    )
    assert [s.root.attributes[sc.AGENTOPS_RUN_INDEX] for s in strict_runs] == list(range(1, 21))
    assert {s.root.attributes[sc.AGENTOPS_RUN_COUNT] for s in strict_runs} == {20}
    assert [s.tags for s in strict_runs] == [["test_support.py::test_double_strict", f"run:{i}"] for i in range(1, 21)]
    assert [s.end_state for s in strict_runs] == ["Fail" if f else "Success" for f in strict["fails"]]
    assert {s.root.attributes[sc.AGENTOPS_TEST_NODE_ID] for s in strict_runs} == {"test_support.py::test_double_strict"}


OPTIONS_SUITE = """
import pytest
from agentops_otel.testing import assert_tool_called
from tests._flaky_agent import scripted_client, support_agent

@pytest.fixture
def ask(request):
    with scripted_client(request.node.name) as client:
        yield lambda text: support_agent(client, text)

@pytest.mark.agentops_repeat(n=5)
def test_parcel(ask, agentops_session, agentops_sessions):
    ask("Where is my parcel?")
    assert_tool_called(agentops_session, "lookup_order", times=1)   # the current run's session only
    assert len(agentops_sessions) == 0

def test_not_repeated():
    pass

@pytest.mark.agentops_repeat(n=10, min_pass_rate=0.9)
def test_unreachable():
    pass

@pytest.mark.agentops_repeat(n=3, retries=2)
def test_unknown_argument():
    pass

@pytest.mark.agentops_repeat(n=3, min_pass_rate=1.5)
def test_bad_rate():
    pass

@pytest.mark.agentops_repeat(n=3)
def test_skips_in_a_run():
    pytest.skip("not today")

@pytest.mark.agentops_repeat(n=2)
async def test_async_without_a_plugin():
    pass
"""


def test_the_option_and_its_ini_twin_set_n_and_bad_arguments_say_what_to_do(
    pytester: pytest.Pytester, suite_env: Path
) -> None:
    pytester.makepyfile(test_options=OPTIONS_SUITE)
    result = pytester.runpytest_subprocess("--agentops-repeat", "3", "-rA")
    result.assert_outcomes(passed=2, failed=2, skipped=1, errors=2)
    out = result.stdout.str()
    assert "agentops_repeat cannot await an async test itself: install an async plugin" in out
    assert (
        "agentops_repeat: min_pass_rate=0.9 cannot be reached in 3 runs at 95% confidence: even 3/3 passing gives "
        f"a lower bound of {pct(wilson(3, 3)[0])}; use n >= 35 (or --agentops-repeat 35)"
    ) in out
    assert "agentops_repeat got unknown argument(s) retries: it takes n, min_pass_rate and confidence" in out
    assert "agentops_repeat(min_pass_rate=...) must be a number between 0 and 1, e.g. 0.9 (got 1.5)" in out
    assert "test_options.py::test_parcel: 3/3 passed" in out  # the option's 3, not the marker's 5
    runs = [s for s in open_source(f"store:{suite_env}").sessions(limit=None)]
    names = [s.name for s in runs]
    assert names.count("test_options.py::test_parcel") == 3 and "test_options.py::test_not_repeated" not in names
    skipped = [s for s in runs if s.name == "test_options.py::test_skips_in_a_run"]
    assert [s.end_state for s in skipped] == ["Indeterminate"]  # the first run skipped the whole test
    assert (skipped[0].end_state_reason or "").startswith("run 1 stopped the test: Skipped: not today")

    pytester.makeini(
        "[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider --strict-markers\nagentops_repeat = 2\n"
    )
    again = pytester.runpytest_subprocess("-k", "parcel")
    again.assert_outcomes(passed=1)
    assert "test_options.py::test_parcel: 2/2 passed" in again.stdout.str()

    bad = pytester.runpytest_subprocess("--agentops-repeat", "0")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "--agentops-repeat must be a whole number of runs, at least 1 (got 0)" in bad.stderr.str()
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nagentops_repeat = many\n")
    bad_ini = pytester.runpytest_subprocess()
    assert bad_ini.ret == pytest.ExitCode.USAGE_ERROR
    assert "the ini option agentops_repeat must be a whole number of runs, at least 1 (got 'many')" in (
        bad_ini.stderr.str()
    )


RECORD_SUITE = """
from tests._flaky_agent import scripted_client, support_agent

def test_record():
    with scripted_client("record") as client:
        support_agent(client, "Where is my parcel?")
"""

REPLAY_SUITE = """
import openai
import pytest
from agentops_otel.testing import assert_tool_called
from tests._flaky_agent import support_agent

def offline_client():   # nothing listens there: every answer comes from the recording
    return openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test-0123456789abcdef", max_retries=0)

@pytest.mark.agentops_repeat(n=6)
@pytest.mark.agentops_playback("recordings/parcel.json")
def test_replayed(agentops_playback, agentops_session):
    with offline_client() as client:
        support_agent(client, "Where is my parcel?")
    assert agentops_playback.answered == 2          # each run plays the recording from its start
    assert_tool_called(agentops_session, "lookup_order", times=1)

@pytest.mark.agentops_repeat(n=3)
@pytest.mark.agentops_playback("recordings/parcel.json")
def test_replayed_other_question(agentops_playback):
    with offline_client() as client:
        support_agent(client, "Cancel my account")
"""


def test_a_repeated_playback_is_deterministic_and_the_report_says_so(
    pytester: pytest.Pytester, suite_env: Path
) -> None:
    from click.testing import CliRunner

    from agentops_otel.cli import main

    pytester.makepyfile(test_record=RECORD_SUITE)
    pytester.runpytest_subprocess("--agentops").assert_outcomes(passed=1)
    recorded = open_source(f"store:{suite_env}").sessions(limit=None)
    assert [s.name for s in recorded] == ["test_record.py::test_record"]
    (pytester.path / "recordings").mkdir()
    target = pytester.path / "recordings" / "parcel.json"
    exported = CliRunner().invoke(
        main, ["export", recorded[0].session_id, "-o", str(target), "--source", str(suite_env)]
    )
    assert exported.exit_code == 0, exported.output

    (pytester.path / "test_record.py").unlink()
    pytester.makepyfile(test_replay=REPLAY_SUITE)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert (
        "test_replay.py::test_replayed: 6/6 passed (100%, 95% interval 61% to 100%) · 1 trajectory · ok: every run "
        "passed · played back, deterministic: all 6 runs took the same trajectory"
    ) in out
    diverged = out.split("_ test_replayed_other_question _")[1]
    assert "agentops_repeat: 0/3 runs passed" in diverged
    assert "run 1: PlaybackDivergence: playback of session" in diverged
    assert f"LLM answers were played back from recording {recorded[0].session_id}" in diverged
