"""Step kinds: what a span is to an agent run (LLM call, tool call, action, agent, workflow, ...).

The one home of the rule, read by the model, the cost processor, the store's derived columns and the
pipeline. The rule itself is the convention map's (`agentops_otel._conventions`): an explicit
`agentops.span.type` wins, else whichever known convention the span follows decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from . import _conventions
from . import semconv as sc
from ._conventions import (
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
    "ERROR",
    "GUARDRAIL",
    "LLM",
    "OTHER",
    "RETRIEVER",
    "SESSION",
    "STEP_KINDS",
    "TOOL",
    "WORKFLOW",
    "is_llm",
    "is_session_root",
    "step_kind",
]

step_kind: Final = _conventions.step_kind


def is_llm(attributes: Mapping[str, Any]) -> bool:
    """True for a call to a model, by any convention (a nested client span is decided by the tree)."""
    return _conventions.step_kind(attributes) == LLM


def is_session_root(attributes: Mapping[str, Any]) -> bool:
    return attributes.get(sc.AGENTOPS_SPAN_TYPE) == SESSION
