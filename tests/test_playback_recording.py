"""Recordings: `agentops-otel export` to a file, what the file may hold, the errors that say what to do,
recorded failures, concurrency, the pytest fixture, and traffic that playback leaves alone."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from click.testing import CliRunner

import agentops_otel
from agentops_otel import PlaybackError, RecordedStep, Recording, playback
from agentops_otel.cli import main
from agentops_otel.errors import AgentOpsOtelError, ConfigurationError
from agentops_otel.store import LocalStore
from agentops_otel.testing._playback_fixture import agentops_playback as agentops_playback  # the fixture under test
from agentops_otel.testing.llm_server import FAKE_OPENAI_KEY, ErrorReply, LLMServer
from tests.test_playback_agent import QUESTION, instrumented_clients, llm_span, openai_agent, record, script

OFFLINE = {"base_url": "http://127.0.0.1:9/v1", "api_key": FAKE_OPENAI_KEY, "max_retries": 0}
SECRET = "sk-proj-abcdefghijklmnopqrstuvwx"


@pytest.fixture(autouse=True)
def _no_open_sessions() -> Iterator[None]:
    yield
    agentops_otel.end_all_sessions()


@pytest.fixture(scope="module")
def refund_session() -> agentops_otel.Session:
    with LLMServer() as server:
        script(server)
        with server.openai_client() as client:
            _, session = record(lambda: openai_agent(client))
    return session


def _export(args: list[str]) -> Any:
    return CliRunner().invoke(main, ["export", *args])


def test_export_writes_a_file_that_plays_back_with_no_store_and_no_server(
    refund_session: agentops_otel.Session, tmp_path: Path
) -> None:
    store_path = tmp_path / "traces.db"
    LocalStore(store_path).write(refund_session.spans)
    out = tmp_path / "refund.json"
    result = _export([refund_session.session_id[:8], "--source", f"store:{store_path}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    store_path.unlink()

    data = json.loads(out.read_text())
    assert data["format"] == "agentops-otel-recording" and data["session_id"] == refund_session.session_id
    assert [s["kind"] for s in data["steps"]] == ["llm", "tool", "tool", "llm", "tool"]
    with openai.OpenAI(**OFFLINE) as client, playback(out) as player:
        run = openai_agent(client)
    assert run.error == "ValueError: refund of 250 needs a manager" and player.answered == 2


def test_export_prints_the_recording_without_o_and_fails_in_one_line_on_an_unknown_id(
    refund_session: agentops_otel.Session, tmp_path: Path
) -> None:
    store_path = tmp_path / "traces.db"
    LocalStore(store_path).write(refund_session.spans)
    printed = _export([refund_session.session_id, "--source", str(store_path)])
    assert printed.exit_code == 0 and json.loads(printed.output)["name"] == "refund-agent"
    missing = _export(["no-such-session", "--source", str(store_path)])
    assert missing.exit_code == 2 and missing.output.startswith("error: ")


def _session_with_llm_step(attributes: dict[str, Any]) -> agentops_otel.Session:
    agentops_otel.init(store=False, instrument_llm=False)
    with agentops_otel.session("bare"):
        from opentelemetry import trace

        trace.get_tracer("tests.playback").start_span("chat gpt-4o", attributes=attributes).end()
    return agentops_otel.get_session()


def test_a_session_recorded_without_content_cannot_be_exported_or_played_back(tmp_path: Path) -> None:
    from agentops_otel import semconv as sc

    session = _session_with_llm_step({sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_REQUEST_MODEL: "gpt-4o"})
    with pytest.raises(PlaybackError, match="content capture on") as caught, playback(session):
        pass
    assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true" in str(caught.value)

    store_path = tmp_path / "traces.db"
    LocalStore(store_path).write(session.spans)
    result = _export([session.session_id, "--source", str(store_path), "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "content capture" in result.output
    assert not (tmp_path / "x.json").exists()


def test_truncated_content_is_reported_as_such() -> None:
    step = RecordedStep(1, "llm", "gpt-4o", params='[{"role": "user", "parts": [{"ty…[truncated 90 chars]', returns=[])
    with pytest.raises(PlaybackError, match="truncated"), playback(Recording("s", "n", None, (step,))):
        pass


def test_an_exported_file_never_holds_credentials(tmp_path: Path) -> None:
    prompt = f"my key is {SECRET}, please check it"
    messages = [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
    output = [{"role": "assistant", "parts": [{"type": "text", "content": "ok"}], "finish_reason": "stop"}]
    step = RecordedStep(1, "llm", "gpt-4o", messages, output, provider="openai", request_model="gpt-4o")
    tool = RecordedStep(2, "tool", "login", params={"user": "ann", "api_key": "plain-secret-value"})
    path = Recording("s", "n", None, (step, tool)).save(tmp_path / "r.json")
    text = path.read_text()
    assert SECRET not in text and "plain-secret-value" not in text and "****" in text

    with openai.OpenAI(**OFFLINE) as client, playback(path):  # the live prompt is scrubbed the same way to match
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    assert reply.choices[0].message.content == "ok"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "agentops-otel-recording", "version": 99, "steps": []}', "version 99"),
        ('{"format": "agentops-otel-recording", "version": 1, "steps": [{"kind": "llm"}]}', "not a valid recording"),
    ],
)
def test_a_broken_recording_file_says_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(PlaybackError, match=message), playback(source=str(path)):
        pass


def test_a_recording_file_for_another_session_is_refused(refund_session: agentops_otel.Session, tmp_path: Path) -> None:
    path = Recording.from_session(refund_session).save(tmp_path / "r.json")
    with pytest.raises(PlaybackError, match="not ffff"), playback("ffff", source=str(path)):
        pass


def test_recorded_llm_failures_are_answered_as_the_same_client_errors(tmp_path: Path) -> None:
    question = [{"role": "user", "content": QUESTION}]
    agentops_otel.init(store=False, instrument_llm=False)
    with LLMServer() as server, server.openai_client() as client, agentops_otel.session("failing"):
        server.queue(ErrorReply(429, "slow down"))
        with pytest.raises(openai.RateLimitError), llm_span("openai", "gpt-4o", _genai(QUESTION), None):
            client.chat.completions.create(model="gpt-4o", messages=question)
    session = agentops_otel.get_session()
    assert session.llm_events[0].error is not None

    retrying = {**OFFLINE, "max_retries": 3}  # a recorded 429 is final: the client must not retry it
    failure = pytest.raises(openai.RateLimitError, match="slow down")
    with openai.OpenAI(**retrying) as offline, playback(session) as player, failure:
        offline.chat.completions.create(model="gpt-4o", messages=question)
    assert player.answered == 1

    recording = Recording.from_session(session)
    # The same call recorded as a lost connection: the client's retry is answered the same way.
    step = dataclasses.replace(recording.llm_steps[0], error={"type": "APIConnectionError", "message": "lost"})
    with (
        openai.OpenAI(**{**OFFLINE, "max_retries": 1}) as offline,
        playback(dataclasses.replace(recording, steps=(step,))),
        pytest.raises(openai.APIConnectionError),
    ):
        offline.chat.completions.create(model="gpt-4o", messages=question)


def _genai(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "parts": [{"type": "text", "content": text}]}]


def test_concurrent_calls_from_many_threads_are_each_answered_once() -> None:
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "pong"}], "finish_reason": "stop"}]
    steps = tuple(
        RecordedStep(i, "llm", "gpt-4o", _genai("ping"), answer, provider="openai", request_model="gpt-4o")
        for i in range(1, 17)
    )
    replies: list[str] = []
    with openai.OpenAI(**OFFLINE) as client, playback(Recording("s", "n", None, steps)) as player:

        def call() -> None:
            reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "ping"}])
            replies.append(reply.choices[0].message.content or "")

        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert replies == ["pong"] * 16 and player.answered == 16 and not player.divergences


def test_other_http_traffic_is_left_alone_during_playback(refund_session: agentops_otel.Session) -> None:
    with LLMServer() as server, playback(refund_session, strict=False), httpx2.Client() as http:
        response = http.post(server.base_url + "/v1/unknown", json={})
    assert response.status_code == 404 and len(server.requests) == 1


def test_only_one_playback_runs_at_a_time_and_clients_are_restored_after(
    refund_session: agentops_otel.Session,
) -> None:
    before = httpx2.Client.__dict__["_transport_for_url"]
    refused = pytest.raises(ConfigurationError, match="already active")
    with playback(refund_session, strict=False), refused, playback(refund_session):
        pass
    assert httpx2.Client.__dict__["_transport_for_url"] is before
    assert httpx2.AsyncClient.__dict__["_transport_for_url"] is not None


def test_playback_needs_a_session() -> None:
    with pytest.raises(AgentOpsOtelError, match="needs a session"), playback():
        pass


# A recording committed beside this test (made by Recording.save, the format `agentops-otel export` writes):
# it must keep playing back as the format evolves.
@pytest.mark.parametrize("agentops_playback", ["test_playback_hello.json"], indirect=True)
def test_the_fixture_plays_a_recording_committed_next_to_the_test(agentops_playback: Any) -> None:
    with openai.OpenAI(**OFFLINE) as client:
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content == "hi!" and agentops_playback.answered == 1
    assert (reply.id, reply.model, reply.usage.total_tokens if reply.usage else None) == (
        "chatcmpl-hello",
        "gpt-4o-2024-08-06",
        2,
    )


def test_an_llm_endpoint_playback_cannot_answer_is_refused_in_strict_mode_and_sent_live_in_lenient(
    refund_session: agentops_otel.Session,
) -> None:
    refused = pytest.raises(PlaybackError, match="cannot be played back yet")
    with openai.OpenAI(**OFFLINE) as offline, refused, playback(refund_session):
        offline.embeddings.create(model="text-embedding-3-small", input="hello")
    with LLMServer() as server, server.openai_client() as client, playback(refund_session, strict=False) as player:
        vectors = client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert len(vectors.data) == 1 and player.live_calls == 1 and len(server.requests) == 1


@pytest.mark.parametrize(
    ("capture", "playable"), [("event_only", True), ("span_and_event", True), (False, False)], ids=str
)
def test_content_recorded_on_the_details_event_plays_back_and_no_content_says_so(
    capture: Any, playable: bool, tmp_path: Path
) -> None:
    with instrumented_clients(capture_content=capture), LLMServer() as server:
        script(server)
        with server.openai_client() as client:
            live, session = record(lambda: openai_agent(client))
    on_span = capture == "span_and_event"
    assert isinstance(session.llm_events[0].params, list) is on_span  # event_only: content only on the event
    if not playable:
        with pytest.raises(PlaybackError, match="content capture on"), playback(session):
            pass
        return
    with openai.OpenAI(**OFFLINE) as offline, playback(session):
        assert openai_agent(offline) == live


def test_a_conversation_carrying_credentials_matches_its_scrubbed_recording() -> None:
    from agentops_otel.testing.llm_server import Reply, ToolCall

    def login_agent(client: Any) -> list[str]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": f"log in with key {SECRET}"}]
        first = client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message
        call = first.tool_calls[0]
        messages += [
            first.model_dump(exclude_none=True),
            {
                "role": "tool",
                "tool_call_id": call.id,
                "content": json.dumps({"session": "Bearer abcdef0123456789", "ok": True}),
            },
        ]
        second = client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message
        return [call.function.arguments, str(second.content)]

    with instrumented_clients(), LLMServer() as server:
        server.queue(
            Reply(tool_calls=[ToolCall("login", {"user": "ann", "api_key": "k-0123456789"})]), Reply(text="in")
        )
        with server.openai_client() as client:
            live, session = record(lambda: login_agent(client))
    recorded = json.dumps([s.params for s in session.llm_events])
    assert SECRET not in recorded and "k-0123456789" not in recorded and "abcdef0123456789" not in recorded
    with openai.OpenAI(**OFFLINE) as offline, playback(session) as player:
        replayed = login_agent(offline)
    # Credentials are never recorded, so the model's answer comes back with the key masked.
    assert replayed == [live[0].replace("k-0123456789", "****"), live[1]]
    assert player.answered == 2


def test_a_stream_that_broke_mid_answer_breaks_at_the_same_point_in_playback() -> None:
    from agentops_otel.testing.llm_server import Reply

    def read_streams(client: Any, anthropic_client: Any) -> list[Any]:
        seen: list[Any] = []
        question = [{"role": "user", "content": "count"}]
        try:
            for chunk in client.chat.completions.create(model="gpt-4o", messages=question, stream=True):
                seen.extend(c.delta.content for c in chunk.choices)
        except Exception as exc:
            seen.append(type(exc).__name__)
        try:
            with anthropic_client.messages.stream(model="claude-loopback-1", max_tokens=9, messages=question) as s:
                for text in s.text_stream:  # one by one: what arrived before the break is kept
                    seen.append(text)
        except Exception as exc:
            seen.append(type(exc).__name__)
        return seen

    import anthropic

    with instrumented_clients(), LLMServer() as server:
        server.queue(Reply(text="one two three four", drop_after=3), Reply(text="five six seven", drop_after=4))
        with server.openai_client() as client, server.anthropic_client() as anthropic_client:
            live, session = record(lambda: read_streams(client, anthropic_client))
        port = server.port
    # The Anthropic client names a broken stream after httpx's error, or (from 2.x) wraps it.
    assert live[:5] == ["", "one ", "two ", "APIConnectionError", "five "]
    assert live[5] in ("RemoteProtocolError", "APIConnectionError") and len(live) == 6
    offline_anthropic = anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="sk-ant-x", max_retries=0)
    with openai.OpenAI(**OFFLINE) as offline, offline_anthropic, playback(session) as player:
        assert read_streams(offline, offline_anthropic) == live
    assert player.answered == 2


def test_a_session_id_is_looked_up_in_the_trace_source(refund_session: agentops_otel.Session, tmp_path: Path) -> None:
    store_path = tmp_path / "traces.db"
    LocalStore(store_path).write(refund_session.spans)
    with openai.OpenAI(**OFFLINE) as client, playback(refund_session.session_id[:8], source=str(store_path)) as player:
        run = openai_agent(client)
    assert run.error == "ValueError: refund of 250 needs a manager" and player.answered == 2
    with pytest.raises(AgentOpsOtelError, match="ffffffff"), playback("ffffffff", source=str(store_path)):
        pass


def test_a_missing_recording_file_is_named_and_no_store_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGENTOPS_OTEL_STORE_PATH", raising=False)
    for spec in ("recordings/typo.json", "typo.json", "typo.json.gz", "recordings/typo", Path("typo")):
        missing = pytest.raises(PlaybackError, match=rf"no recording file at {re.escape(str(spec))}: export one")
        with missing, playback(spec):
            pass
    assert list(tmp_path.iterdir()) == []
