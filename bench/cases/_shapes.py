"""The spans our decorators make, as the bare-SDK baselines rebuild them: the same attribute keys.

Each shape is the span name, the attributes fixed at decoration, and the keys that carry the call's
arguments and result (serialised as JSON); `session.id` comes on top. The paired cases check at run
time that our span and the baseline's carry exactly these keys. run.py hands the shapes to the
peers' venvs (which have no agentops_otel) in BENCH_SHAPES.
"""

from __future__ import annotations

import json
import os
from typing import Any


def _from_semconv() -> dict[str, dict[str, Any]]:
    from agentops_otel import semconv as sc

    return {
        "tool": {
            "name": "execute_tool search",
            "static": {
                sc.AGENTOPS_SPAN_TYPE: "tool",
                sc.GEN_AI_OPERATION_NAME: "execute_tool",
                sc.GEN_AI_TOOL_NAME: "search",
            },
            "arguments": sc.GEN_AI_TOOL_CALL_ARGUMENTS,
            "result": sc.GEN_AI_TOOL_CALL_RESULT,
            "session_id": sc.SESSION_ID,
        },
        "action": {
            "name": "search",
            "static": {sc.AGENTOPS_SPAN_TYPE: "action", sc.AGENTOPS_ACTION_TYPE: "search"},
            "arguments": sc.AGENTOPS_STEP_PARAMS,
            "result": sc.AGENTOPS_STEP_RETURNS,
            "session_id": sc.SESSION_ID,
        },
    }


def shapes() -> dict[str, dict[str, Any]]:
    """From BENCH_SHAPES when run.py set it (a peer's venv), else from our semantic conventions."""
    given = os.environ.get("BENCH_SHAPES")
    return json.loads(given) if given else _from_semconv()


def keys(shape: dict[str, Any]) -> frozenset[str]:
    return frozenset({*shape["static"], shape["arguments"], shape["result"], shape["session_id"]})
