"""The Anthropic instrumentor turns real `anthropic` client calls into GenAI spans, leaving them unchanged."""

from __future__ import annotations

import asyncio
import inspect
import json
import os

import anthropic
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from agentops_otel import semconv as sc
from agentops_otel.instrumentation.anthropic import AnthropicInstrumentor
from agentops_otel.testing.llm_server import ErrorReply, Reply, ToolCall

pytest_plugins = ["tests._llm_fixtures"]
pytestmark = pytest.mark.usefixtures("instrumented", "no_instrumentation_bugs")

SAMPLING_PARAMETERS = "temperature" in inspect.signature(anthropic.resources.messages.Messages.create).parameters
MODEL = "claude-haiku-4-5"  # an id the installed client does not warn about
USER = [{"role": "user", "content": "Weather in Paris?"}]
WEATHER = ToolCall("get_weather", {"city": "Paris"}, id="toolu_w1")
CACHED = Reply(text="Checking.", tool_calls=[WEATHER], input_tokens=20, output_tokens=7, cached_tokens=100,
               cache_creation_tokens=30)  # fmt: skip


def only_span(exporter):
    (span,) = exporter.get_finished_spans()
    return span


def content(span, key):
    return json.loads(span.attributes[key])


def assert_cached_call(span):
    attrs = span.attributes
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    assert attrs[sc.GEN_AI_PROVIDER_NAME] == "anthropic" and attrs[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_use",)
    # The conventions count cached tokens inside input_tokens; Anthropic reports them apart.
    assert attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] == 150
    assert attrs[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 100
    assert attrs[sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 30
    assert attrs[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == 7
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Checking."},
                {"type": "tool_call", "id": "toolu_w1", "name": "get_weather", "arguments": {"city": "Paris"}},
            ],
            "finish_reason": "tool_use",
        }
    ]


def test_message_with_tool_use_and_cache_tokens(llm_server, anthropic_client, span_exporter):
    llm_server.queue(CACHED)
    # Sampling parameters left the newest client's signature; older ones still send them.
    sampling = {"temperature": 0.2, "top_k": 5} if SAMPLING_PARAMETERS else {}
    result = anthropic_client.messages.create(
        model=MODEL, max_tokens=200, system="Be brief.", messages=USER, stop_sequences=["END"],
        tools=[{"name": "get_weather", "input_schema": {"type": "object"}}], **sampling,
    )  # fmt: skip
    assert type(result) is anthropic.types.Message
    span = only_span(span_exporter)
    assert_cached_call(span)
    attrs = span.attributes
    assert attrs[sc.GEN_AI_RESPONSE_ID] == result.id and attrs[sc.GEN_AI_RESPONSE_MODEL] == MODEL
    assert attrs[sc.GEN_AI_REQUEST_MAX_TOKENS] == 200 and attrs[sc.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    if sampling:
        assert (attrs[sc.GEN_AI_REQUEST_TEMPERATURE], attrs[sc.GEN_AI_REQUEST_TOP_K]) == (0.2, 5)
    assert content(span, sc.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "Be brief."}]
    assert content(span, sc.GEN_AI_TOOL_DEFINITIONS)[0]["name"] == "get_weather"
    assert llm_server.requests[0].json["system"] == "Be brief."


def test_parse_helper_is_traced_when_the_client_has_it(anthropic_client, span_exporter):
    if not hasattr(anthropic_client.messages, "parse"):
        pytest.skip("this client version has no messages.parse")
    anthropic_client.messages.parse(model=MODEL, max_tokens=20, messages=USER)
    assert only_span(span_exporter).attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("end_turn",)


def test_messages_given_as_a_generator_are_not_consumed_by_tracing(llm_server, anthropic_client, span_exporter):
    anthropic_client.messages.create(model=MODEL, max_tokens=9, messages=(m for m in USER))
    assert llm_server.requests[0].json["messages"] == USER
    assert sc.GEN_AI_INPUT_MESSAGES not in only_span(span_exporter).attributes


def test_tool_results_become_tool_call_responses(anthropic_client, span_exporter):
    messages = [
        *USER,
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_w1", "name": "get_weather",
                                           "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_w1", "content": "21C"}]},
    ]  # fmt: skip
    anthropic_client.messages.create(model=MODEL, max_tokens=50, messages=messages)
    assert content(only_span(span_exporter), sc.GEN_AI_INPUT_MESSAGES)[1:] == [
        {"role": "assistant", "parts": [
            {"type": "tool_call", "id": "toolu_w1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "toolu_w1", "response": "21C"}]},
    ]  # fmt: skip


def test_create_stream_accumulates_blocks_and_usage(llm_server, anthropic_client, span_exporter):
    llm_server.queue(CACHED)
    stream = anthropic_client.messages.create(model=MODEL, max_tokens=200, messages=USER, stream=True)
    # anthropic < 0.50 answers isinstance(proxy, Stream) False whatever the proxy does (a metaclass check)
    assert isinstance(stream, anthropic.Stream) or type(anthropic.Stream).__name__ == "_SyncStreamMeta"
    assert span_exporter.get_finished_spans() == ()
    kinds = [event.type for event in stream]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    span = only_span(span_exporter)
    assert_cached_call(span)
    assert span.attributes[sc.GEN_AI_REQUEST_STREAM] is True
    assert "stream" in llm_server.requests[0].json and "stream_options" not in llm_server.requests[0].json


def test_stream_helper_text_stream_and_final_message(llm_server, anthropic_client, span_exporter):
    llm_server.queue(CACHED, CACHED)
    with anthropic_client.messages.stream(model=MODEL, max_tokens=200, messages=USER) as stream:
        assert "".join(stream.text_stream) == "Checking."
        assert span_exporter.get_finished_spans() != ()  # ended when the stream was done, before `with` ends
    with anthropic_client.messages.stream(model=MODEL, max_tokens=200, messages=USER) as stream:
        final = stream.get_final_message()
    assert final.content[1].input == {"city": "Paris"}
    first, second = span_exporter.get_finished_spans()
    assert_cached_call(first)
    assert_cached_call(second)
    assert second.attributes[sc.GEN_AI_REQUEST_STREAM] is True


def test_stream_helper_early_exit_and_user_exception(llm_server, anthropic_client, span_exporter):
    llm_server.queue(Reply(text="one two three four"), Reply(text="five six"))
    with anthropic_client.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
        for event in stream:
            if event.type == "text":
                break
    early = only_span(span_exporter)
    assert early.status.status_code is StatusCode.UNSET
    assert content(early, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "one "}]
    span_exporter.clear()
    failure = ValueError("bad tool input")
    helper = anthropic_client.messages.stream(model=MODEL, max_tokens=50, messages=USER)
    with pytest.raises(ValueError) as raised, helper as stream:
        next(iter(stream))
        raise failure
    assert raised.value is failure
    failed = only_span(span_exporter)
    assert failed.attributes[sc.ERROR_TYPE] == "ValueError" and failed.status.status_code is StatusCode.ERROR


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, anthropic.BadRequestError), (401, anthropic.AuthenticationError), (429, anthropic.RateLimitError),
     (500, anthropic.InternalServerError)],
)  # fmt: skip
def test_api_errors(llm_server, anthropic_client, span_exporter, status, error):
    llm_server.queue(ErrorReply(status, retry_after=2 if status == 429 else None))
    with pytest.raises(error) as raised:
        anthropic_client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert type(raised.value) is error
    span = only_span(span_exporter)
    assert span.attributes[sc.HTTP_RESPONSE_STATUS_CODE] == status
    assert span.attributes[sc.ERROR_TYPE] == error.__name__


def test_error_when_the_stream_helper_opens(llm_server, anthropic_client, span_exporter):
    llm_server.queue(ErrorReply(529, "overloaded"))
    with (
        pytest.raises(anthropic.APIStatusError),
        anthropic_client.messages.stream(model=MODEL, max_tokens=10, messages=USER),
    ):
        pass
    assert only_span(span_exporter).attributes[sc.HTTP_RESPONSE_STATUS_CODE] == 529


def test_connection_dropped_mid_stream(llm_server, anthropic_client, span_exporter):
    llm_server.queue(Reply(text="alpha beta gamma", drop_after=5))
    stream = anthropic_client.messages.create(model=MODEL, max_tokens=10, messages=USER, stream=True)
    with pytest.raises(Exception) as raised:
        for _ in stream:
            pass
    span = only_span(span_exporter)
    assert span.attributes[sc.ERROR_TYPE] == type(raised.value).__qualname__
    # message_start, ping, content_block_start and two deltas arrived before the cut
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "alpha beta "}]


def test_async_create_stream_and_helper(llm_server, span_exporter):
    llm_server.queue(CACHED, CACHED, CACHED)

    async def run() -> list[str]:
        async with llm_server.anthropic_client(async_client=True) as client:
            message = await client.messages.create(model=MODEL, max_tokens=9, messages=USER)
            stream = await client.messages.create(model=MODEL, max_tokens=9, messages=USER, stream=True)
            kinds = [event.type async for event in stream]
            async with client.messages.stream(model=MODEL, max_tokens=9, messages=USER) as helper:
                texts = [text async for text in helper.text_stream]
            return [message.content[0].text, kinds[-1], "".join(texts)]

    assert asyncio.run(run()) == ["Checking.", "message_stop", "Checking."]
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 3
    for span in spans:
        assert_cached_call(span)


def test_client_native_tracing_is_switched_off_while_instrumented_unless_the_program_chose(monkeypatch):
    # The `instrumented` fixture has instrumented; clients created now make no second LLM span of their own.
    assert os.environ.get("ANTHROPIC_OPEN_TELEMETRY") == "false"
    AnthropicInstrumentor().uninstrument()
    assert "ANTHROPIC_OPEN_TELEMETRY" not in os.environ
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "true")
    AnthropicInstrumentor().instrument()
    AnthropicInstrumentor().uninstrument()
    assert os.environ["ANTHROPIC_OPEN_TELEMETRY"] == "true"


@pytest.mark.skipif(not hasattr(anthropic, "_tracing"), reason="the client has no tracing of its own")
def test_client_spans_enabled_explicitly_nest_under_ours(llm_server, tracer_provider, span_exporter):
    options = {"traces": True, "tracer_provider": tracer_provider}
    with llm_server.anthropic_client(open_telemetry=options) as client:
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    spans = {s.name: s for s in span_exporter.get_finished_spans()}
    ours = spans[f"chat {MODEL}"]
    theirs = next(s for name, s in spans.items() if name != ours.name)
    assert theirs.parent.span_id == ours.context.span_id


def test_overload_error_event_inside_a_stream(llm_server, anthropic_client, span_exporter):
    llm_server.queue(Reply(text="one two three", fail_after=4))
    with pytest.raises(anthropic.APIStatusError) as raised:
        list(anthropic_client.messages.create(model=MODEL, max_tokens=9, messages=USER, stream=True))
    span = only_span(span_exporter)
    assert span.attributes[sc.ERROR_TYPE] == type(raised.value).__qualname__
    assert span.status.status_code is StatusCode.ERROR
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "one "}]
