"""The store's SQL mirrors the model's rules (end state, failed steps, LLM totals): same spans, same answer.

Each case is a trace written to a store (whole, or one span per batch in every order a reader may see
them arrive in) and read back as a listing; the listing must say what `build_session` says.
"""

from __future__ import annotations

import itertools

import pytest

from agentops_otel import semconv as sc
from agentops_otel.model import build_session, summarize
from agentops_otel.store import LocalStore
from tests.test_store_sample import foreign_trace, llm_attrs, span, support_session

TRACE = "c" * 32


def _root(status="UNSET", attrs=None, end_ms=100.0):
    base = {sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: "planner"}
    return span(TRACE, "1" * 16, None, "invoke_agent planner", 0, end_ms, {**base, **(attrs or {})}, status=status)


def _child(parent, span_id, status="UNSET", kind="execute_tool"):
    attrs = {sc.GEN_AI_OPERATION_NAME: kind, sc.GEN_AI_TOOL_NAME: "search"}
    return span(TRACE, span_id, parent, f"{kind} search", 10, 20, attrs, status=status)


def _chain(parent, span_id):
    return span(TRACE, span_id, parent, "turn", 5, 30, {})  # no GenAI operation: a grouping span


CASES = {
    "ours, Success": support_session(1, fail=False),
    "ours, Fail": support_session(2, fail=True),
    "foreign root OK": [_root("OK"), _child("1" * 16, "2" * 16)],
    "foreign root ERROR": [_root("ERROR"), _child("1" * 16, "2" * 16)],
    "foreign root UNSET": [_root(), _child("1" * 16, "2" * 16)],
    "foreign, failed direct child": [_root("OK"), _child("1" * 16, "2" * 16, status="ERROR")],
    "foreign, failed grandchild only": [
        _root("OK"),
        _child("1" * 16, "2" * 16),
        _child("2" * 16, "3" * 16, status="ERROR"),
    ],
    "foreign, failed under a chain that did not fail": [  # the OpenAI Agents SDK under OpenInference
        _root("OK"),
        _chain("1" * 16, "2" * 16),
        _child("2" * 16, "3" * 16, status="ERROR"),
    ],
    "foreign, failed under a chain under an agent that went on": [
        _root("OK"),
        _child("1" * 16, "2" * 16, kind="invoke_agent"),
        _chain("2" * 16, "3" * 16),
        _child("3" * 16, "4" * 16, status="ERROR"),
    ],
    "foreign, still open": [_root(end_ms=None), _child("1" * 16, "2" * 16, status="ERROR")],
    "foreign LLM root": [
        span(TRACE, "1" * 16, None, "chat gpt-4o", 0, 5, llm_attrs(None, "hi", "ok", (10, 2), None)),
    ],
    "foreign trace of the sample": foreign_trace(4, fail_child=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_listing_says_what_the_model_says(tmp_path, case):
    records = CASES[case]
    expected = summarize(build_session(records))
    for number, order in enumerate(itertools.permutations(records)):
        with LocalStore(tmp_path / f"{number}.db") as store:
            for record in order:  # one batch per span: the store decides as spans arrive
                store.write([record])
            (listed,) = store.sessions()
        assert listed.end_state == expected.end_state, (case, [r.name for r in order])
        assert (listed.llm_calls, listed.usage, listed.cost_complete, listed.steps) == (
            expected.llm_calls,
            expected.usage,
            expected.cost_complete,
            expected.steps,
        ), case
