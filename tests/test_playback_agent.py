"""A small tool-using agent for the playback tests, recorded as GenAI spans, and checks of that recording.

The agent answers refund requests: the model asks for `lookup_order` (one or more orders at once), then
for `refund`; `refund` fails above 100 (the scripted failure, like the demo's). Each LLM call is recorded
as a `chat {model}` span in the upstream GenAI format (what the OpenAI / Anthropic instrumentations
record), so playback reads the same shape it will read from production traces. The agent returns what
it observed of each call, so a live run and a played-back run can be compared exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry import trace

import agentops_otel
from agentops_otel import semconv as sc
from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall

SYSTEM = "You settle refund requests. Look orders up before refunding."
QUESTION = "Please refund my orders A1 and B2."

ORDERS = {"A1": {"amount": 30, "status": "delivered"}, "B2": {"amount": 250, "status": "delivered"}}


@agentops_otel.record_tool("lookup_order")
def lookup_order(order_id: str) -> dict[str, Any]:
    return {"order_id": order_id, **ORDERS[order_id]}


@agentops_otel.record_tool("refund")
def refund(order_id: str, amount: int) -> str:
    if amount > 100:
        raise ValueError(f"refund of {amount} needs a manager")
    return f"refunded {amount} on {order_id}"


TOOLS = {"lookup_order": lookup_order, "refund": refund}


def script(server: LLMServer) -> None:
    """The model's side of a run that ends in the refund failure."""
    server.queue(
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A1"}), ToolCall("lookup_order", {"order_id": "B2"})]),
        Reply(text="Refunding B2.", tool_calls=[ToolCall("refund", {"order_id": "B2", "amount": 250})]),
    )


@dataclass
class Observed:
    """What the agent saw of one LLM call."""

    response_id: str | None
    model: str | None
    text: str
    tool_calls: list[tuple[str | None, str, dict[str, Any]]]
    finish_reason: str | None
    usage: tuple[int, int] | None = None


@dataclass
class Run:
    calls: list[Observed] = field(default_factory=list)
    tool_results: list[Any] = field(default_factory=list)
    error: str | None = None


# Recording: one `chat {model}` span per call, content in the upstream GenAI message format.


def _genai_openai(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for m in messages:
        if m["role"] == "tool":
            result.append(
                {
                    "role": "tool",
                    "parts": [{"type": "tool_call_response", "id": m["tool_call_id"], "response": m["content"]}],
                }
            )
            continue
        parts: list[dict[str, Any]] = [{"type": "text", "content": m["content"]}] if m.get("content") else []
        for c in m.get("tool_calls") or ():
            args = json.loads(c["function"]["arguments"])
            parts.append({"type": "tool_call", "id": c["id"], "name": c["function"]["name"], "arguments": args})
        result.append({"role": m["role"], "parts": parts})
    return result


def _genai_anthropic(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for m in messages:
        blocks = [{"type": "text", "text": m["content"]}] if isinstance(m["content"], str) else m["content"]
        parts = []
        for b in blocks:
            if b["type"] == "text":
                parts.append({"type": "text", "content": b["text"]})
            elif b["type"] == "tool_use":
                parts.append({"type": "tool_call", "id": b["id"], "name": b["name"], "arguments": b["input"]})
            elif b["type"] == "tool_result":
                parts.append({"type": "tool_call_response", "id": b["tool_use_id"], "response": b["content"]})
        result.append({"role": m["role"], "parts": parts})
    return result


def _instrumentors() -> list[Any]:
    from agentops_otel.instrumentation.anthropic import AnthropicInstrumentor
    from agentops_otel.instrumentation.openai import OpenAIInstrumentor

    return [OpenAIInstrumentor(), AnthropicInstrumentor()]  # singletons: the ones init() installs


@contextmanager
def instrumented_clients(**options: Any) -> Iterator[None]:
    """Our OpenAI and Anthropic instrumentation into the pipeline's provider, restored afterwards."""
    provider = agentops_otel.init(store=False, instrument_llm=False)
    instrumentors = _instrumentors()
    previous = {id(i): dict(getattr(i, "instrumented_with", {})) for i in instrumentors}
    was_on = {id(i) for i in instrumentors if i.is_instrumented_by_opentelemetry}
    for instrumentor in instrumentors:
        if id(instrumentor) in was_on:
            instrumentor.uninstrument()
        instrumentor.instrument(tracer_provider=provider, **options)
    try:
        yield
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
            if id(instrumentor) in was_on:
                instrumentor.instrument(**previous[id(instrumentor)])


class _NoSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        pass


@contextmanager
def llm_span(provider: str, model: str, input_messages: list[dict[str, Any]], system: str | None) -> Iterator[Any]:
    """The call's GenAI span, unless our instrumentation is on and records it itself."""
    if _instrumentors()[provider == "anthropic"].is_instrumented_by_opentelemetry:
        yield _NoSpan()
        return
    tracer = trace.get_tracer("tests.playback")
    attributes = {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: provider,
        sc.GEN_AI_REQUEST_MODEL: model,
        sc.GEN_AI_INPUT_MESSAGES: json.dumps(input_messages),
    }
    if system is not None:
        attributes[sc.GEN_AI_SYSTEM_INSTRUCTIONS] = json.dumps([{"type": "text", "content": system}])
    with tracer.start_as_current_span(f"chat {model}", kind=trace.SpanKind.CLIENT, attributes=attributes) as span:
        yield span


def _finish_span(span: Any, seen: Observed) -> None:
    parts: list[dict[str, Any]] = [{"type": "text", "content": seen.text}] if seen.text else []
    parts += [{"type": "tool_call", "id": i, "name": n, "arguments": a} for i, n, a in seen.tool_calls]
    output = [{"role": "assistant", "parts": parts, "finish_reason": seen.finish_reason}]
    span.set_attribute(sc.GEN_AI_OUTPUT_MESSAGES, json.dumps(output))
    span.set_attribute(sc.GEN_AI_RESPONSE_ID, seen.response_id or "")
    span.set_attribute(sc.GEN_AI_RESPONSE_MODEL, seen.model or "")
    span.set_attribute(sc.GEN_AI_RESPONSE_FINISH_REASONS, [seen.finish_reason or ""])
    if seen.usage:
        span.set_attribute(sc.GEN_AI_USAGE_INPUT_TOKENS, seen.usage[0])
        span.set_attribute(sc.GEN_AI_USAGE_OUTPUT_TOKENS, seen.usage[1])


# The agent, OpenAI flavour (sync, async; plain or streaming)


def _openai_observed(completion: Any) -> Observed:
    choice = completion.choices[0]
    calls = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls or ()]
    usage = (completion.usage.prompt_tokens, completion.usage.completion_tokens) if completion.usage else None
    return Observed(completion.id, completion.model, choice.message.content or "", calls, choice.finish_reason, usage)


class _ChunkCollector:
    def __init__(self) -> None:
        self.seen = Observed(None, None, "", [], None)
        self._calls: dict[int, list[Any]] = {}

    def add(self, chunk: Any) -> None:
        self.seen.response_id, self.seen.model = chunk.id, chunk.model
        if chunk.usage:
            self.seen.usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        for choice in chunk.choices:
            self.seen.text += choice.delta.content or ""
            self.seen.finish_reason = choice.finish_reason or self.seen.finish_reason
            for call in choice.delta.tool_calls or ():
                entry = self._calls.setdefault(call.index, [None, "", ""])
                entry[0] = call.id or entry[0]
                entry[1] += call.function.name or "" if call.function else ""
                entry[2] += call.function.arguments or "" if call.function else ""

    def result(self) -> Observed:
        self.seen.tool_calls = [(i, n, json.loads(a)) for i, n, a in self._calls.values()]
        return self.seen


def _openai_request(messages: list[dict[str, Any]], model: str, stream: bool) -> dict[str, Any]:
    request: dict[str, Any] = {"model": model, "messages": list(messages)}
    if stream:
        request |= {"stream": True, "stream_options": {"include_usage": True}}
    return request


def _after_openai_call(messages: list[dict[str, Any]], seen: Observed, run: Run, reverse_tools: bool) -> bool:
    """Run the tools the model asked for; False when the model answered without tools."""
    run.calls.append(seen)
    if not seen.tool_calls:
        return False
    calls = [
        {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, n, a in seen.tool_calls
    ]
    messages.append({"role": "assistant", "content": seen.text or None, "tool_calls": calls})
    for call_id, name, args in reversed(seen.tool_calls) if reverse_tools else seen.tool_calls:
        result = TOOLS[name](**args)
        run.tool_results.append(result)
        messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)})
    return True


def openai_agent(
    client: Any, *, stream: bool = False, system: str = SYSTEM, reverse_tools: bool = False, model: str = "gpt-4o"
) -> Run:
    run = Run()
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": QUESTION}]
    try:
        for _ in range(5):
            with llm_span("openai", model, _genai_openai(messages), None) as span:
                request = _openai_request(messages, model, stream)
                if stream:
                    collector = _ChunkCollector()
                    for chunk in client.chat.completions.create(**request):
                        collector.add(chunk)
                    seen = collector.result()
                else:
                    seen = _openai_observed(client.chat.completions.create(**request))
                _finish_span(span, seen)
            if not _after_openai_call(messages, seen, run, reverse_tools):
                break
    except ValueError as exc:
        run.error = f"ValueError: {exc}"
    return run


async def openai_agent_async(client: Any, *, stream: bool = False, model: str = "gpt-4o") -> Run:
    run = Run()
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    try:
        for _ in range(5):
            with llm_span("openai", model, _genai_openai(messages), None) as span:
                request = _openai_request(messages, model, stream)
                if stream:
                    collector = _ChunkCollector()
                    async for chunk in await client.chat.completions.create(**request):
                        collector.add(chunk)
                    seen = collector.result()
                else:
                    seen = _openai_observed(await client.chat.completions.create(**request))
                _finish_span(span, seen)
            if not _after_openai_call(messages, seen, run, False):
                break
    except ValueError as exc:
        run.error = f"ValueError: {exc}"
    return run


# The agent, Anthropic flavour


def _anthropic_observed(message: Any) -> Observed:
    text = "".join(b.text for b in message.content if b.type == "text")
    calls = [(b.id, b.name, dict(b.input)) for b in message.content if b.type == "tool_use"]
    usage = (message.usage.input_tokens, message.usage.output_tokens)
    return Observed(message.id, message.model, text, calls, message.stop_reason, usage)


def _after_anthropic_call(messages: list[dict[str, Any]], seen: Observed, run: Run) -> bool:
    run.calls.append(seen)
    if not seen.tool_calls:
        return False
    blocks: list[dict[str, Any]] = [{"type": "text", "text": seen.text}] if seen.text else []
    blocks += [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in seen.tool_calls]
    messages.append({"role": "assistant", "content": blocks})
    results = []
    for call_id, name, args in seen.tool_calls:
        result = TOOLS[name](**args)
        run.tool_results.append(result)
        results.append({"type": "tool_result", "tool_use_id": call_id, "content": json.dumps(result)})
    messages.append({"role": "user", "content": results})
    return True


def anthropic_agent(client: Any, *, stream: bool = False, model: str = "claude-loopback-1") -> Run:
    run = Run()
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    try:
        for _ in range(5):
            with llm_span("anthropic", model, _genai_anthropic(messages), SYSTEM) as span:
                request = {"model": model, "system": SYSTEM, "messages": list(messages), "max_tokens": 256}
                if stream:
                    with client.messages.stream(**request) as events:
                        seen = _anthropic_observed(events.get_final_message())
                else:
                    seen = _anthropic_observed(client.messages.create(**request))
                _finish_span(span, seen)
            if not _after_anthropic_call(messages, seen, run):
                break
    except ValueError as exc:
        run.error = f"ValueError: {exc}"
    return run


async def anthropic_agent_async(client: Any, *, stream: bool = False, model: str = "claude-loopback-1") -> Run:
    run = Run()
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    try:
        for _ in range(5):
            with llm_span("anthropic", model, _genai_anthropic(messages), SYSTEM) as span:
                request = {"model": model, "system": SYSTEM, "messages": list(messages), "max_tokens": 256}
                if stream:
                    async with client.messages.stream(**request) as events:
                        seen = _anthropic_observed(await events.get_final_message())
                else:
                    seen = _anthropic_observed(await client.messages.create(**request))
                _finish_span(span, seen)
            if not _after_anthropic_call(messages, seen, run):
                break
    except ValueError as exc:
        run.error = f"ValueError: {exc}"
    return run


# Checks of the recording itself: the playback tests rest on it.


def record(run_agent: Any) -> tuple[Run, agentops_otel.Session]:
    """Run the agent inside a session and return what it saw and the recorded session."""
    agentops_otel.init(store=False, instrument_llm=False)
    with agentops_otel.session("refund-agent"):
        run = run_agent()
    return run, agentops_otel.get_session()


def test_a_live_run_ends_in_the_refund_failure_and_records_every_llm_call_with_content() -> None:
    with LLMServer() as server:
        script(server)
        client = server.openai_client()
        run, session = record(lambda: openai_agent(client))
        client.close()
    assert run.error == "ValueError: refund of 250 needs a manager"
    assert [s.kind for s in session.steps] == ["llm", "tool", "tool", "llm", "tool"]
    first = session.llm_events[0]
    assert first.provider == "openai"
    assert first.params[1] == {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}
    assert first.returns[0]["parts"][0]["name"] == "lookup_order"


@pytest.fixture(autouse=True)
def _no_open_sessions() -> Iterator[None]:
    yield
    agentops_otel.end_all_sessions()
