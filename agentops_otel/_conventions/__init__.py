"""The convention map: what a span of any common GenAI convention means to an agent run.

One table per convention (`_tables.CONVENTIONS`: ours, OpenTelemetry GenAI current and previous
names, OpenInference, OpenLLMetry/Traceloop, OpenLIT, pydantic-ai under Logfire, the anthropic SDK's
own tracing) says which attributes give the step kind, model, provider, tokens (cache reads and
writes, reasoning), content (messages, tool arguments and results, agent input and output), the step
name, and a cost the instrumentation recorded. The read model, the cost processor, the local store
and every trace source read spans through these functions only, so a span means the same thing live
and read back. Errors need no table: every convention sets status ERROR, and `_states.span_failed`
reads that, `error.type` and the `exception` event.

    step_kind(attrs)            -> "llm", "tool", "agent", ... (`_vocabulary` lists the kinds)
    model(attrs), provider(attrs)
    tokens(attrs)               -> (input, output, cache read, cache write, reasoning) or None
    recorded_cost(attrs)        -> (usd, attribute) or None
    content(attrs, kind)        -> (input, output), decoded; messages as GenAI message JSON
    step_name(attrs, kind, span_name)

What a span's attributes cannot say: a client library's own span nested inside an LLM span (the
anthropic SDK traces itself) is part of that call, and so is such a span (`is_client_scope`) beside
another instrumentation's LLM span that lasts over it (OpenLLMetry does not make its span current).
The tree decides that, in the read model when steps are built and in the cost processor while spans
start and end; both ask `step_kind(...) == LLM`.
"""

from ._messages import decode_json
from ._read import (
    Tokens,
    content,
    has_usage,
    is_client_scope,
    model,
    provider,
    raw_content,
    recorded_cost,
    step_kind,
    step_name,
    tokens,
)
from ._tables import CONVENTIONS, Convention
from ._vocabulary import (
    ACTION,
    AGENT,
    ERROR,
    GUARDRAIL,
    LLM,
    OTHER,
    RETRIEVER,
    SESSION,
    STEP_KINDS,
    TOOL,
    WORKFLOW,
)

__all__ = [
    "ACTION",
    "AGENT",
    "CONVENTIONS",
    "ERROR",
    "GUARDRAIL",
    "LLM",
    "OTHER",
    "RETRIEVER",
    "SESSION",
    "STEP_KINDS",
    "TOOL",
    "WORKFLOW",
    "Convention",
    "Tokens",
    "content",
    "decode_json",
    "has_usage",
    "is_client_scope",
    "model",
    "provider",
    "raw_content",
    "recorded_cost",
    "step_kind",
    "step_name",
    "tokens",
]
