"""A program's LLM calls land in its session: with `init()` alone, and untouched under `opentelemetry-instrument`.

Each run is a real subprocess driving the real openai/anthropic clients against the loopback server.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import pytest
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from agentops_otel import semconv as sc
from agentops_otel.instrumentation.openai import OpenAIInstrumentor
from agentops_otel.model import build_sessions
from agentops_otel.store import LocalStore
from agentops_otel.testing.llm_server import ErrorReply, LLMServer, Reply, ToolCall
from agentops_otel.zero_code import AgentOpsDistro

pytest_plugins = ["tests._llm_fixtures"]

PROGRAM = textwrap.dedent(
    """
    import asyncio, json, os, sys
    import anthropic, openai

    with_session = "--session" in sys.argv
    if with_session:
        import agentops_otel
        agentops_otel.init()
        agentops_otel.start_session(name="zero-code", tags=["zc"])

    base = os.environ["LLM_SERVER_URL"]
    oai = openai.OpenAI(base_url=base + "/v1", api_key="sk-test-openai-0123456789abcdef", max_retries=0)
    ant = anthropic.Anthropic(base_url=base, api_key="sk-ant-test-0123456789abcdef", max_retries=0)
    user = [{"role": "user", "content": "Weather in Paris?"}]

    oai.chat.completions.create(model="gpt-4o", messages=user)
    list(oai.chat.completions.create(model="gpt-4o", messages=user, stream=True,
                                     stream_options={"include_usage": True}))
    oai.embeddings.create(model="text-embedding-3-small", input="Paris")
    ant.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=user)
    with ant.messages.stream(model="claude-haiku-4-5", max_tokens=50, messages=user) as stream:
        stream.get_final_message()

    async def call_async():
        async with openai.AsyncOpenAI(base_url=base + "/v1", api_key="sk-x", max_retries=0) as client:
            await client.chat.completions.create(model="gpt-4o-mini", messages=user)
    asyncio.run(call_async())
    try:
        oai.chat.completions.create(model="gpt-4o", messages=user)
    except openai.RateLimitError:
        pass

    if with_session:
        print(json.dumps(agentops_otel.end_session("Success").to_dict()))
    """
)

# What the server answers, in the program's call order, and the usage the session must add up to.
SCRIPT = [
    Reply(text="Sunny.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})], input_tokens=100, output_tokens=20),
    Reply(text="Still sunny.", input_tokens=110, output_tokens=30, cached_tokens=50),
    Reply(input_tokens=3),
    Reply(text="Warm.", input_tokens=40, output_tokens=10, cached_tokens=200, cache_creation_tokens=60),
    Reply(text="Very warm.", input_tokens=45, output_tokens=12),
    Reply(text="Async answer.", input_tokens=7, output_tokens=5),
    ErrorReply(429, "slow down"),
]
EXPECTED_STEPS = [
    ("gpt-4o", 100, 20),
    ("gpt-4o", 110, 30),
    ("text-embedding-3-small", 3, 0),
    ("claude-haiku-4-5", 300, 10),  # Anthropic input + cache read + cache write
    ("claude-haiku-4-5", 45, 12),
    ("gpt-4o-mini", 7, 5),
    ("gpt-4o", 0, 0),
]
LAUNCHER = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))


def run_program(tmp_path: Path, *args: str, launcher: bool, **env: str) -> tuple[str, Path]:
    program = tmp_path / "agent.py"
    program.write_text(PROGRAM)
    store = tmp_path / "traces.db"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "AGENTOPS_OTEL_", "ANTHROPIC_", "OPENAI_"))
    }
    environment |= {"AGENTOPS_OTEL_STORE_PATH": str(store), "OTEL_SERVICE_NAME": "zero-code-test", **env}
    with LLMServer() as server:
        server.queue(*SCRIPT)
        environment["LLM_SERVER_URL"] = server.base_url
        command = [sys.executable, str(program), *args]
        if launcher:
            assert LAUNCHER, "opentelemetry-instrument is not installed next to this Python"
            command = [LAUNCHER, *command]
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert server.pending == 0
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout, store


def steps_of(session: dict) -> list[tuple]:
    return [(s["model"], s["usage"]["input_tokens"], s["usage"]["output_tokens"]) for s in session["steps"]]


def check_session(session: dict) -> None:
    assert session["name"] == "zero-code" and session["end_state"] == "Success"
    assert all(step["kind"] == "llm" for step in session["steps"])
    assert steps_of(session) == EXPECTED_STEPS
    assert session["llm_calls"] == 7
    assert session["usage"]["input_tokens"] == sum(i for _, i, _ in EXPECTED_STEPS)
    assert session["usage"]["output_tokens"] == sum(o for _, _, o in EXPECTED_STEPS)
    assert session["usage"]["cache_read_tokens"] == 250 and session["usage"]["cache_write_tokens"] == 60
    first, *_, failed = session["steps"]
    assert first["params"] == [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
    assert first["returns"][0]["parts"][1]["name"] == "get_weather"
    assert first["attributes"][sc.SESSION_ID] == session["session_id"]
    assert first["priced"] is True and first["cost"] > 0  # the cost processor priced the span
    assert failed["error"]["type"].endswith("RateLimitError")
    assert failed["attributes"][sc.HTTP_RESPONSE_STATUS_CODE] == 429


def test_init_alone_records_every_call_in_the_session(tmp_path):
    stdout, _ = run_program(tmp_path, "--session", launcher=False)
    check_session(json.loads(stdout))


@pytest.mark.skipif(LAUNCHER is None, reason="opentelemetry-instrument is not installed")
def test_the_same_program_under_opentelemetry_instrument_records_the_same(tmp_path):
    # The contrib `openai` instrumentor, OpenInference's `openai` and `anthropic` and OpenLLMetry's
    # `anthropic` come with the test extras; where they load, each call gets their spans too (counted
    # once, but more steps), so they are disabled by name, as a user would.
    stdout, store_path = run_program(
        tmp_path, "--session", launcher=True, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai,anthropic"
    )
    check_session(json.loads(stdout))
    with LocalStore(store_path, create=False) as store:
        (summary,) = store.sessions()
        records = store.trace(summary.trace_id)
    (session,) = build_sessions(records)
    assert steps_of(session.to_dict()) == EXPECTED_STEPS
    assert session.service == "zero-code-test"


@pytest.mark.skipif(LAUNCHER is None, reason="opentelemetry-instrument is not installed")
def test_a_program_that_never_imports_agentops_is_recorded_by_env_vars_alone(tmp_path):
    _, store_path = run_program(
        tmp_path,
        launcher=True,
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai,agentops_anthropic",
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="NO_CONTENT",
    )
    with LocalStore(store_path, create=False) as store:
        records = [r for s in store.sessions() for r in store.trace(s.trace_id)]
    ours = [r for r in records if (r.scope or "").startswith("agentops_otel.instrumentation")]
    llm = sorted(ours, key=lambda r: r.start_ns)
    models = [r.attributes[sc.GEN_AI_REQUEST_MODEL] for r in llm]
    assert models == ["gpt-4o", "gpt-4o", "text-embedding-3-small", "gpt-4o-mini", "gpt-4o"]  # no anthropic
    assert all(sc.GEN_AI_INPUT_MESSAGES not in r.attributes for r in llm)
    assert llm[0].resource[sc.SERVICE_NAME] == "zero-code-test"


class _OtherOpenAIInstrumentor(BaseInstrumentor):
    """Another package's instrumentation of the same client library (its wrapping is not the point)."""

    calls: ClassVar[list[dict]] = []

    def instrumentation_dependencies(self):
        return ("openai >= 1.0",)

    def _instrument(self, **kwargs):
        self.calls.append(kwargs)

    def _uninstrument(self, **kwargs):
        pass


class _EntryPoint:
    def __init__(self, name: str, target: type) -> None:
        self.name, self._target = name, target

    def load(self) -> type:
        return self._target


def test_distro_warns_about_a_second_instrumentation_of_the_same_client(instrument, caplog, monkeypatch):
    monkeypatch.delenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", raising=False)
    instrument()  # as init() would have done
    distro = AgentOpsDistro()
    distro.configure()
    caplog.set_level(logging.WARNING)
    distro.load_instrumentor(_EntryPoint("agentops_openai", OpenAIInstrumentor), skip_dep_check=True)
    assert not caplog.records  # already instrumented by init(): left alone, no "already instrumented" noise
    distro.load_instrumentor(_EntryPoint("openai", _OtherOpenAIInstrumentor), skip_dep_check=True)
    try:
        assert _OtherOpenAIInstrumentor.calls, "the other instrumentor still loads: the user installed it"
        (warning,) = [r for r in caplog.records if r.name == "agentops_otel"]
        assert "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=openai" in warning.getMessage()
    finally:
        _OtherOpenAIInstrumentor().uninstrument()


def test_distro_notices_no_overlap_when_ours_is_disabled(caplog, monkeypatch):
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "agentops_openai")
    distro = AgentOpsDistro()
    distro.configure()
    caplog.set_level(logging.WARNING)
    distro.load_instrumentor(_EntryPoint("openai", _OtherOpenAIInstrumentor), skip_dep_check=True)
    _OtherOpenAIInstrumentor().uninstrument()
    assert not [r for r in caplog.records if r.name == "agentops_otel"]
