"""A suite written the way the AgentOps guide writes one runs unchanged on agentops_otel, with the real
openai client against the loopback LLM server: a session per test from a fixture, sessions in a loop,
cost assertions; with the plugin off and on."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentops_otel.sources import open_source

pytest_plugins = ["pytester"]

GUIDE_CONFTEST = """
import os
import pytest
import agentops_otel as agentops
from agentops_otel.testing.llm_server import LLMServer, Reply

agentops.init(api_key=os.environ.get("AGENTOPS_API_KEY", "test-key"), default_tags=["test-suite"])

@pytest.fixture(scope="session")
def llm():
    with LLMServer() as server:
        yield server

@pytest.fixture
def agentops_session(request):
    session = agentops.start_session(tags=["test", request.node.name])
    yield session
    if request.node.rep_call.failed:
        agentops.end_session("Fail", end_state_reason="test failed")
    else:
        agentops.end_session("Success")
"""

GUIDE_TESTS = """
import openai
import agentops_otel as agentops
from agentops_otel.testing.llm_server import Reply

@agentops.record_action("route_ticket")
def route_ticket(intent):
    return {"queue": intent}

def classify(client, text):
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    intent = reply.choices[0].message.content
    route_ticket(intent)
    return intent

def test_billing_intent(agentops_session, llm):
    client = openai.OpenAI(base_url=llm.openai_base_url, api_key="sk-test", max_retries=0)
    llm.queue(Reply(text="billing", input_tokens=50, output_tokens=5))
    assert classify(client, "I was charged twice") == "billing"
    session = agentops.get_session()
    assert session.llm_calls == 1
    assert session.cost is not None and session.cost < 0.01
    assert [e.action_type for e in session.action_events] == ["route_ticket"]

def test_billing_intent_robustness(llm):
    client = openai.OpenAI(base_url=llm.openai_base_url, api_key="sk-test", max_retries=0)
    variations = ["I was charged twice", "double charge on my card", "why two payments??"]
    failures = []
    for text in variations:
        llm.queue(Reply(text="billing" if "charge" in text else "other"))
        session = agentops.start_session(tags=["robustness"])
        try:
            intent = classify(client, text)
            if intent != "billing":
                failures.append((text, intent, session.session_id))
                agentops.end_session("Fail", end_state_reason=f"intent {intent}")
            else:
                agentops.end_session("Success")
        except Exception as exc:
            agentops.end_session("Fail", end_state_reason=str(exc))
            raise
    assert [f[:2] for f in failures] == [("why two payments??", "other")]

def test_cost_budget(agentops_session, llm):
    client = openai.OpenAI(base_url=llm.openai_base_url, api_key="sk-test", max_retries=0)
    for _ in range(3):
        classify(client, "hello there")
    session = agentops.get_session()
    assert session.llm_calls == 3
    assert session.usage.total_tokens > 0
    assert session.cost < 0.05
"""


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store" / "traces.db"
    monkeypatch.setenv("AGENTOPS_OTEL_STORE_PATH", str(path))
    monkeypatch.delenv("AGENTOPS_OTEL_INSTRUMENT_LLM", raising=False)
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "agentops_anthropic")  # seconds to import
    return path


@pytest.mark.parametrize("plugin", ["off", "on"])
def test_the_guide_suite_runs_unchanged(pytester: pytest.Pytester, store_path: Path, plugin: str) -> None:
    pytest.importorskip("openai")
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n")
    pytester.makeconftest(GUIDE_CONFTEST)
    pytester.makepyfile(test_guide=GUIDE_TESTS)
    args = ["--agentops"] if plugin == "on" else []
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3)

    sessions = open_source(f"store:{store_path}").sessions()
    robustness = [s for s in sessions if "robustness" in s.tags]
    assert sorted(s.end_state for s in robustness) == ["Fail", "Success", "Success"]
    assert all(s.llm_calls == 1 and s.cost is not None and s.cost > 0 for s in robustness)
    fixture_sessions = [s for s in sessions if "test" in s.tags]
    assert sorted(s.llm_calls for s in fixture_sessions) == [1, 3]
    assert all("test-suite" in s.tags for s in fixture_sessions + robustness)
    test_sessions = [s for s in sessions if s.name.startswith("test_guide.py::")]
    if plugin == "on":
        assert len(sessions) == 3 + 5  # one per test, plus the guide's own five
        assert {s.end_state for s in test_sessions} == {"Success"}
        assert "8 sessions in 3 tests, 1 failed · 7 LLM calls" in result.stdout.str()
    else:
        assert len(sessions) == 5 and not test_sessions
