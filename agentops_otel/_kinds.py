"""Step kinds: what a span is to an agent run (LLM call, tool call, action, agent, workflow, guardrail,
error, other).

The one home of the rule, read by the model, the cost processor, the store's derived columns and the
pipeline: an explicit `agentops.span.type` wins, else the GenAI `gen_ai.operation.name` decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from . import semconv as sc

LLM: Final = sc.SpanTypeValues.LLM.value
TOOL: Final = sc.SpanTypeValues.TOOL.value
ACTION: Final = sc.SpanTypeValues.ACTION.value
AGENT: Final = sc.SpanTypeValues.AGENT.value
ERROR: Final = sc.SpanTypeValues.ERROR.value
WORKFLOW: Final = sc.SpanTypeValues.WORKFLOW.value
GUARDRAIL: Final = sc.SpanTypeValues.GUARDRAIL.value
OTHER: Final = sc.SpanTypeValues.OTHER.value
SESSION: Final = sc.SpanTypeValues.SESSION.value  # a session root: never a step itself

STEP_KINDS: Final = (LLM, TOOL, ACTION, AGENT, WORKFLOW, GUARDRAIL, ERROR, OTHER)

# Plain strings (not enum members) so that set lookups on the per-span path stay cheap.
LLM_OPERATIONS: Final = frozenset(
    op.value
    for op in (
        sc.GenAiOperationNameValues.CHAT,
        sc.GenAiOperationNameValues.TEXT_COMPLETION,
        sc.GenAiOperationNameValues.EMBEDDINGS,
        sc.GenAiOperationNameValues.GENERATE_CONTENT,
    )
)
OPERATION_KINDS: Final[Mapping[str, str]] = {
    **dict.fromkeys(LLM_OPERATIONS, LLM),
    sc.GenAiOperationNameValues.EXECUTE_TOOL.value: TOOL,
    sc.GenAiOperationNameValues.INVOKE_AGENT.value: AGENT,
    sc.GenAiOperationNameValues.CREATE_AGENT.value: AGENT,
    sc.GenAiOperationNameValues.INVOKE_WORKFLOW.value: WORKFLOW,
}


def is_llm_operation(operation: Any) -> bool:
    """True for the GenAI operations that are calls to a model."""
    return operation in LLM_OPERATIONS


def step_kind(attributes: Mapping[str, Any]) -> str:
    """The step kind of a span from its attributes ("other" when nothing says)."""
    declared = attributes.get(sc.AGENTOPS_SPAN_TYPE)
    if declared in STEP_KINDS:
        return str(declared)
    return OPERATION_KINDS.get(str(attributes.get(sc.GEN_AI_OPERATION_NAME)), OTHER)


def is_session_root(attributes: Mapping[str, Any]) -> bool:
    return attributes.get(sc.AGENTOPS_SPAN_TYPE) == SESSION
