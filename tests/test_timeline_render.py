"""The terminal timeline against gold files, and its width, colour and untrusted-content behaviour.

Regenerate the gold files after an intended change with AGENTOPS_OTEL_UPDATE_GOLD=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from agentops_otel import semconv as sc
from agentops_otel.model import build_session
from agentops_otel.replay import render_timeline
from tests.test_store_sample import foreign_trace, llm_attrs, span, support_session

GOLD = Path(__file__).parent / "gold"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def nested_session():
    """agent > tool > LLM, an unpriced LLM call, a session still open."""
    t, sid = "e" * 32, "sess-nested"
    on = {sc.SESSION_ID: sid}
    return [
        span(t, "a" * 16, None, "session triage", 0, None,
             {**on, sc.AGENTOPS_SPAN_TYPE: "session", sc.AGENTOPS_SESSION_TAGS: ("beta",)}),
        span(t, "b" * 16, "a" * 16, "invoke_agent planner", 10, 4200,
             {**on, sc.GEN_AI_OPERATION_NAME: "invoke_agent", sc.GEN_AI_AGENT_NAME: "planner"}),
        span(t, "c" * 16, "b" * 16, "execute_tool search", 20, 3900,
             {**on, sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.GEN_AI_TOOL_NAME: "search",
              sc.GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps({"query": "refund policy", "limit": 3})}),
        span(t, "d" * 16, "c" * 16, "chat local-llama", 30, 3800,
             llm_attrs(sid, "Summarise the refund policy", "Refunds within 30 days.", (900, 42), None)
             | {sc.GEN_AI_REQUEST_MODEL: "local-llama"}),
        span(t, "f" * 16, "a" * 16, "record_decision", 65_123.4, 65_130,
             {**on, sc.AGENTOPS_SPAN_TYPE: "action", sc.AGENTOPS_ACTION_TYPE: "record_decision",
              sc.AGENTOPS_STEP_RETURNS: json.dumps("escalate")}),
    ]  # fmt: skip


CASES = {
    "failure_w100": (lambda: support_session(1), 100),
    "success_w140": (lambda: support_session(2, fail=False), 140),
    "failure_w60": (lambda: support_session(1), 60),
    "foreign_w100": (lambda: foreign_trace(2, fail_child=True), 100),
    "nested_open_w120": (nested_session, 120),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plain_timeline_matches_its_gold_file(case):
    records, width = CASES[case]
    text = render_timeline(build_session(records()), color=False, width=width) + "\n"
    gold = GOLD / f"timeline_{case}.txt"
    if os.environ.get("AGENTOPS_OTEL_UPDATE_GOLD"):
        gold.write_text(text, encoding="utf-8")
    assert text == gold.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("width", [40, 57, 80, 133, 200])
def test_no_line_is_wider_than_the_terminal(case, width):
    records, _ = CASES[case]
    for line in render_timeline(build_session(records()), color=False, width=width).splitlines():
        assert len(line) <= width, line


@pytest.mark.parametrize("case", sorted(CASES))
def test_colour_adds_only_ansi_styles_to_the_plain_text(case):
    records, width = CASES[case]
    session = build_session(records())
    coloured = render_timeline(session, color=True, width=width)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == render_timeline(session, color=False, width=width)


def test_the_failing_step_is_marked_once_and_other_errors_are_not():
    records = support_session(1)
    root, llm = records[0], records[1]
    # An earlier, handled LLM error does not take the blame from the recorded failing step.
    records[1] = replace(llm, status_code="ERROR", attributes={**llm.attributes, sc.ERROR_TYPE: "RateLimitError"})
    text = render_timeline(build_session(records), width=120)
    assert text.count("<- caused the failure") == 1
    marked = next(line for line in text.splitlines() if "<- caused the failure" in line)
    assert "customer_id cannot be None" in marked
    assert "Handled error: RateLimitError" in text  # handled: its own word, never the cause
    assert root.attributes[sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID] == records[3].span_id


@pytest.mark.parametrize("color", [False, True])
def test_terminal_escapes_and_markup_in_content_are_shown_inert(color):
    records = support_session(1)
    hostile = "\x1b[2J\x1b]0;pwned\x07[bold red]not markup[/] \r\nnext"
    records[1] = replace(records[1], attributes={**records[1].attributes, **llm_attrs("s", hostile, "ok", (1, 1), 0.1)})
    text = render_timeline(build_session(records), color=color, width=200)
    assert "\x1b[2J" not in text and "\x07" not in text and "\r" not in text
    assert "\\x1b[2J\\x1b]0;pwned\\x07[bold red]not markup[/] next" in ANSI.sub("", text)


def test_offsets_past_an_hour_and_durations_in_minutes_read_naturally():
    records = support_session(1)
    root = records[0]
    records[0] = replace(root, end_ns=root.start_ns + 3_725_000_000_000)
    records[3] = replace(
        records[3], start_ns=root.start_ns + 3_700_123_000_000, end_ns=root.start_ns + 3_700_124_000_000
    )
    text = render_timeline(build_session(records), width=120)
    assert "Duration: 62m05s" in text
    assert "61:40.123  Action: fetch_customer_data" in text
    assert any(line.startswith("62:05.000  Session ended: Fail") for line in text.splitlines())


@pytest.mark.parametrize(
    ("ns", "shown"),
    [(40_000, "40us"), (600_000, "0.6ms"), (12_300_000, "12ms"), (1_890_000_000, "1.89s"), (125 * 10**9, "2m05s")],
)
def test_step_durations_use_a_readable_unit(ns, shown):
    records = support_session(1)
    records[2] = replace(records[2], end_ns=records[2].start_ns + ns)
    tool_line = next(
        line for line in render_timeline(build_session(records), width=200).splitlines() if "Tool:" in line
    )
    assert tool_line.endswith(f"[{shown}]")


@pytest.mark.parametrize(
    ("inputs", "outputs", "shown"),
    [
        # Upstream GenAI message parts, with a tool call in the answer.
        (
            [{"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
             {"role": "user", "parts": [{"type": "text", "content": "refund A-1"}]}],
            [{"role": "assistant", "parts": [{"type": "tool_call", "name": "refund", "arguments": {"order": "A-1"}}]}],
            'Input: "refund A-1"  Output: refund(order="A-1")',
        ),
        # OpenAI's own message shapes: string content, content parts, tool_calls.
        (
            [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url"}]}],
            [{"role": "assistant", "content": None,
              "tool_calls": [{"function": {"name": "lookup", "arguments": '{"id": 7}'}}]}],
            'Input: "hi" [image_url]  Output: lookup({"id": 7})',
        ),
        ("plain prompt", "plain answer", 'Input: "plain prompt"  Output: "plain answer"'),
    ],
)  # fmt: skip
def test_llm_excerpts_read_the_common_message_shapes(inputs, outputs, shown):
    records = support_session(1)
    attrs = {
        **records[1].attributes,
        sc.GEN_AI_INPUT_MESSAGES: json.dumps(inputs),
        sc.GEN_AI_OUTPUT_MESSAGES: json.dumps(outputs),
    }
    records[1] = replace(records[1], attributes=attrs)
    assert shown in render_timeline(build_session(records), width=200)
