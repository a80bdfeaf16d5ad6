"""The OpenAI instrumentor turns real `openai` client calls into GenAI spans, leaving the calls unchanged."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from agentops_otel import semconv as sc
from agentops_otel.testing.llm_server import ErrorReply, Reply, ToolCall
from tests._llm_compat import TRANSPORT_ERRORS, chat_stream, needs_responses_api

pytest_plugins = ["tests._llm_fixtures"]
pytestmark = pytest.mark.usefixtures("instrumented", "no_instrumentation_bugs")

USER = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}]
WEATHER = ToolCall("get_weather", {"city": "Paris"}, id="call_w1")


def only_span(exporter):
    (span,) = exporter.get_finished_spans()
    return span


def content(span, key):
    return json.loads(span.attributes[key])


def test_chat_completion_span_follows_the_genai_conventions(llm_server, openai_client, span_exporter):
    llm_server.queue(Reply(text="Let me look.", tool_calls=[WEATHER], input_tokens=30, output_tokens=12,
                           cached_tokens=10, reasoning_tokens=4))  # fmt: skip
    result = openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, temperature=0.3, top_p=0.9, max_tokens=100, stop=["END"], seed=7,
        frequency_penalty=0.1, presence_penalty=0.2,
    )  # fmt: skip
    assert type(result) is openai.types.chat.ChatCompletion
    span = only_span(span_exporter)
    attrs = span.attributes
    assert span.name == "chat gpt-4o-mini" and span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attrs[sc.GEN_AI_OPERATION_NAME] == "chat" and attrs[sc.GEN_AI_PROVIDER_NAME] == "openai"
    assert (attrs[sc.GEN_AI_REQUEST_TEMPERATURE], attrs[sc.GEN_AI_REQUEST_TOP_P]) == (0.3, 0.9)
    assert (attrs[sc.GEN_AI_REQUEST_MAX_TOKENS], attrs[sc.GEN_AI_REQUEST_SEED]) == (100, 7)
    assert attrs[sc.GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert attrs[sc.GEN_AI_REQUEST_FREQUENCY_PENALTY] == 0.1 and attrs[sc.GEN_AI_REQUEST_PRESENCE_PENALTY] == 0.2
    assert attrs[sc.GEN_AI_RESPONSE_ID] == result.id and attrs[sc.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini"
    assert attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert attrs[sc.GEN_AI_USAGE_INPUT_TOKENS] == 30 and attrs[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == 12
    assert attrs[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 10
    assert attrs[sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 4
    assert (attrs[sc.SERVER_ADDRESS], attrs[sc.SERVER_PORT]) == ("127.0.0.1", llm_server.port)
    assert content(span, sc.GEN_AI_INPUT_MESSAGES) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    ]
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Let me look."},
                {"type": "tool_call", "id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}},
            ],
            "finish_reason": "tool_calls",
        }
    ]


def test_the_request_goes_out_exactly_as_the_program_wrote_it(llm_server, openai_client):
    openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True).close()
    openai_client.chat.completions.create(model="gpt-4o", messages=USER, n=2, user="u-1")
    streamed, plain = (r.json for r in llm_server.requests)
    assert streamed == {"model": "gpt-4o", "messages": USER, "stream": True}  # no stream_options added
    assert plain == {"model": "gpt-4o", "messages": USER, "n": 2, "user": "u-1"}


def test_messages_given_as_a_generator_are_not_consumed_by_tracing(llm_server, openai_client, span_exporter):
    openai_client.chat.completions.create(model="gpt-4o", messages=(m for m in USER))
    assert llm_server.requests[0].json["messages"] == USER
    assert sc.GEN_AI_INPUT_MESSAGES not in only_span(span_exporter).attributes  # not readable without consuming


def test_tool_results_and_earlier_assistant_messages_become_input_parts(llm_server, openai_client, span_exporter):
    first = openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    messages = [*USER, first.choices[0].message, {"role": "tool", "tool_call_id": "call_w1", "content": "21C"}]
    openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[*messages[:2], {"role": "assistant", "tool_calls": [
            {"id": "call_w1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
        ]}, messages[3]],
    )  # fmt: skip
    second = span_exporter.get_finished_spans()[1]
    assert content(second, sc.GEN_AI_INPUT_MESSAGES)[2:] == [
        {"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_w1", "response": "21C"}]},
    ]  # fmt: skip


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_span_ends_with_the_stream_and_has_usage_only_if_sent(
    llm_server, openai_client, span_exporter, include_usage
):
    llm_server.queue(Reply(text="Sunny and warm", tool_calls=[WEATHER], input_tokens=8, output_tokens=5))
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    stream = openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True, **options)
    assert isinstance(stream, openai.Stream)
    assert span_exporter.get_finished_spans() == ()  # the call returned; the stream has not ended
    chunks = list(stream)
    span = only_span(span_exporter)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Sunny and warm"
    assert span.attributes[sc.GEN_AI_REQUEST_STREAM] is True
    assert span.attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
        {"type": "text", "content": "Sunny and warm"},
        {"type": "tool_call", "id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}},
    ]
    assert span.attributes[sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0
    if include_usage:
        assert (span.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS], span.attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS]) == (8, 5)
    else:
        assert sc.GEN_AI_USAGE_INPUT_TOKENS not in span.attributes


def test_stream_helper_full_read_and_early_exit(llm_server, openai_client, span_exporter):
    llm_server.queue(Reply(text="one two three"), Reply(text="four five six"))
    with chat_stream(openai_client, model="gpt-4o", messages=USER) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "one two three"
    assert content(only_span(span_exporter), sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"][0]["content"] == "one two three"
    span_exporter.clear()
    with chat_stream(openai_client, model="gpt-4o", messages=USER) as stream:
        for event in stream:
            if event.type == "content.delta" and event.delta:
                break
    span = only_span(span_exporter)  # ended by leaving `with`, not left open
    assert span.status.status_code is StatusCode.UNSET
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"][0]["content"] == "four "


def test_user_exception_inside_the_stream_helper_is_recorded_and_propagates(openai_client, span_exporter):
    failure = LookupError("the program failed while reading")
    helper = chat_stream(openai_client, model="gpt-4o", messages=USER)
    with pytest.raises(LookupError) as raised, helper as stream:
        next(iter(stream))
        raise failure
    assert raised.value is failure
    span = only_span(span_exporter)
    assert span.attributes[sc.ERROR_TYPE] == "LookupError"
    assert span.status.status_code is StatusCode.ERROR


@needs_responses_api
def test_responses_api_sync_stream_and_helper(llm_server, openai_client, span_exporter):
    reply = Reply(text="Sunny.", tool_calls=[WEATHER], input_tokens=9, output_tokens=3, cached_tokens=2,
                  reasoning_tokens=1)  # fmt: skip
    llm_server.queue(reply, reply, reply)
    result = openai_client.responses.create(model="gpt-4.1", input="Weather?", instructions="Be brief.",
                                            max_output_tokens=50, temperature=0.5)  # fmt: skip
    events = list(openai_client.responses.create(model="gpt-4.1", input=[{"role": "user", "content": "Weather?"}],
                                                 stream=True))  # fmt: skip
    with openai_client.responses.stream(model="gpt-4.1", input="Weather?") as stream:
        stream.get_final_response()
    assert result.output_text == "Sunny." and events[-1].type == "response.completed"
    plain, streamed, helper = span_exporter.get_finished_spans()
    for span in (plain, streamed, helper):
        assert span.name == "chat gpt-4.1"
        assert span.attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
        assert span.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 9
        assert span.attributes[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 2
        assert span.attributes[sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 1
        assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
            {"type": "text", "content": "Sunny."},
            {"type": "tool_call", "id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}},
        ]
    assert plain.attributes[sc.GEN_AI_RESPONSE_ID] == result.id
    assert content(plain, sc.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "Be brief."}]
    assert plain.attributes[sc.GEN_AI_REQUEST_MAX_TOKENS] == 50
    assert content(streamed, sc.GEN_AI_INPUT_MESSAGES) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}
    ]


@needs_responses_api
def test_responses_function_call_output_is_a_tool_message(openai_client, span_exporter):
    items = [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "call_w1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call_output", "call_id": "call_w1", "output": "21C"},
    ]
    openai_client.responses.create(model="gpt-4.1", input=items)
    assert content(only_span(span_exporter), sc.GEN_AI_INPUT_MESSAGES)[1:] == [
        {"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_w1", "response": "21C"}]},
    ]  # fmt: skip


def test_embeddings(llm_server, openai_client, span_exporter):
    llm_server.queue(Reply(input_tokens=6))
    result = openai_client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], dimensions=4)
    assert len(result.data) == 2
    span = only_span(span_exporter)
    assert span.name == "embeddings text-embedding-3-small"
    assert span.attributes[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert span.attributes[sc.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == 4
    assert span.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 6


ERRORS = {400: openai.BadRequestError, 401: openai.AuthenticationError,
          429: openai.RateLimitError, 500: openai.InternalServerError}  # fmt: skip


@pytest.mark.parametrize("status", sorted(ERRORS))
def test_api_errors_are_recorded_and_reraised_unchanged(llm_server, openai_client, span_exporter, status):
    llm_server.queue(ErrorReply(status, "scripted", retry_after=1 if status == 429 else None))
    with pytest.raises(ERRORS[status]) as raised:
        openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert type(raised.value) is ERRORS[status] and raised.value.status_code == status
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[sc.ERROR_TYPE] == ERRORS[status].__name__
    assert span.attributes[sc.HTTP_RESPONSE_STATUS_CODE] == status
    (event,) = span.events
    assert event.name == "exception" and event.attributes[sc.EXCEPTION_TYPE].endswith(ERRORS[status].__name__)


def test_connection_dropped_mid_stream_fails_the_span_with_what_arrived(llm_server, openai_client, span_exporter):
    llm_server.queue(Reply(text="alpha beta gamma delta", drop_after=3))
    stream = openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    received = []
    with pytest.raises((openai.APIConnectionError, *TRANSPORT_ERRORS)) as raised:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    span = only_span(span_exporter)
    assert span.attributes[sc.ERROR_TYPE] == type(raised.value).__qualname__
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "alpha beta "}]
    assert received == ["", "alpha ", "beta "]


def test_timeout_is_recorded(llm_server, span_exporter):
    llm_server.queue(Reply(text="late", delay=30))
    with llm_server.openai_client(timeout=0.2) as client, pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert only_span(span_exporter).attributes[sc.ERROR_TYPE] == "APITimeoutError"


def test_with_raw_response_is_traced_and_still_raw(llm_server, openai_client, span_exporter):
    raw = openai_client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    assert raw.headers["x-request-id"].startswith("req_")
    completion = raw.parse()
    span = only_span(span_exporter)
    assert span.attributes[sc.GEN_AI_RESPONSE_ID] == completion.id


def test_async_chat_stream_and_embeddings(llm_server, span_exporter):
    async def run() -> tuple[str, int]:
        async with llm_server.openai_client(async_client=True) as client:
            done = await client.chat.completions.create(model="gpt-4o", messages=USER)
            stream = await client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
            assert isinstance(stream, openai.AsyncStream)
            async with stream:
                async for _ in stream:
                    break
            vectors = await client.embeddings.create(model="text-embedding-3-small", input="x")
            return done.choices[0].message.content, len(vectors.data)

    assert asyncio.run(run()) == ("echo: Weather in Paris?", 1)
    chat, streamed, embedded = span_exporter.get_finished_spans()
    assert content(chat, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"][0]["content"] == "echo: Weather in Paris?"
    assert streamed.attributes[sc.GEN_AI_REQUEST_STREAM] is True and streamed.status.status_code is StatusCode.UNSET
    assert embedded.attributes[sc.GEN_AI_OPERATION_NAME] == "embeddings"


@needs_responses_api
def test_async_responses_stream_helper(llm_server, span_exporter):
    async def run() -> str:
        async with llm_server.openai_client(async_client=True) as client:
            async with client.responses.stream(model="gpt-4.1", input="hi") as stream:
                final = await stream.get_final_response()
            return final.output_text

    assert asyncio.run(run()) == "echo: hi"
    assert only_span(span_exporter).attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_async_error_is_recorded(llm_server, span_exporter):
    llm_server.queue(ErrorReply(500))

    async def run() -> None:
        async with llm_server.openai_client(async_client=True) as client:
            await client.chat.completions.create(model="gpt-4o", messages=USER)

    with pytest.raises(openai.InternalServerError):
        asyncio.run(run())
    assert only_span(span_exporter).attributes[sc.HTTP_RESPONSE_STATUS_CODE] == 500


def test_error_event_inside_a_chat_stream(llm_server, openai_client, span_exporter):
    llm_server.queue(Reply(text="one two three", fail_after=2))
    with pytest.raises(openai.APIError) as raised:
        list(openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    span = only_span(span_exporter)
    assert span.attributes[sc.ERROR_TYPE] == type(raised.value).__qualname__
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "one "}]


@needs_responses_api
def test_error_event_inside_a_responses_stream_fails_the_span(llm_server, openai_client, span_exporter):
    llm_server.queue(Reply(text="one two three", fail_after=5))
    kinds = [event.type for event in openai_client.responses.create(model="gpt-4.1", input="hi", stream=True)]
    assert kinds[-1] == "error"  # the client hands the event over instead of raising
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[sc.ERROR_TYPE] == "server_error"
    assert content(span, sc.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "one "}]
