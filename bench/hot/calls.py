"""Python function calls per decorated tool call, ours vs a bare span with the same attributes: a
deterministic proxy for the per-call work, immune to the machine's load (CPU time varies 2x here).

    .venv/bin/python bench/hot/calls.py
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

from _hot import TOOL_ARGS, TOOL_KWARGS, search
from _otel import init_ours
from _providers import dropping_provider

import agentops_otel


def calls_in(function: Any, times: int = 100) -> float:
    """Python and C function calls made by `function()`, per call (the calling thread only)."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        for _ in range(times):
            function()
    finally:
        sys.setprofile(None)
    return count / times


def main() -> None:
    from steps import bare_call, bare_start_call

    bare_provider, _ = dropping_provider()
    ours_provider, _ = dropping_provider()
    init_ours(ours_provider)
    tracer = bare_provider.get_tracer("bench")
    decorated = agentops_otel.tool("search")(search)
    with agentops_otel.session("bench"):
        ours = calls_in(lambda: decorated(*TOOL_ARGS, **TOOL_KWARGS))
    with tracer.start_as_current_span("session"):
        bare = calls_in(bare_call(tracer, str(uuid.uuid4()), "tool"))
        bare_start = calls_in(bare_start_call(tracer, str(uuid.uuid4()), "tool"))
    print(json.dumps({"case": "calls", "ours": ours, "bare": bare, "bare_start": bare_start}))


if __name__ == "__main__":
    main()
