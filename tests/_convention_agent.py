"""A small tool-using agent, run under one real third-party instrumentation (a script: `python
tests/_convention_agent.py WHICH OUT`), as a user who already runs OpenTelemetry would.

It runs the agent twice against the loopback LLM server: first with only the user's own exporter
(OUT.raw.jsonl: what a reader finds in their stack), then after `init(tracer_provider=...)` inside a
session (OUT.live.jsonl: what the same exporter gets with us in front of it). It prints the session
as `get_session()` reads it live, as JSON.

WHICH: openai-v2, openinference-openai, openinference-openai+ours (our instrumentation too),
openinference-anthropic, traceloop-anthropic, ours-anthropic. The anthropic SDK (>= 2) also traces
itself on the global provider, beside or inside whichever instrumentation is on.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall

WHICH, OUT = sys.argv[1], sys.argv[2]
ANTHROPIC = "anthropic" in WHICH
MODEL = "claude-3-5-haiku-20241022" if ANTHROPIC else "gpt-4o-mini-2024-07-18"
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
OPENAI_TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}]
ANTHROPIC_TOOLS = [{"name": "get_weather", "input_schema": SCHEMA}]

provider = TracerProvider()
mine = InMemorySpanExporter()
provider.add_span_processor(SimpleSpanProcessor(mine))
trace.set_tracer_provider(provider)
if WHICH.startswith("openinference-openai"):
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)
elif WHICH == "openai-v2":
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)
elif WHICH == "openinference-anthropic":
    from openinference.instrumentation.anthropic import AnthropicInstrumentor

    AnthropicInstrumentor().instrument(tracer_provider=provider)
elif WHICH == "traceloop-anthropic":
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

    AnthropicInstrumentor().instrument(tracer_provider=provider)


def agent(server: LLMServer, tool: Any) -> None:
    cache_write = 10 if ANTHROPIC else 0
    server.queue(
        Reply(
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
            model=MODEL,
            input_tokens=120,
            output_tokens=12,
            cached_tokens=20,
            cache_creation_tokens=cache_write,
        ),
        Reply(text="Sunny in Paris.", model=MODEL, input_tokens=150, output_tokens=6, cached_tokens=40),
    )
    with provider.get_tracer("app").start_as_current_span("agent run"):
        question = {"role": "user", "content": "Weather in Paris?"}
        if ANTHROPIC:
            import anthropic

            client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
            first = client.messages.create(
                model="claude-3-5-haiku-latest", max_tokens=100, messages=[question], tools=ANTHROPIC_TOOLS
            )
            use = next(block for block in first.content if block.type == "tool_use")
            answer = {"type": "tool_result", "tool_use_id": use.id, "content": tool(**use.input)}
            history = [
                question,
                {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
                {"role": "user", "content": [answer]},
            ]
            client.messages.create(
                model="claude-3-5-haiku-latest", max_tokens=100, messages=history, tools=ANTHROPIC_TOOLS
            )
            return
        with server.openai_client() as oai:
            reply = oai.chat.completions.create(model="gpt-4o-mini", messages=[question], tools=OPENAI_TOOLS)
            message = reply.choices[0].message
            call = message.tool_calls[0]
            result = {"role": "tool", "tool_call_id": call.id, "content": tool(**json.loads(call.function.arguments))}
            history = [question, message.model_dump(exclude_none=True), result]
            oai.chat.completions.create(model="gpt-4o-mini", messages=history, tools=OPENAI_TOOLS)


def write(path: str) -> None:
    """The exporter's spans as the Collector's file exporter writes them (one TracesData, protobuf JSON)."""
    with open(path, "w", encoding="utf-8") as file:
        file.write(json.dumps(MessageToDict(encode_spans(mine.get_finished_spans()))) + "\n")
    mine.clear()


with LLMServer() as server:
    agent(server, lambda city: f"sunny in {city}")
    write(OUT + ".raw.jsonl")

    import agentops_otel as agentops

    ours = WHICH.endswith("+ours") or WHICH.startswith("ours-")
    agentops.init(tracer_provider=provider, store=False, instrument_llm=ours)

    @agentops.record_tool("get_weather")
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    with agentops.session("weather") as handle:
        agent(server, get_weather)
    write(OUT + ".live.jsonl")
    session = handle.get()
    print(
        json.dumps(
            {
                "steps": [[step.kind, step.name] for step in session.steps],
                "usage": session.usage.to_dict(),
                "llm_calls": session.llm_calls,
                "cost": session.cost,
                "end_state": session.end_state,
                "trace_id": session.trace_id,
            }
        )
    )
