"""One small agent run per GenAI convention, as each instrumentation shapes its spans.

Written from each project's public semantic conventions and from spans their packages emitted against
a loopback server (OpenTelemetry GenAI 1.41 and the GenAI repository's emitters, OpenInference 0.1.42,
OpenLLMetry 0.4x and 0.5x, OpenLIT 1.45, pydantic-ai 2.68 under Logfire, the anthropic SDK's own
tracing, the OpenAI Agents SDK under OpenInference and under OpenTelemetry). The runs are emitted through
a real SDK tracer, with each attribute set when that instrumentation sets it (OpenInference names the
span kind only when a call ends), so a test can read them live (through the cost processor) and from an
OTLP JSON file alike.

Adding a convention to the map is one table in `agentops_otel/_conventions/_tables.py` and one `Shape` here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from agentops_otel import semconv as sc

CLIENT, INTERNAL = SpanKind.CLIENT, SpanKind.INTERNAL


@dataclass
class S:
    """One span: attributes set when it starts, attributes set just before it ends, its children."""

    name: str
    start: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] = field(default_factory=dict)
    children: list[S] = field(default_factory=list)
    kind: SpanKind = INTERNAL
    error: str | None = None  # status ERROR with this description, and an exception event
    scope: str = "tests.conventions"


@dataclass
class Shape:
    convention: str
    root: S
    steps: list[tuple[str, str]]  # (kind, name) in time order
    usage: tuple[int, int, int, int, int]  # input, output, cache read, cache write, reasoning
    llm_calls: int
    # (provider id for genai-prices, model, tokens) of each call genai-prices prices; plus recorded USD
    priced: list[tuple[str, str, tuple[int, int, int, int, int]]] = field(default_factory=list)
    recorded_usd: float = 0.0
    cost_known: bool = True
    end_state: str = "Indeterminate"
    contents: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # step name -> (params, returns)


def emit(provider: Any, node: S, clock: Iterator[int]) -> None:
    """Emit `node` and its children, each span started and ended at the next tick of `clock`."""
    tracer = provider.get_tracer(node.scope)
    span = tracer.start_span(node.name, kind=node.kind, attributes=node.start, start_time=next(clock))
    with trace.use_span(span, end_on_exit=False):
        for child in node.children:
            emit(provider, child, clock)
    span.set_attributes(node.end)
    if node.error:
        span.record_exception(RuntimeError(node.error))
        span.set_status(Status(StatusCode.ERROR, node.error))
    span.end(end_time=next(clock))


def ticks(start: int = 1_760_000_000_000_000_000, step: int = 1_000_000) -> Iterator[int]:
    value = start
    while True:
        value += step
        yield value


def messages(*pairs: tuple[str, str]) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]} for role, text in pairs])


WEATHER_CALL = json.dumps(
    [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
        }
    ]
)

# OpenTelemetry GenAI, as util-genai 1.3 and the GenAI repository's instrumentations emit it.
GENAI = Shape(
    "OpenTelemetry GenAI",
    S(
        "invoke_workflow support",
        {sc.GEN_AI_OPERATION_NAME: "invoke_workflow", sc.GEN_AI_WORKFLOW_NAME: "support"},
        {sc.GEN_AI_INPUT_MESSAGES: messages(("user", "Weather in Paris?"))},
        [
            S(
                "invoke_agent helper",
                {sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: "helper"},
                children=[
                    S(
                        "chat gpt-4o-mini",
                        {
                            sc.GEN_AI_OPERATION_NAME: "chat",
                            sc.GEN_AI_PROVIDER_NAME: "openai",
                            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                        },
                        {
                            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                            sc.GEN_AI_USAGE_INPUT_TOKENS: 30,
                            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 10,
                            sc.GEN_AI_INPUT_MESSAGES: messages(("user", "Weather in Paris?")),
                            sc.GEN_AI_OUTPUT_MESSAGES: WEATHER_CALL,
                        },
                        kind=CLIENT,
                    ),
                    S(
                        "execute_tool get_weather",
                        {sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.GEN_AI_TOOL_NAME: "get_weather"},
                        {sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"city":"Paris"}', sc.GEN_AI_TOOL_CALL_RESULT: "sunny"},
                    ),
                    S(
                        "chat claude-3-5-haiku-latest",
                        {
                            sc.GEN_AI_OPERATION_NAME: "chat",
                            sc.GEN_AI_PROVIDER_NAME: "anthropic",
                            sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest",
                        },
                        {  # the GenAI repository's spelling of cache writes; input counts the cache
                            sc.GEN_AI_RESPONSE_MODEL: "claude-3-5-haiku-20241022",
                            sc.GEN_AI_USAGE_INPUT_TOKENS: 27,
                            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 8,
                            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 4,
                            sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 3,
                        },
                        kind=CLIENT,
                    ),
                ],
            )
        ],
    ),
    steps=[
        ("workflow", "support"),
        ("agent", "helper"),
        ("llm", "gpt-4o-mini-2024-07-18"),
        ("tool", "get_weather"),
        ("llm", "claude-3-5-haiku-20241022"),
    ],
    usage=(57, 18, 4, 3, 0),
    llm_calls=2,
    priced=[
        ("openai", "gpt-4o-mini-2024-07-18", (30, 10, 0, 0, 0)),
        ("anthropic", "claude-3-5-haiku-20241022", (27, 8, 4, 3, 0)),
    ],
    contents={"get_weather": ({"city": "Paris"}, "sunny")},
)

OI_LLM_START = {
    sc.LLM_SYSTEM: "openai",
    sc.INPUT_VALUE: '{"model": "gpt-4o-mini"}',
    sc.INPUT_MIME_TYPE: "application/json",
}

# OpenInference (openai instrumentation inside an agent; span kinds set when each span ends).
OPENINFERENCE = Shape(
    "OpenInference",
    S(
        "weather_agent",
        {sc.AGENT_NAME: "weather_agent"},
        # An agent span that sums its children's usage: never counted or priced.
        {sc.OPENINFERENCE_SPAN_KIND: "AGENT", sc.LLM_TOKEN_COUNT_PROMPT: 50, sc.LLM_TOKEN_COUNT_COMPLETION: 18},
        [
            S(
                "ChatCompletion",
                {**OI_LLM_START, "llm.input_messages.0.message.role": "user"},
                {
                    "llm.input_messages.0.message.content": "Weather in Paris?",
                    sc.LLM_MODEL_NAME: "gpt-4o-mini-2024-07-18",
                    sc.LLM_TOKEN_COUNT_PROMPT: 30,
                    sc.LLM_TOKEN_COUNT_COMPLETION: 10,
                    sc.LLM_TOKEN_COUNT_TOTAL: 40,
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
                    sc.OPENINFERENCE_SPAN_KIND: "LLM",
                },
            ),
            S(
                "get_weather",
                {sc.TOOL_NAME: "get_weather", sc.INPUT_VALUE: '{"city": "Paris"}'},
                {sc.OUTPUT_VALUE: "sunny in Paris", sc.OPENINFERENCE_SPAN_KIND: "TOOL"},
            ),
            S(
                "ChatCompletion",
                {**OI_LLM_START, "llm.input_messages.0.message.role": "tool"},
                {
                    "llm.input_messages.0.message.tool_call_id": "call_1",
                    "llm.input_messages.0.message.content": "sunny in Paris",
                    sc.LLM_MODEL_NAME: "gpt-4o-mini-2024-07-18",
                    sc.LLM_TOKEN_COUNT_PROMPT: 20,
                    sc.LLM_TOKEN_COUNT_COMPLETION: 8,
                    sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ: 5,
                    sc.LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING: 2,
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.contents.0.message_content.type": "text",
                    "llm.output_messages.0.message.contents.0.message_content.text": "Sunny.",
                    sc.OPENINFERENCE_SPAN_KIND: "LLM",
                },
            ),
            S(  # a failed call: no model in the response attributes, the request parameters say it
                "ChatCompletion",
                {**OI_LLM_START, sc.LLM_INVOCATION_PARAMETERS: '{"model": "gpt-4o-mini"}'},
                {sc.OPENINFERENCE_SPAN_KIND: "LLM"},
                error="InternalServerError: Error code: 500",
            ),
        ],
    ),
    steps=[
        ("agent", "weather_agent"),
        ("llm", "gpt-4o-mini-2024-07-18"),
        ("tool", "get_weather"),
        ("llm", "gpt-4o-mini-2024-07-18"),
        ("llm", "gpt-4o-mini"),
    ],
    usage=(50, 18, 5, 0, 2),
    llm_calls=3,
    priced=[
        ("openai", "gpt-4o-mini-2024-07-18", (30, 10, 0, 0, 0)),
        ("openai", "gpt-4o-mini-2024-07-18", (20, 8, 5, 0, 2)),
    ],
    cost_known=False,  # the failed call reports no usage
    end_state="Fail",
    contents={
        "get_weather": ({"city": "Paris"}, "sunny in Paris"),
    },
)

# The anthropic SDK (>= 2) traces itself inside OpenInference's LLM span: one call, counted once.
ANTHROPIC_NESTED = Shape(
    "anthropic SDK inside OpenInference",
    S(
        "messages.create",
        {
            sc.LLM_PROVIDER: "anthropic",
            sc.LLM_SYSTEM: "anthropic",
            sc.LLM_REQUEST_MODEL_NAME: "claude-3-5-haiku-latest",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Capital of France?",
        },
        {
            sc.LLM_MODEL_NAME: "claude-3-5-haiku-20241022",
            sc.LLM_TOKEN_COUNT_PROMPT: 27,
            sc.LLM_TOKEN_COUNT_COMPLETION: 8,
            sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ: 4,
            sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE: 3,
            sc.OPENINFERENCE_SPAN_KIND: "LLM",
        },
        [
            S(
                "anthropic.messages.create",
                {
                    sc.GEN_AI_PROVIDER_NAME: "anthropic",
                    sc.GEN_AI_OPERATION_NAME: "chat",
                    sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest",
                },
                {
                    sc.GEN_AI_USAGE_INPUT_TOKENS: 27,
                    sc.GEN_AI_RESPONSE_MODEL: "claude-3-5-haiku-20241022",
                    sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 3,
                    sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 4,
                    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 8,
                },
                kind=CLIENT,
                scope="com.anthropic.sdk.python",
            )
        ],
    ),
    steps=[("llm", "claude-3-5-haiku-20241022"), ("other", "anthropic.messages.create")],
    usage=(27, 8, 4, 3, 0),
    llm_calls=1,
    priced=[("anthropic", "claude-3-5-haiku-20241022", (27, 8, 4, 3, 0))],
)

# OpenLLMetry 0.5x: SDK decorators around its openai instrumentation.
TRACELOOP = Shape(
    "OpenLLMetry",
    S(
        "weather.workflow",
        {
            sc.TRACELOOP_SPAN_KIND: "workflow",
            sc.TRACELOOP_ENTITY_NAME: "weather",
            sc.TRACELOOP_WORKFLOW_NAME: "weather",
        },
        {
            sc.TRACELOOP_ENTITY_INPUT: '{"args": ["Weather in Paris?"], "kwargs": {}}',
            sc.TRACELOOP_ENTITY_OUTPUT: '"Sunny."',
        },
        [
            S(
                "get_weather.tool",
                {sc.TRACELOOP_SPAN_KIND: "tool", sc.TRACELOOP_ENTITY_NAME: "get_weather", sc.GEN_AI_AGENT_NAME: "w"},
                {
                    sc.TRACELOOP_ENTITY_INPUT: '{"args": [], "kwargs": {"city": "Paris"}}',
                    sc.TRACELOOP_ENTITY_OUTPUT: '"sunny"',
                },
            ),
            S(
                "summarize.task",
                {sc.TRACELOOP_SPAN_KIND: "task", sc.TRACELOOP_ENTITY_NAME: "summarize"},
                children=[
                    S(
                        "openai.chat",
                        {
                            sc.GEN_AI_OPERATION_NAME: "chat",
                            sc.GEN_AI_PROVIDER_NAME: "openai",
                            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                        },
                        {
                            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                            sc.GEN_AI_USAGE_INPUT_TOKENS: 20,
                            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 8,
                            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 5,
                            sc.GEN_AI_USAGE_REASONING_TOKENS: 2,
                        },
                        kind=CLIENT,
                    )
                ],
            ),
        ],
    ),
    steps=[
        ("workflow", "weather"),
        ("tool", "get_weather"),
        ("action", "summarize"),
        ("llm", "gpt-4o-mini-2024-07-18"),
    ],
    usage=(20, 8, 5, 0, 2),
    llm_calls=1,
    priced=[("openai", "gpt-4o-mini-2024-07-18", (20, 8, 5, 0, 2))],
    contents={"get_weather": ({"city": "Paris"}, "sunny"), "weather": ("Weather in Paris?", "Sunny.")},
)

# OpenLLMetry 0.4x: the previous LLM attribute names (indexed prompts, prompt_tokens, "Anthropic").
TRACELOOP_0_4 = Shape(
    "OpenLLMetry 0.4x",
    S(
        "anthropic.chat",
        {
            sc.GEN_AI_SYSTEM: "Anthropic",
            sc.LLM_REQUEST_TYPE: "completion",
            sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest",
            "gen_ai.prompt.0.role": "system",
            "gen_ai.prompt.0.content": "Be brief.",
            "gen_ai.prompt.1.role": "user",
            "gen_ai.prompt.1.content": "Capital of France?",
        },
        {
            sc.GEN_AI_RESPONSE_MODEL: "claude-3-5-haiku-20241022",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "Paris.",
            sc.GEN_AI_USAGE_PROMPT_TOKENS: 27,
            sc.GEN_AI_USAGE_COMPLETION_TOKENS: 8,
            "gen_ai.usage.cache_read_input_tokens": 4,
            "gen_ai.usage.cache_creation_input_tokens": 3,
        },
        kind=CLIENT,
    ),
    steps=[("llm", "claude-3-5-haiku-20241022")],
    usage=(27, 8, 4, 3, 0),
    llm_calls=1,
    priced=[("anthropic", "claude-3-5-haiku-20241022", (27, 8, 4, 3, 0))],
    contents={
        "claude-3-5-haiku-20241022": (
            [
                {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]},
            ],
            [{"role": "assistant", "parts": [{"type": "text", "content": "Paris."}]}],
        )
    },
)

OPENLIT_SDK = {sc.TELEMETRY_SDK_NAME: "openlit"}

# OpenLIT: its own cost (0 when its price list does not know the model), Anthropic input without the
# cache tokens, and httpx POST spans under every LLM span.
OPENLIT = Shape(
    "OpenLIT",
    S(
        "chat claude-3-5-haiku-latest",
        {
            **OPENLIT_SDK,
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "anthropic",
            sc.GEN_AI_REQUEST_MODEL: "claude-3-5-haiku-latest",
        },
        {
            sc.GEN_AI_RESPONSE_MODEL: "claude-3-5-haiku-20241022",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 20,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 8,
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 4,
            sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: 3,
            sc.GEN_AI_USAGE_COST: 0,
        },
        [S("POST", {"http.request.method": "POST"}, kind=CLIENT, scope="opentelemetry.instrumentation.httpx")],
        kind=CLIENT,
    ),
    steps=[("llm", "claude-3-5-haiku-20241022"), ("other", "POST")],
    usage=(27, 8, 4, 3, 0),
    llm_calls=1,
    priced=[("anthropic", "claude-3-5-haiku-20241022", (27, 8, 4, 3, 0))],
)

# OpenLIT on a model genai-prices does not know: its own recorded cost stands (its source named).
OPENLIT_RECORDED = Shape(
    "OpenLIT, recorded cost",
    S(
        "chat my-finetune",
        {**OPENLIT_SDK, sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: "openai"},
        {
            sc.GEN_AI_RESPONSE_MODEL: "my-finetune-7b",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 100,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 10,
            sc.GEN_AI_USAGE_COST: 0.00042,
        },
        kind=CLIENT,
    ),
    steps=[("llm", "my-finetune-7b")],
    usage=(100, 10, 0, 0, 0),
    llm_calls=1,
    recorded_usd=0.00042,
)

PYDANTIC_CHAT = {
    sc.GEN_AI_OPERATION_NAME: "chat",
    sc.GEN_AI_PROVIDER_NAME: "openai",
    sc.GEN_AI_SYSTEM: "openai",
    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    sc.GEN_AI_AGENT_NAME: "weather_agent",
}

# pydantic-ai under Logfire (instrumentation version 5): aggregated usage on the agent, operation.cost
# on each call, tool results spelled `result` in the message parts.
PYDANTIC_AI = Shape(
    "pydantic-ai",
    S(
        "invoke_agent weather_agent",
        {
            sc.GEN_AI_OPERATION_NAME: "invoke_agent",
            sc.GEN_AI_AGENT_NAME: "weather_agent",
            "agent_name": "weather_agent",
        },
        {
            sc.FINAL_RESULT: "Sunny.",
            sc.PYDANTIC_AI_ALL_MESSAGES: messages(("user", "Weather in Paris?")),
            "gen_ai.aggregated_usage.input_tokens": 50,
            "gen_ai.aggregated_usage.output_tokens": 18,
        },
        [
            S(
                "chat gpt-4o-mini",
                PYDANTIC_CHAT,
                {
                    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                    sc.GEN_AI_USAGE_INPUT_TOKENS: 30,
                    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 10,
                    sc.OPERATION_COST: 1.05e-05,
                    sc.GEN_AI_OUTPUT_MESSAGES: json.dumps(
                        [
                            {
                                "role": "assistant",
                                "parts": [
                                    {
                                        "type": "tool_call",
                                        "id": "c1",
                                        "name": "get_weather",
                                        "arguments": '{"city": "Paris"}',
                                    }
                                ],
                            }
                        ]
                    ),
                },
                kind=CLIENT,
            ),
            S(
                "execute_tool get_weather",
                {sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.GEN_AI_TOOL_NAME: "get_weather"},
                {sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"city":"Paris"}', sc.GEN_AI_TOOL_CALL_RESULT: "sunny in Paris"},
            ),
            S(
                "chat gpt-4o-mini",
                PYDANTIC_CHAT,
                {
                    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                    sc.GEN_AI_USAGE_INPUT_TOKENS: 20,
                    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 8,
                    sc.GEN_AI_USAGE_DETAILS_CACHE_READ_TOKENS: 5,
                    sc.GEN_AI_USAGE_DETAILS_REASONING_TOKENS: 2,
                    sc.OPERATION_COST: 7.425e-06,
                    sc.GEN_AI_INPUT_MESSAGES: json.dumps(
                        [
                            {
                                "role": "user",
                                "parts": [
                                    {
                                        "type": "tool_call_response",
                                        "id": "c1",
                                        "name": "get_weather",
                                        "result": "sunny in Paris",
                                    }
                                ],
                            }
                        ]
                    ),
                },
                kind=CLIENT,
            ),
        ],
    ),
    steps=[
        ("agent", "weather_agent"),
        ("llm", "gpt-4o-mini-2024-07-18"),
        ("tool", "get_weather"),
        ("llm", "gpt-4o-mini-2024-07-18"),
    ],
    usage=(50, 18, 5, 0, 2),
    llm_calls=2,
    priced=[
        ("openai", "gpt-4o-mini-2024-07-18", (30, 10, 0, 0, 0)),
        ("openai", "gpt-4o-mini-2024-07-18", (20, 8, 5, 0, 2)),
    ],
    contents={"weather_agent": (json.loads(messages(("user", "Weather in Paris?"))), "Sunny.")},
)

# pydantic-ai's deprecated instrumentation version 2: `agent run` / `running tool`, tool_arguments.
PYDANTIC_AI_V2 = Shape(
    "pydantic-ai, instrumentation version 2",
    S(
        "agent run",
        {sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: "weather_agent"},
        children=[
            S(
                "running tool",
                {sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.GEN_AI_TOOL_NAME: "get_weather"},
                {sc.TOOL_ARGUMENTS: '{"city":"Paris"}', sc.TOOL_RESPONSE: "sunny in Paris"},
            ),
            S(
                "chat my-local-model",
                {**PYDANTIC_CHAT, sc.GEN_AI_REQUEST_MODEL: "my-local-model"},
                {sc.GEN_AI_USAGE_INPUT_TOKENS: 12, sc.GEN_AI_USAGE_OUTPUT_TOKENS: 3, sc.OPERATION_COST: 0.0001},
                kind=CLIENT,
            ),
        ],
    ),
    steps=[("agent", "weather_agent"), ("tool", "get_weather"), ("llm", "my-local-model")],
    usage=(12, 3, 0, 0, 0),
    llm_calls=1,
    recorded_usd=0.0001,
    contents={"get_weather": ({"city": "Paris"}, "sunny in Paris")},
)

AGENTS_OI_LLM = {
    sc.LLM_SYSTEM: "openai",
    sc.LLM_MODEL_NAME: "gpt-4o-mini-2024-07-18",
    sc.LLM_TOKEN_COUNT_PROMPT: 20,
    sc.LLM_TOKEN_COUNT_COMPLETION: 8,
    sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ: 5,
    sc.OPENINFERENCE_SPAN_KIND: "LLM",
}

# The OpenAI Agents SDK under OpenInference: every attribute arrives when the span ends; the SDK's
# task and turn spans are CHAIN and never steps of their own.
AGENTS_OPENINFERENCE = Shape(
    "OpenAI Agents SDK under OpenInference",
    S(
        "Agent workflow",
        end={sc.OPENINFERENCE_SPAN_KIND: "AGENT"},
        children=[
            S(
                "Agent workflow",
                end={sc.OPENINFERENCE_SPAN_KIND: "CHAIN"},
                children=[
                    S(
                        "weather_agent",
                        end={sc.AGENT_NAME: "weather_agent", sc.OPENINFERENCE_SPAN_KIND: "AGENT"},
                        children=[
                            S(
                                "turn",
                                end={sc.OPENINFERENCE_SPAN_KIND: "CHAIN"},
                                children=[
                                    S("response", end=AGENTS_OI_LLM),
                                    S(
                                        "get_weather",
                                        end={
                                            sc.TOOL_NAME: "get_weather",
                                            sc.INPUT_VALUE: '{"city": "Paris"}',
                                            sc.OUTPUT_VALUE: "sunny in Paris",
                                            sc.OPENINFERENCE_SPAN_KIND: "TOOL",
                                        },
                                    ),
                                ],
                            ),
                            S(
                                "turn",
                                end={sc.OPENINFERENCE_SPAN_KIND: "CHAIN"},
                                children=[S("response", end=AGENTS_OI_LLM)],
                            ),
                        ],
                    )
                ],
            )
        ],
    ),
    steps=[
        ("agent", "Agent workflow"),
        ("other", "Agent workflow"),
        ("agent", "weather_agent"),
        ("other", "turn"),
        ("llm", "gpt-4o-mini-2024-07-18"),
        ("tool", "get_weather"),
        ("other", "turn"),
        ("llm", "gpt-4o-mini-2024-07-18"),
    ],
    usage=(40, 16, 10, 0, 0),
    llm_calls=2,
    priced=[("openai", "gpt-4o-mini-2024-07-18", (20, 8, 5, 0, 0))] * 2,
)

# The OpenAI Agents SDK under OpenTelemetry's instrumentation of it (which leaves LLM spans to openai's).
AGENTS_GENAI = Shape(
    "OpenAI Agents SDK under OpenTelemetry",
    S(
        "invoke_workflow Agent workflow",
        {sc.GEN_AI_OPERATION_NAME: "invoke_workflow", sc.GEN_AI_WORKFLOW_NAME: "Agent workflow"},
        children=[
            S(
                "invoke_agent weather_agent",
                {sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: "weather_agent"},
                children=[
                    S(
                        "execute_tool get_weather",
                        {sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.GEN_AI_TOOL_NAME: "get_weather"},
                        {
                            sc.GEN_AI_TOOL_CALL_ARGUMENTS: '{"city":"Paris"}',
                            sc.GEN_AI_TOOL_CALL_RESULT: "sunny in Paris",
                        },
                    )
                ],
            )
        ],
    ),
    steps=[("workflow", "Agent workflow"), ("agent", "weather_agent"), ("tool", "get_weather")],
    usage=(0, 0, 0, 0, 0),
    llm_calls=0,
)

SHAPES = [
    GENAI,
    OPENINFERENCE,
    ANTHROPIC_NESTED,
    TRACELOOP,
    TRACELOOP_0_4,
    OPENLIT,
    OPENLIT_RECORDED,
    PYDANTIC_AI,
    PYDANTIC_AI_V2,
    AGENTS_OPENINFERENCE,
    AGENTS_GENAI,
]
