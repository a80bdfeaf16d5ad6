"""The end-of-run summary the pytest plugin prints, from the plain facts each test's report carries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._format import usd


def _session_line(facts: dict[str, Any]) -> str:
    text = f"session {facts['session_id']} ({facts['end_state'] or 'open'})"
    return f"{text} replay: {facts['url']}" if facts.get("url") else text


def summary_lines(results: Iterable[dict[str, Any]]) -> list[str]:
    """Totals over every session of the run, then each failed test with its sessions' replay links."""
    results = list(results)
    sessions = [s for r in results for s in r["sessions"]]
    failed_sessions = sum(1 for s in sessions if s["end_state"] == "Fail")
    tokens_in = sum(s["input_tokens"] for s in sessions)
    tokens_out = sum(s["output_tokens"] for s in sessions)
    llm_calls = sum(s["llm_calls"] for s in sessions)
    cost = sum(s["cost"] for s in sessions)
    unpriced = sum(1 for s in sessions if not s["cost_complete"])
    lines = [
        f"{len(sessions)} sessions in {len(results)} tests, {failed_sessions} failed · "
        f"{llm_calls} LLM calls · {tokens_in + tokens_out} tokens ({tokens_in} in, {tokens_out} out) · "
        + (f"cost {usd(cost)}" if not unpriced else f"cost at least {usd(cost)}")
    ]
    if unpriced:
        lines.append(f"  cost unknown for {unpriced} session(s): some LLM calls could not be priced")
    failed_tests = [r for r in results if r["failed"]]
    if failed_tests:
        lines.append("failed tests:")
        for result in failed_tests:
            own, *started = result["sessions"]
            lines.append(f"  {result['nodeid']}")
            lines.append(f"    {_session_line(own)}")
            lines += [f"    started in the test: {_session_line(s)}" for s in started]
    return lines
