"""Testing helpers for agent runs: behavioural assertions, trajectory snapshots, variation testing,
the pytest plugin and a loopback LLM server (`agentops_otel.testing.llm_server`).

Names are imported on first use: our pytest plugin lives in this package and loads in every pytest
run of every project that has us installed, so importing the package must cost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._repeat import RepeatFailure
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
    from .variations import (
        VariantOutcome,
        VariantRun,
        VariationResults,
        assert_variations,
        run_variant,
        run_variations,
    )

_EXPORTS = {
    **dict.fromkeys(
        (
            "StepPattern", "assert_action_called", "assert_called", "assert_called_before", "assert_called_with",
            "assert_cost_under", "assert_max_llm_calls", "assert_no_errors", "assert_no_none_arguments",
            "assert_not_called", "assert_steps", "assert_tokens_under", "assert_tool_called",
            "assert_tool_not_called", "step",
        ),
        ".assertions",
    ),
    "assert_matches_snapshot": ".snapshots",
    "trajectory": ".snapshots",
    "RepeatFailure": "._repeat",
    **dict.fromkeys(
        ("VariantOutcome", "VariantRun", "VariationResults", "assert_variations", "run_variant", "run_variations"),
        ".variations",
    ),
}  # fmt: skip

__all__ = [  # the names of _EXPORTS, spelled out for type checkers and linters
    "RepeatFailure",
    "StepPattern",
    "VariantOutcome",
    "VariantRun",
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
