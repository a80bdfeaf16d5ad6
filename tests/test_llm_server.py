"""The loopback LLM server speaks the OpenAI and Anthropic protocols well enough for the real clients."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request

import anthropic
import openai
import pytest

from agentops_otel.testing.llm_server import (
    FAKE_ANTHROPIC_KEY,
    FAKE_OPENAI_KEY,
    ErrorReply,
    LLMServer,
    Reply,
    Rule,
    ToolCall,
)
from tests._llm_compat import TRANSPORT_ERRORS, cached_tokens, chat_stream, needs_responses_api

pytest_plugins = ["tests._llm_fixtures"]
ANTHROPIC_MODEL = "claude-haiku-4-5"  # an id the client does not warn about

USER = [{"role": "user", "content": "What is the weather in Paris?"}]


def test_chat_completion_echoes_and_logs_the_request_unchanged(llm_server, openai_client):
    result = openai_client.chat.completions.create(model="gpt-4o-mini", messages=USER, temperature=0.2)
    assert result.choices[0].message.content == "echo: What is the weather in Paris?"
    assert result.choices[0].finish_reason == "stop"
    assert result.model == "gpt-4o-mini"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    (request,) = llm_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.json == {"model": "gpt-4o-mini", "messages": USER, "temperature": 0.2}
    assert request.headers["authorization"] == f"Bearer {FAKE_OPENAI_KEY}"


@pytest.mark.parametrize("include_usage", [True, False])
def test_chat_stream_sends_a_usage_chunk_only_when_asked(llm_server, openai_client, include_usage):
    llm_server.queue(Reply(text="It is sunny today", input_tokens=11, output_tokens=4, cached_tokens=3))
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    chunks = list(openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True, **options))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "It is sunny today"
    assert len(chunks) > 4  # one chunk per word, not one blob
    usages = [c.usage for c in chunks if c.usage is not None]
    if include_usage:
        (usage,) = usages
        assert chunks[-1].choices == []
        assert (usage.prompt_tokens, usage.completion_tokens) == (11, 4)
        assert cached_tokens(usage) == 3
    else:
        assert usages == []
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]


def test_chat_stream_tool_calls_reassemble_with_the_stream_helper(llm_server, openai_client):
    call = ToolCall("get_weather", {"city": "Paris", "unit": "celsius"}, id="call_fixed")
    llm_server.queue(Reply(tool_calls=[call, ToolCall("get_time", {"tz": "CET"})]))
    with chat_stream(openai_client, model="gpt-4o", messages=USER) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls] == [
        ("call_fixed", "get_weather", {"city": "Paris", "unit": "celsius"}),
        (message.tool_calls[1].id, "get_time", {"tz": "CET"}),
    ]
    assert message.tool_calls[1].id.startswith("call_")


@needs_responses_api
def test_responses_api_json_and_stream(llm_server, openai_client):
    reply = Reply(text="Sunny.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})], reasoning_tokens=2)
    llm_server.queue(reply, reply)
    response = openai_client.responses.create(model="gpt-4.1", input="weather?", instructions="Be brief")
    assert response.output_text == "Sunny."
    assert response.output[1].name == "get_weather" and json.loads(response.output[1].arguments) == {"city": "Paris"}
    assert response.usage.output_tokens_details.reasoning_tokens == 2
    with openai_client.responses.stream(model="gpt-4.1", input="weather?") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in kinds
    assert final.output_text == "Sunny." and final.usage.total_tokens > 0


def test_embeddings_are_deterministic_per_input(openai_client):
    first = openai_client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], dimensions=4)
    again = openai_client.embeddings.create(model="text-embedding-3-small", input="a", dimensions=4)
    assert [len(d.embedding) for d in first.data] == [4, 4]
    assert first.data[0].embedding == pytest.approx(again.data[0].embedding, abs=1e-6)
    assert first.data[0].embedding != first.data[1].embedding
    assert first.usage.prompt_tokens > 0


def test_anthropic_message_with_tool_use_and_cache_usage(llm_server, anthropic_client):
    llm_server.queue(
        Reply(
            text="Let me check.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
            cached_tokens=5,
            cache_creation_tokens=7,
            input_tokens=20,
            output_tokens=9,
        )
    )
    message = anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=100, messages=USER)
    assert message.stop_reason == "tool_use"
    assert message.content[0].text == "Let me check."
    assert (message.content[1].name, message.content[1].input) == ("get_weather", {"city": "Paris"})
    assert message.content[1].id.startswith("toolu_")
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (20, 9)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (5, 7)
    headers = llm_server.requests[0].headers
    assert FAKE_ANTHROPIC_KEY in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))


def test_anthropic_stream_helper_accumulates_text_and_tool_input(llm_server, anthropic_client):
    llm_server.queue(Reply(text="Checking the sky", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    with anthropic_client.messages.stream(model=ANTHROPIC_MODEL, max_tokens=100, messages=USER) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(texts) == "Checking the sky" and len(texts) == 3
    assert final.content[1].input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"


OPENAI_ERRORS = {400: openai.BadRequestError, 401: openai.AuthenticationError,
                 429: openai.RateLimitError, 500: openai.InternalServerError}  # fmt: skip
ANTHROPIC_ERRORS = {400: anthropic.BadRequestError, 401: anthropic.AuthenticationError,
                    429: anthropic.RateLimitError, 500: anthropic.InternalServerError}  # fmt: skip


@pytest.mark.parametrize("status", sorted(OPENAI_ERRORS))
def test_errors_are_provider_shaped(llm_server, openai_client, anthropic_client, status):
    llm_server.queue(ErrorReply(status, "nope"), ErrorReply(status, "nope"))
    with pytest.raises(OPENAI_ERRORS[status]) as oai:
        openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert oai.value.status_code == status and oai.value.body["message"] == "nope"
    with pytest.raises(ANTHROPIC_ERRORS[status]) as ant:
        anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=10, messages=USER)
    assert ant.value.status_code == status and ant.value.body["error"]["message"] == "nope"


def test_rate_limit_retry_after_is_honoured_by_a_retrying_client(llm_server):
    llm_server.queue(ErrorReply(429, retry_after=0))
    client = openai.OpenAI(base_url=llm_server.openai_base_url, api_key="sk-x", max_retries=1)
    with client:
        result = client.chat.completions.create(model="gpt-4o", messages=USER)
    assert result.choices[0].message.content.startswith("echo:")
    assert len(llm_server.requests) == 2


def test_connection_dropped_mid_stream_is_a_client_error(llm_server, openai_client, anthropic_client):
    llm_server.queue(Reply(text="one two three four five", drop_after=3))
    seen = []
    with pytest.raises((openai.APIConnectionError, *TRANSPORT_ERRORS)):
        for chunk in openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            seen.append(chunk)
    assert len(seen) == 3
    llm_server.queue(Reply(text="one two three", drop_after=4))
    with pytest.raises((anthropic.APIConnectionError, *TRANSPORT_ERRORS)):
        list(anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=9, messages=USER, stream=True))
    llm_server.queue(Reply(text="never sent", drop_after=0))
    with pytest.raises((openai.APIConnectionError, *TRANSPORT_ERRORS)):
        openai_client.chat.completions.create(model="gpt-4o", messages=USER)


def test_slow_reply_lets_a_client_time_out(llm_server):
    llm_server.queue(Reply(text="late", delay=60))
    client = openai.OpenAI(base_url=llm_server.openai_base_url, api_key="sk-x", max_retries=0, timeout=0.3)
    with client, pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o", messages=USER)


def test_rules_script_a_tool_using_agent_loop(llm_server, openai_client):
    llm_server.add_rule(Rule(after_tool_result=True, reply=Reply(text="It is 21C in Paris.")))
    llm_server.add_rule(
        Rule(contains="weather", tool_offered="get_weather",
             reply=Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_1")]))
    )  # fmt: skip
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    messages: list = list(USER)
    first = openai_client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "21C"}]  # fmt: skip
    second = openai_client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    assert second.choices[0].message.content == "It is 21C in Paris."
    without_tools = openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert without_tools.choices[0].message.content.startswith("echo:")


def test_concurrent_clients_each_get_their_own_answer(llm_server, openai_client):
    answers: dict[int, str] = {}

    def ask(i: int) -> None:
        result = openai_client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"question {i}"}]
        )
        answers[i] = result.choices[0].message.content

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == {i: f"echo: question {i}" for i in range(8)}
    assert len(llm_server.requests) == 8


def test_async_openai_stream(llm_server):
    async def run() -> list[str]:
        async with llm_server.openai_client(async_client=True) as client:
            stream = await client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
            return [c.choices[0].delta.content async for c in stream if c.choices[0].delta.content]

    assert "".join(asyncio.run(run())) == "echo: What is the weather in Paris?"


@pytest.mark.parametrize(
    ("path", "body", "status", "shape"),
    [
        ("/v1/chat/completions", b"{not json", 400, "error"),
        ("/v1/chat/completions", b"[1, 2]", 400, "error"),
        ("/v1/unknown", b"{}", 404, "error"),
    ],
)
def test_bad_requests_get_provider_shaped_errors(llm_server, path, body, status, shape):
    request = urllib.request.Request(llm_server.base_url + path, data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=5)
    assert failure.value.code == status
    assert shape in json.loads(failure.value.read())
    failure.value.close()


def test_stop_does_not_wait_for_a_slow_reply():
    server = LLMServer().start()
    server.queue(Reply(text="late", delay=600))
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-x", max_retries=0, timeout=5)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="gpt-4o", messages=USER)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    while not server.requests:
        threading.Event().wait(0.01)
    server.stop()
    worker.join(timeout=10)
    client.close()
    assert not worker.is_alive()
