"""The issue's done-when: the failing session of `agentops-otel demo`, exported to a file, replays with the
LLM server stopped and reproduces the same trajectory and the same failure; a changed agent diverges.

The demo and the export run as the user runs them (the installed command, in a subprocess, into a
store in a temporary directory); playback runs the demo's own agent code in this process, recorded
by our OpenAI instrumentation, and the replayed session is compared with `diff_sessions`.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import agentops_otel
from agentops_otel import PlaybackDivergence, playback
from agentops_otel.demo._agent import TICKETS, handle_ticket
from agentops_otel.replay._diff import diff_sessions
from agentops_otel.sources import open_source
from agentops_otel.testing.llm_server import FAKE_OPENAI_KEY
from tests.test_playback_agent import instrumented_clients

CLI = str(Path(sys.executable).parent / "agentops-otel")
FAILING_TICKET = TICKETS[2]


@pytest.fixture(scope="module")
def demo_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, agentops_otel.Session]:
    """Run the demo, export its failing session; return the file and the session as the store held it."""
    home = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "AGENTOPS_OTEL_STORE_PATH": str(home / "traces.db"), "NO_COLOR": "1"}
    subprocess.run([CLI, "demo"], cwd=home, env=env, check=True, capture_output=True, timeout=120)
    store = open_source(f"store:{home / 'traces.db'}")
    failing = store.sessions(status="Fail")
    assert len(failing) == 1
    recorded = store.session(failing[0].session_id)
    exported = home / "failing.json"
    export = [CLI, "export", recorded.session_id[:8], "-o", str(exported)]
    subprocess.run(export, cwd=home, env=env, check=True, capture_output=True, timeout=60)
    (home / "traces.db").unlink()  # playback needs nothing but the file
    return exported, recorded


@pytest.fixture
def llm_instrumented() -> Iterator[None]:
    with instrumented_clients():
        yield
    agentops_otel.end_all_sessions()


@pytest.fixture
def offline_client() -> Iterator[Any]:
    with openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key=FAKE_OPENAI_KEY, max_retries=0) as client:
        yield client


def test_the_demo_failure_replays_from_its_file_with_the_same_trajectory_and_failure(
    demo_recording: tuple[Path, agentops_otel.Session], llm_instrumented: None, offline_client: Any
) -> None:
    exported, recorded = demo_recording
    with playback(exported) as player:
        _, outcome = handle_ticket(offline_client, FAILING_TICKET)
    replayed = agentops_otel.get_session()

    assert outcome == "failed: ValueError: customer_id cannot be None"
    assert player.answered == 3 and not player.divergences
    assert replayed is not None and replayed.session_id != recorded.session_id
    diff = diff_sessions(recorded, replayed)
    assert diff.same, diff.render()
    assert [(s.kind, s.name) for s in replayed.steps] == [
        ("llm", "gpt-4o-mini"),
        ("llm", "gpt-4o-mini"),
        ("tool", "lookup_order"),
        ("llm", "gpt-4o-mini"),
        ("action", "fetch_customer_data"),
    ]
    assert (replayed.end_state, replayed.end_state_reason) == (recorded.end_state, recorded.end_state_reason)
    assert replayed.failing_step is not None and replayed.failing_step.name == "fetch_customer_data"
    assert [s.returns for s in replayed.llm_events] == [s.returns for s in recorded.llm_events]


def test_a_changed_ticket_text_diverges_at_the_first_call(
    demo_recording: tuple[Path, agentops_otel.Session], llm_instrumented: None, offline_client: Any
) -> None:
    exported, _ = demo_recording
    changed = dataclasses.replace(FAILING_TICKET, text="I was charged three times for order A-1003!")
    with pytest.raises(PlaybackDivergence) as caught, playback(exported):
        handle_ticket(offline_client, changed)
    assert caught.value.call_number == 1
    assert caught.value.recorded == "user: 'I was charged twice for order A-1003!'"
    assert caught.value.actual == "user: 'I was charged three times for order A-1003!'"


def test_offering_the_model_other_tools_diverges_at_the_first_call_with_tools(
    demo_recording: tuple[Path, agentops_otel.Session],
    llm_instrumented: None,
    offline_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentops_otel.demo import _agent

    exported, _ = demo_recording
    monkeypatch.setattr(_agent, "TOOLS", [t for t in _agent.TOOLS if t["function"]["name"] != "refund"])
    with pytest.raises(PlaybackDivergence, match="the tools offered differs") as caught, playback(exported):
        handle_ticket(offline_client, FAILING_TICKET)
    assert caught.value.call_number == 2  # the classification call offers no tools and still matches
    assert caught.value.recorded == "fetch_customer_data, lookup_order, refund"
    assert caught.value.actual == "fetch_customer_data, lookup_order"
