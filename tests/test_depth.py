"""A 2,000-deep chain of nested async steps (issue 14): recording it, get_session(), and the replay as
text, HTML and JSON all work with Python's default recursion limit once the agent's own stack is gone
(no recursion on span depth anywhere of ours), and the exception is recorded once, on the deepest step."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

import agentops_otel as agentops
from agentops_otel import agent, tool
from agentops_otel.replay import render_timeline
from agentops_otel.replay.html import render_html
from tests._capture import ensure_pipeline

DEPTH = 2000


@tool
async def leaf(n: int) -> None:
    raise ValueError(f"bottom at {n}")


@agent
async def level(n: int) -> None:
    return await (leaf(n) if n == 0 else level(n - 1))


def test_a_2000_deep_async_chain_reads_back_and_renders_with_the_default_recursion_limit():
    ensure_pipeline()
    limit = sys.getrecursionlimit()

    started: list[str] = []

    async def run() -> None:
        with agentops.session("deep") as handle:
            started.append(handle.session_id)
            await level(DEPTH - 1)

    sys.setrecursionlimit(20 * DEPTH)  # the agent's own awaits need it, not our recording
    try:
        with pytest.raises(ValueError):
            asyncio.run(run())
    finally:
        sys.setrecursionlimit(limit)
    session = agentops.get_session(started[0]).get()  # read back with the default limit, from a shallow stack
    assert session.name == "deep" and len(session.steps) == DEPTH + 1
    assert max(s.depth for s in session.steps) == DEPTH + 1
    assert session.failing_step.name == "leaf" and session.handled_errors == []
    assert sum(1 for s in session.steps if s.error is not None and s.error.stacktrace) == 1
    text = render_timeline(session, width=120)
    assert text.count("<- caused the failure") == 1
    page = render_html(session)
    assert "bottom at 0" in page
    data = json.loads(json.dumps(session.to_dict()))
    assert data["failure"]["span_id"] == session.failing_step.span_id
