"""Testing helpers for agent runs (pytest plugin, assertions, a loopback LLM server)."""

from .assertions import (
    StepPattern,
    assert_action_called,
    assert_called,
    assert_called_before,
    assert_called_with,
    assert_cost_under,
    assert_max_llm_calls,
    assert_no_errors,
    assert_no_none_arguments,
    assert_not_called,
    assert_steps,
    assert_tokens_under,
    assert_tool_called,
    assert_tool_not_called,
    step,
)
from .snapshots import assert_matches_snapshot, trajectory
from .variations import VariantOutcome, VariationResults, assert_variations, run_variant, run_variations

__all__ = [
    "StepPattern",
    "VariantOutcome",
    "VariationResults",
    "assert_action_called",
    "assert_called",
    "assert_called_before",
    "assert_called_with",
    "assert_cost_under",
    "assert_matches_snapshot",
    "assert_max_llm_calls",
    "assert_no_errors",
    "assert_no_none_arguments",
    "assert_not_called",
    "assert_steps",
    "assert_tokens_under",
    "assert_tool_called",
    "assert_tool_not_called",
    "assert_variations",
    "run_variant",
    "run_variations",
    "step",
    "trajectory",
]
