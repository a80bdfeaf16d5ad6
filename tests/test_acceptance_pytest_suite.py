"""Acceptance: a test suite written the way the AgentOps guide writes one, run with `pytest --agentops`.

A session per test from the user's own autouse fixture (the README recipe), sessions in a loop, cost
assertions, behavioural assertions, a deliberately failing test, then `agentops-otel check` over the
store the run wrote (issue 8's "done when").
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]
pytest.importorskip("openai")

CONFTEST = """
import pytest
import agentops_otel as agentops
from agentops_otel.testing.llm_server import LLMServer

@pytest.fixture(scope="session")
def llm():
    with LLMServer() as server:
        yield server

@pytest.fixture(autouse=True)
def session_per_test(request):
    agentops.init(api_key="not-needed")
    agentops.start_session(tags=[request.node.name])
    yield
    agentops.end_session("Fail" if request.node.rep_call.failed else "Success")
"""

TESTS = """
import openai
import agentops_otel as agentops
from agentops_otel.testing import (
    assert_called_before, assert_cost_under, assert_max_llm_calls, assert_no_errors, assert_steps,
    assert_tool_called, assert_tool_not_called,
)

@agentops.record_tool("classify")
def classify(text):
    return "billing" if "charge" in text else "other"

@agentops.record_tool("refund")
def refund(order_id, amount):
    return {"refunded": amount}

def support_agent(llm, text):
    client = openai.OpenAI(base_url=llm.openai_base_url, api_key="sk-test", max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    if classify(text) == "billing":
        refund("A-1", 10)

def test_refund_flow(llm):
    support_agent(llm, "I was charged twice")
    session = agentops.get_session()
    assert_tool_called(session, "refund", times=1)
    assert_called_before(session, "classify", "refund")
    assert_steps(session, ["llm", "tool:classify", "tool:refund"])
    assert_max_llm_calls(session, 1)
    assert_cost_under(session, 0.01)
    assert session.cost < 0.01
    assert_no_errors(session)

def test_sessions_in_a_loop(llm):
    for text in ["charge me", "where is it", "double charge"]:
        agentops.start_session(tags=["variant"])
        support_agent(llm, text)
        agentops.end_session("Success")
        assert agentops.get_session().tags == ["variant"]

def test_no_refund_for_shipping(llm):
    support_agent(llm, "where is my parcel")
    assert_tool_not_called(agentops.get_session(), "refund")

def test_wrongly_expects_a_refund(llm):
    support_agent(llm, "where is my parcel")
    assert_tool_called(agentops.get_session(), "refund")

def test_plugin_fixtures(llm, agentops_session, agentops_sessions):
    support_agent(llm, "charge")
    assert "test_agent.py::test_plugin_fixtures" in agentops_session.get().tags
    assert [s.tags for s in agentops_sessions][-1] == ["test_plugin_fixtures"]
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    for name in list(__import__("os").environ):
        if name.startswith(("AGENTOPS_OTEL_", "OTEL_")):
            monkeypatch.delenv(name)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_agent=TESTS)
    return pytester.runpytest_subprocess("--agentops", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")


def test_guide_style_suite_runs_unchanged_and_is_gated(suite: pytest.RunResult, pytester: pytest.Pytester):
    suite.assert_outcomes(passed=4, failed=1)
    output = suite.stdout.str()
    assert "tool 'refund' was never called" in output
    # the failure shows the actual step sequence and a replay link
    assert "tool classify(text='where is my parcel')" in output
    assert "replay: file://" in output

    # the run summary counts sessions, tokens and cost, and names the failed test
    summary = [line for line in output.splitlines() if " sessions in 5 tests" in line]
    assert summary, output
    assert "cost $" in summary[0] and "LLM calls" in summary[0]
    assert "test_agent.py::test_wrongly_expects_a_refund" in output.split("failed tests:")[-1]

    # `agentops-otel check` over the store the run wrote
    check = subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", "check", "--max-failure-rate", "0.05", "--json"],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(check.stdout)
    assert check.returncode == 1  # one test failed: its plugin session and its own session are Fail
    rate = next(c for c in report["checks"] if c["metric"] == "failure rate")
    assert rate["ok"] is False and rate["measured"] > 0.05
    listed = subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", "sessions", "--status", "Fail", "--json"],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    failed_tags = [tag for s in json.loads(listed.stdout) for tag in s["tags"]]
    assert "test_wrongly_expects_a_refund" in failed_tags
    assert not any("test_refund_flow" in tag for tag in failed_tags)
