"""One table per GenAI convention we read: which attributes say a span's kind, model, provider,
tokens, content, name and recorded cost. Adding a convention is one `Convention` in `CONVENTIONS`
(and a fixture of its spans in tests/_convention_shapes.py).

Order matters: the tables are read first to last, and for each concept the first attribute present
wins. Ours come first, then the OpenTelemetry GenAI names, current before previous, then the others.
The OpenAI Agents SDK has no table: its spans reach us through OpenInference's or OpenTelemetry's
instrumentation of it, and read as those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import semconv as sc
from ._vocabulary import ACTION, AGENT, ERROR, GUARDRAIL, LLM, OTHER, RETRIEVER, STEP_KINDS, TOOL, WORKFLOW

Keys = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Convention:
    """What one convention's attributes mean. Every field is optional: a convention lists only its own keys."""

    name: str
    # Attributes whose value names the step kind, with value -> kind; an unlisted value means `other`.
    kinds: tuple[tuple[str, Mapping[str, str]], ...] = ()
    # Attributes whose mere presence says the kind, when no span of any convention names one.
    markers: tuple[tuple[str, str], ...] = ()
    model: Keys = ()  # the response model before the requested one
    # Last resort: (attribute holding a JSON object, its field naming the model), e.g. request parameters.
    model_in_json: tuple[tuple[str, str], ...] = ()
    provider: Keys = ()
    input_tokens: Keys = ()  # cache reads and writes included, as the GenAI conventions count
    output_tokens: Keys = ()  # reasoning included
    cache_read_tokens: Keys = ()
    cache_write_tokens: Keys = ()
    reasoning_tokens: Keys = ()
    # Input token counts without the cache tokens: (attribute, its value, providers) that mark such spans.
    input_excludes_cache: tuple[tuple[str, str, frozenset[str]], ...] = ()
    # Cost in USD the instrumentation recorded: (attribute, True when 0 means "could not price").
    recorded_cost: tuple[tuple[str, bool], ...] = ()
    # Step kind -> (input attributes, output attributes); "*" for every kind it does not list.
    content: Mapping[str, tuple[Keys, Keys]] = field(default_factory=dict)
    # Attributes holding a message list flattened into indexed attributes (`prefix.0.role`).
    flattened_messages: Keys = ()
    # Step kind -> attributes naming the step.
    names: Mapping[str, Keys] = field(default_factory=dict)
    # Attribute -> how its decoded value reads as content (e.g. OpenLLMetry's {"args", "kwargs"}).
    decoders: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    # Instrumentation scopes of a client library's own spans: inside (or beside, over the same time)
    # another instrumentation's LLM span, such a span is part of that call.
    client_scopes: Keys = ()


def _traceloop_arguments(value: Any) -> Any:
    """OpenLLMetry records a call as {"args": [...], "kwargs": {...}}: show what was passed."""
    if isinstance(value, dict) and set(value) == {"args", "kwargs"}:
        args, kwargs = value["args"], value["kwargs"]
        if not args:
            return kwargs
        if not kwargs:
            return args[0] if isinstance(args, list) and len(args) == 1 else args
    return value


_OP = sc.GenAiOperationNameValues
_OI = sc.OpeninferenceSpanKindValues
_TL = sc.TraceloopSpanKindValues
_TL_REQUEST = sc.LlmRequestTypeValues

OURS = Convention(
    "agentops-otel",
    kinds=((sc.AGENTOPS_SPAN_TYPE, {kind: kind for kind in STEP_KINDS}),),
    content={"*": ((sc.AGENTOPS_STEP_PARAMS,), (sc.AGENTOPS_STEP_RETURNS,))},
    names={kind: (sc.AGENTOPS_ACTION_TYPE,) for kind in (ACTION, ERROR, OTHER)},
)

GENAI = Convention(
    "OpenTelemetry GenAI",
    kinds=(
        (
            sc.GEN_AI_OPERATION_NAME,
            {
                _OP.CHAT.value: LLM,
                _OP.TEXT_COMPLETION.value: LLM,
                _OP.GENERATE_CONTENT.value: LLM,
                _OP.EMBEDDINGS.value: LLM,
                _OP.EXECUTE_TOOL.value: TOOL,
                _OP.INVOKE_AGENT.value: AGENT,
                _OP.CREATE_AGENT.value: AGENT,
                _OP.INVOKE_WORKFLOW.value: WORKFLOW,
                _OP.RETRIEVAL.value: RETRIEVER,
            },
        ),
    ),
    markers=(
        (sc.GEN_AI_RESPONSE_MODEL, LLM),
        (sc.GEN_AI_REQUEST_MODEL, LLM),
        (sc.GEN_AI_TOOL_CALL_ID, TOOL),
        (sc.GEN_AI_TOOL_NAME, TOOL),
    ),
    model=(sc.GEN_AI_RESPONSE_MODEL, sc.GEN_AI_REQUEST_MODEL),
    provider=(sc.GEN_AI_PROVIDER_NAME,),
    input_tokens=(sc.GEN_AI_USAGE_INPUT_TOKENS,),
    output_tokens=(sc.GEN_AI_USAGE_OUTPUT_TOKENS,),
    cache_read_tokens=(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,),
    # The 1.41 registry spells cache writes `cache_creation`; the GenAI repository's emitters `cache_write`.
    cache_write_tokens=(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS),
    reasoning_tokens=(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,),
    content={
        LLM: ((sc.GEN_AI_INPUT_MESSAGES,), (sc.GEN_AI_OUTPUT_MESSAGES,)),
        TOOL: ((sc.GEN_AI_TOOL_CALL_ARGUMENTS,), (sc.GEN_AI_TOOL_CALL_RESULT,)),
        AGENT: ((sc.GEN_AI_INPUT_MESSAGES,), (sc.GEN_AI_OUTPUT_MESSAGES,)),
        WORKFLOW: ((sc.GEN_AI_INPUT_MESSAGES,), (sc.GEN_AI_OUTPUT_MESSAGES,)),
        RETRIEVER: ((sc.GEN_AI_RETRIEVAL_QUERY_TEXT,), (sc.GEN_AI_RETRIEVAL_DOCUMENTS,)),
    },
    names={
        TOOL: (sc.GEN_AI_TOOL_NAME,),
        AGENT: (sc.GEN_AI_AGENT_NAME,),
        WORKFLOW: (sc.GEN_AI_WORKFLOW_NAME,),
        ERROR: (sc.ERROR_TYPE,),
        OTHER: (sc.ERROR_TYPE,),
    },
)

# OpenLLMetry 0.4x spelled its cache counts with underscores, which would make the same Python
# constants as the upstream names: derived here from those (see semconv/registry/conventions.yaml).
_CACHE_READ_0_4 = sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS.replace(".input", "_input")
_CACHE_CREATION_0_4 = sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS.replace(".input", "_input")

GENAI_PREVIOUS = Convention(
    "OpenTelemetry GenAI, previous names",
    markers=((sc.GEN_AI_SYSTEM, LLM),),
    provider=(sc.GEN_AI_SYSTEM,),
    input_tokens=(sc.GEN_AI_USAGE_PROMPT_TOKENS,),
    output_tokens=(sc.GEN_AI_USAGE_COMPLETION_TOKENS,),
    content={LLM: ((sc.GEN_AI_PROMPT,), (sc.GEN_AI_COMPLETION,))},
    flattened_messages=(sc.GEN_AI_PROMPT, sc.GEN_AI_COMPLETION),
)

OPENINFERENCE = Convention(
    "OpenInference",
    kinds=(
        (
            sc.OPENINFERENCE_SPAN_KIND,
            {
                _OI.LLM.value: LLM,
                _OI.EMBEDDING.value: LLM,
                _OI.TOOL.value: TOOL,
                _OI.AGENT.value: AGENT,
                _OI.RETRIEVER.value: RETRIEVER,
                _OI.GUARDRAIL.value: GUARDRAIL,
                # CHAIN is any grouping (a LangChain chain, the Agents SDK's task and turn): not a step of its own.
            },
        ),
    ),
    # The instrumentations set the span kind when the call ends; these are there from the start.
    markers=(
        (sc.LLM_SYSTEM, LLM),
        (sc.LLM_PROVIDER, LLM),
        (sc.LLM_MODEL_NAME, LLM),
        (sc.LLM_REQUEST_MODEL_NAME, LLM),
        (sc.LLM_INVOCATION_PARAMETERS, LLM),
        (sc.TOOL_NAME, TOOL),
    ),
    model=(sc.LLM_RESPONSE_MODEL_NAME, sc.LLM_MODEL_NAME, sc.LLM_REQUEST_MODEL_NAME, sc.EMBEDDING_MODEL_NAME),
    # A failed call has no llm.model_name (it comes from the response): the request says which model.
    model_in_json=((sc.LLM_INVOCATION_PARAMETERS, "model"),),
    provider=(sc.LLM_PROVIDER, sc.LLM_SYSTEM),
    input_tokens=(sc.LLM_TOKEN_COUNT_PROMPT,),
    output_tokens=(sc.LLM_TOKEN_COUNT_COMPLETION,),
    cache_read_tokens=(sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ,),
    cache_write_tokens=(sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE,),
    reasoning_tokens=(sc.LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING,),
    recorded_cost=((sc.LLM_COST_TOTAL, False),),
    content={
        # On LLM spans input.value / output.value are the raw request and response: the last resort.
        LLM: ((sc.LLM_INPUT_MESSAGES, sc.INPUT_VALUE), (sc.LLM_OUTPUT_MESSAGES, sc.OUTPUT_VALUE)),
        "*": ((sc.INPUT_VALUE,), (sc.OUTPUT_VALUE,)),
    },
    flattened_messages=(sc.LLM_INPUT_MESSAGES, sc.LLM_OUTPUT_MESSAGES),
    names={TOOL: (sc.TOOL_NAME,), AGENT: (sc.AGENT_NAME,)},
)

TRACELOOP = Convention(
    "OpenLLMetry / Traceloop",
    kinds=(
        (
            sc.TRACELOOP_SPAN_KIND,
            {_TL.WORKFLOW.value: WORKFLOW, _TL.TASK.value: ACTION, _TL.AGENT.value: AGENT, _TL.TOOL.value: TOOL},
        ),
        (
            sc.LLM_REQUEST_TYPE,
            {_TL_REQUEST.CHAT.value: LLM, _TL_REQUEST.COMPLETION.value: LLM, _TL_REQUEST.EMBEDDING.value: LLM},
        ),
    ),
    cache_read_tokens=(_CACHE_READ_0_4,),
    cache_write_tokens=(_CACHE_CREATION_0_4,),
    reasoning_tokens=(sc.GEN_AI_USAGE_REASONING_TOKENS, sc.LLM_USAGE_REASONING_TOKENS),
    content={"*": ((sc.TRACELOOP_ENTITY_INPUT,), (sc.TRACELOOP_ENTITY_OUTPUT,))},
    names={kind: (sc.TRACELOOP_ENTITY_NAME,) for kind in (TOOL, AGENT, WORKFLOW, ACTION, OTHER)},
    decoders={sc.TRACELOOP_ENTITY_INPUT: _traceloop_arguments},
)

OPENLIT = Convention(
    "OpenLIT",
    # OpenLIT passes Anthropic's own input count, which leaves the cache tokens out.
    input_excludes_cache=((sc.TELEMETRY_SDK_NAME, "openlit", frozenset({"anthropic"})),),
    recorded_cost=((sc.GEN_AI_USAGE_COST, True),),  # 0 when its price list did not know the model
    content={
        TOOL: ((sc.GEN_AI_TOOL_INPUT,), (sc.GEN_AI_TOOL_OUTPUT,)),
        WORKFLOW: ((sc.GEN_AI_WORKFLOW_INPUT,), (sc.GEN_AI_WORKFLOW_OUTPUT,)),
    },
)

PYDANTIC_AI = Convention(
    "pydantic-ai (Logfire)",
    markers=((sc.TOOL_ARGUMENTS, TOOL), (sc.TOOL_RESPONSE, TOOL)),
    cache_read_tokens=(sc.GEN_AI_USAGE_DETAILS_CACHE_READ_TOKENS,),
    cache_write_tokens=(sc.GEN_AI_USAGE_DETAILS_CACHE_WRITE_TOKENS,),
    reasoning_tokens=(sc.GEN_AI_USAGE_DETAILS_REASONING_TOKENS,),
    recorded_cost=((sc.OPERATION_COST, False),),
    content={
        TOOL: ((sc.TOOL_ARGUMENTS,), (sc.TOOL_RESPONSE,)),  # instrumentation version 2
        AGENT: ((sc.PYDANTIC_AI_ALL_MESSAGES,), (sc.FINAL_RESULT,)),
    },
)

ANTHROPIC_SDK = Convention(
    "anthropic SDK tracing",
    content={TOOL: ((), (sc.ANTHROPIC_TOOL_RESULT_CONTENT,))},
    # OpenLLMetry does not make its LLM span current, so the SDK's span is its sibling, not its child.
    client_scopes=("com.anthropic.sdk.python",),
)

CONVENTIONS: tuple[Convention, ...] = (
    OURS,
    GENAI,
    GENAI_PREVIOUS,
    OPENINFERENCE,
    TRACELOOP,
    OPENLIT,
    PYDANTIC_AI,
    ANTHROPIC_SDK,
)
