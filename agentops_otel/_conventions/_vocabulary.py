"""The step kinds: what a span is to an agent run, whichever convention recorded it.

    llm        a call to a model: chat, completion, content generation, embeddings (billable)
    tool       a tool call
    action     an application step of ours (record_action, ActionEvent); OpenLLMetry's @task
    agent      an agent invocation
    workflow   a run of several agents or steps as one (GenAI invoke_workflow, OpenLLMetry @workflow)
    retriever  a retrieval from a data source (GenAI retrieval, OpenInference RETRIEVER)
    guardrail  a guardrail check (OpenInference GUARDRAIL, the Agents SDK's guardrails)
    error      an error recorded on its own (ErrorEvent)
    other      anything else, including a client library's own span inside an LLM call

A session root (`session`) is never a step itself.
"""

from __future__ import annotations

from typing import Final

from .. import semconv as sc

LLM: Final = sc.SpanTypeValues.LLM.value
TOOL: Final = sc.SpanTypeValues.TOOL.value
ACTION: Final = sc.SpanTypeValues.ACTION.value
AGENT: Final = sc.SpanTypeValues.AGENT.value
ERROR: Final = sc.SpanTypeValues.ERROR.value
OTHER: Final = sc.SpanTypeValues.OTHER.value
SESSION: Final = sc.SpanTypeValues.SESSION.value
# Kinds only other conventions declare: we read them, our own capture never writes them.
WORKFLOW: Final = "workflow"
RETRIEVER: Final = "retriever"
GUARDRAIL: Final = "guardrail"

STEP_KINDS: Final = (LLM, TOOL, ACTION, AGENT, WORKFLOW, RETRIEVER, GUARDRAIL, ERROR, OTHER)
