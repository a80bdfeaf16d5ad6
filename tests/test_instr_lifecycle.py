"""Instrumentor lifecycle, content capture, credentials, concurrency, and streams that end exactly once."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading

import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from agentops_otel import semconv as sc
from agentops_otel._content import REDACTED
from agentops_otel.instrumentation._call import DETAILS_EVENT
from agentops_otel.instrumentation.anthropic import AnthropicInstrumentor
from agentops_otel.instrumentation.openai import OpenAIInstrumentor
from agentops_otel.testing.llm_server import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, Reply

pytest_plugins = ["tests._llm_fixtures"]

USER = [{"role": "user", "content": "Weather in Paris?"}]
CONTENT_KEYS = (sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES, sc.GEN_AI_SYSTEM_INSTRUCTIONS)


def only_span(exporter):
    (span,) = exporter.get_finished_spans()
    return span


@pytest.mark.parametrize("instrumentor_class", [OpenAIInstrumentor, AnthropicInstrumentor])
def test_uninstrument_puts_back_exactly_the_original_methods(instrumentor_class, tracer_provider):
    instrumentor = instrumentor_class()
    assert not instrumentor.is_instrumented_by_opentelemetry
    found = [t.owner() for t in instrumentor.targets]
    originals = {(owner, name): vars(owner)[name] for owner, name in filter(None, found)}
    assert len(originals) >= 4
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        assert all(vars(owner)[name] is not original for (owner, name), original in originals.items())
    finally:
        instrumentor.uninstrument()
    assert all(vars(owner)[name] is original for (owner, name), original in originals.items())
    assert instrumentor.instrumentation_dependencies() == instrumentor.requirements


def test_no_spans_after_uninstrument_and_spans_again_after_reinstrument(instrument, openai_client, span_exporter):
    instrument()
    OpenAIInstrumentor().uninstrument()
    openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert span_exporter.get_finished_spans() == ()
    instrument()
    openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert len(span_exporter.get_finished_spans()) == 1


def test_instrumenting_twice_does_not_double_the_spans(instrument, openai_client, span_exporter):
    instrument()
    OpenAIInstrumentor().instrument()  # refused by BaseInstrumentor: already instrumented
    openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert len(span_exporter.get_finished_spans()) == 1


@pytest.mark.parametrize(
    ("capture", "on_span", "on_event"),
    [
        (False, False, False),
        ("NO_CONTENT", False, False),
        (True, True, False),
        ("span_only", True, False),
        ("EVENT_ONLY", False, True),
        ("SPAN_AND_EVENT", True, True),
    ],
)
@pytest.mark.usefixtures("no_instrumentation_bugs")
def test_content_capture_modes(instrument, openai_client, span_exporter, capture, on_span, on_event):
    instrument(capture_content=capture)
    openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    span = only_span(span_exporter)
    assert all((key in span.attributes) == on_span for key in (sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES))
    events = [e for e in span.events if e.name == DETAILS_EVENT]
    assert len(events) == (1 if on_event else 0)
    if on_event:
        assert json.loads(events[0].attributes[sc.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["type"] == "text"
    assert span.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] > 0  # metadata is recorded in every mode


def test_capture_mode_and_length_from_the_environment(instrument, openai_client, span_exporter, monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    instrument()
    openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert not set(CONTENT_KEYS) & set(only_span(span_exporter).attributes)
    span_exporter.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    monkeypatch.setenv("AGENTOPS_OTEL_MAX_CONTENT_LENGTH", "40")
    instrument()
    openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x" * 500}])
    span = only_span(span_exporter)
    assert span.attributes[sc.GEN_AI_INPUT_MESSAGES].startswith('[{"role":"user","parts":[{"type":"text"')
    assert len(span.attributes[sc.GEN_AI_INPUT_MESSAGES]) < 100
    assert span.attributes[sc.AGENTOPS_STEP_TRUNCATED] is True


def test_max_content_length_argument_truncates(instrument, openai_client, span_exporter):
    instrument(max_content_length=30)
    openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "y" * 300}])
    span = only_span(span_exporter)
    assert "truncated" in span.attributes[sc.GEN_AI_INPUT_MESSAGES]
    assert span.attributes[sc.AGENTOPS_STEP_TRUNCATED] is True


def _everything_recorded(exporter) -> str:
    parts = []
    for span in exporter.get_finished_spans():
        parts.append(json.dumps(dict(span.attributes), default=str))
        parts += [json.dumps(dict(e.attributes), default=str) for e in span.events]
    return "\n".join(parts)


@pytest.mark.usefixtures("no_instrumentation_bugs")
def test_credentials_are_never_recorded(instrument, llm_server, openai_client, anthropic_client, span_exporter):
    instrument(capture_content="SPAN_AND_EVENT")
    leaked = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"
    messages = [{"role": "user", "content": f"my key is {leaked} and Bearer abcdefghijklmnop"}]
    openai_client.chat.completions.create(
        model="gpt-4o", messages=messages, extra_headers={"Authorization": "Bearer zzzzzzzzzzzz", "api-key": "k-1"}
    )
    anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=messages)
    recorded = _everything_recorded(span_exporter)
    for secret in (FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY, leaked, "abcdefghijklmnop", "zzzzzzzzzzzz", "k-1"):
        assert secret not in recorded
    assert REDACTED in recorded  # the content is there, with the key masked
    assert llm_server.requests[0].headers["api-key"] == "k-1"  # the request itself is untouched


@pytest.mark.usefixtures("instrumented", "no_instrumentation_bugs")
def test_concurrent_calls_get_their_own_spans(openai_client, span_exporter):
    def ask(i: int) -> None:
        openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"q{i}"}])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pairs = set()
    for span in span_exporter.get_finished_spans():
        asked = json.loads(span.attributes[sc.GEN_AI_INPUT_MESSAGES])[0]["parts"][0]["content"]
        answered = json.loads(span.attributes[sc.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["content"]
        pairs.add((asked, answered))
    assert pairs == {(f"q{i}", f"echo: q{i}") for i in range(8)}


@pytest.mark.usefixtures("instrumented", "no_instrumentation_bugs")
def test_llm_span_is_a_child_of_the_current_span_and_context_is_restored(tracer_provider, openai_client, span_exporter):
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("agent step") as parent:
        openai_client.chat.completions.create(model="gpt-4o", messages=USER)
        assert trace.get_current_span() is parent
    llm = next(s for s in span_exporter.get_finished_spans() if s.name == "chat gpt-4o")
    assert llm.parent.span_id == parent.get_span_context().span_id


class _BrokenProcessor(SpanProcessor):
    def on_start(self, span, parent_context=None):
        raise RuntimeError("telemetry bug")


def test_a_telemetry_failure_never_breaks_the_call(instrument, tracer_provider, openai_client, caplog, monkeypatch):
    monkeypatch.delenv("AGENTOPS_OTEL_DEBUG")  # production: logged, not raised (our suite raises them)
    tracer_provider.add_span_processor(_BrokenProcessor())
    instrument()
    result = openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert result.choices[0].message.content == "echo: Weather in Paris?"
    assert any("could not start an LLM span" in r.getMessage() for r in caplog.records)


# Streams end exactly once, whichever way they end.


@pytest.fixture
def ends(span_exporter, caplog):
    """Counts ended spans and fails if the SDK saw a span ended twice."""
    caplog.set_level(logging.WARNING, logger="opentelemetry.sdk.trace")
    yield lambda: len(span_exporter.get_finished_spans())
    assert not [r for r in caplog.records if "already ended" in r.getMessage() or "ended span" in r.getMessage()]


@pytest.mark.usefixtures("instrumented", "no_instrumentation_bugs")
class TestStreamEndsOnce:
    def stream(self, llm_server, openai_client):
        llm_server.queue(Reply(text="a b c d e f"))
        return openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)

    def test_full_read_then_close(self, llm_server, openai_client, ends):
        stream = self.stream(llm_server, openai_client)
        list(stream)
        assert ends() == 1
        stream.close()
        assert ends() == 1

    def test_close_before_the_end(self, llm_server, openai_client, span_exporter, ends):
        stream = self.stream(llm_server, openai_client)
        next(stream)
        next(stream)
        assert ends() == 0
        stream.close()
        assert ends() == 1
        output = json.loads(only_span(span_exporter).attributes[sc.GEN_AI_OUTPUT_MESSAGES])
        assert output[0]["parts"] == [{"type": "text", "content": "a "}]

    def test_break_then_abandon(self, llm_server, openai_client, ends):
        stream = self.stream(llm_server, openai_client)
        for _ in stream:
            break
        assert ends() == 0
        del stream
        gc.collect()
        assert ends() == 1

    def test_user_exception_inside_with(self, llm_server, openai_client, span_exporter, ends):
        stream = self.stream(llm_server, openai_client)
        with pytest.raises(ZeroDivisionError), stream as same:
            assert same is stream
            next(same)
            _ = 1 / 0
        assert ends() == 1
        assert only_span(span_exporter).attributes[sc.ERROR_TYPE] == "ZeroDivisionError"

    def test_with_block_fully_read(self, llm_server, openai_client, span_exporter, ends):
        with self.stream(llm_server, openai_client) as stream:
            text = "".join(c.choices[0].delta.content or "" for c in stream)
        assert text == "a b c d e f" and ends() == 1
        assert only_span(span_exporter).status.is_ok

    def test_async_close_before_the_end(self, llm_server, span_exporter, ends):
        async def run() -> None:
            async with llm_server.openai_client(async_client=True) as client:
                stream = await client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
                await stream.__anext__()
                await stream.close()

        asyncio.run(run())
        assert ends() == 1


@pytest.mark.usefixtures("no_instrumentation_bugs")
def test_sampled_out_calls_record_nothing_and_return_the_bare_stream(openai_client):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = OpenAIInstrumentor()
    was_on = instrumentor.is_instrumented_by_opentelemetry
    previous = dict(getattr(instrumentor, "instrumented_with", {}))
    if was_on:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=provider)
    try:
        stream = openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
        assert type(stream) is openai.Stream  # no proxy: nothing to record
        assert "".join(c.choices[0].delta.content or "" for c in stream) == "echo: Weather in Paris?"
    finally:
        instrumentor.uninstrument()
        if was_on:
            instrumentor.instrument(**previous)
    assert exporter.get_finished_spans() == ()
