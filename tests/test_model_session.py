"""The read model built from span records: steps, totals, end state, failing step."""

from agentops_otel import semconv as sc
from agentops_otel.model import SpanRecord, Usage, build_session, build_sessions

TRACE = "0af7651916cd43dd8448eb211c80319c"


def span(span_id, parent, name, start, end, **attrs):
    return SpanRecord(TRACE, span_id, parent, name, start, end, attributes=attrs)


def test_token_counts_written_as_numbers_or_strings_are_read_alike():
    usage = Usage.from_attributes(
        {
            sc.GEN_AI_USAGE_INPUT_TOKENS: 12.0,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: "7",
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: -3,
            sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: True,
        }
    )
    assert usage == Usage(input_tokens=12, output_tokens=7)
    legacy = Usage.from_attributes({sc.GEN_AI_USAGE_PROMPT_TOKENS: 3, sc.GEN_AI_USAGE_COMPLETION_TOKENS: 4})
    assert legacy.total_tokens == 7


def test_a_trace_without_our_session_root_replays_with_its_root_standing_in():
    records = [
        span("b" * 16, "a" * 16, "execute_tool search", 2_000, 3_000, **{sc.GEN_AI_OPERATION_NAME: "execute_tool"}),
        span("a" * 16, None, "invoke_agent planner", 1_000, 9_000, **{sc.GEN_AI_OPERATION_NAME: "invoke_agent"}),
        span(
            "c" * 16,
            "a" * 16,
            "chat gpt-4o",
            4_000,
            8_000,
            **{
                sc.GEN_AI_OPERATION_NAME: "chat",
                sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
                sc.GEN_AI_USAGE_INPUT_TOKENS: 10,
            },
        ),
    ]
    (session,) = build_sessions(records)
    assert session.session_id == TRACE and not session.is_agentops_session
    assert [(s.kind, s.name, s.depth, s.offset_ns) for s in session.steps] == [
        ("agent", "planner", 0, 0),  # the stand-in root is a step too
        ("tool", "search", 1, 1_000),
        ("llm", "gpt-4o", 1, 3_000),
    ]
    assert session.end_state == "Indeterminate" and session.duration == 8e-6
    assert session.cost is None and session.unpriced_steps == session.llm_events  # no price: unknown, not zero


def test_orphans_still_count_as_steps_and_an_error_under_a_step_that_went_on_was_handled():
    root = span("a" * 16, None, "session", 0, 100, **{sc.AGENTOPS_SPAN_TYPE: "session", sc.SESSION_ID: "s-1"})
    agent = span("b" * 16, "a" * 16, "invoke_agent x", 10, 90, **{sc.GEN_AI_OPERATION_NAME: "invoke_agent"})
    failing = SpanRecord(
        TRACE,
        "c" * 16,
        "b" * 16,
        "execute_tool y",
        20,
        30,
        status_code="ERROR",
        attributes={sc.GEN_AI_OPERATION_NAME: "execute_tool", sc.ERROR_TYPE: "KeyError"},
    )
    orphan = span("d" * 16, "f" * 16, "lost-parent", 40, 50)
    session = build_session([orphan, failing, agent, root])
    assert [s.name for s in session.steps] == ["x", "y", "lost-parent"]
    assert [s.depth for s in session.steps] == [1, 2, 1]
    assert session.end_state == "Indeterminate"  # ended with no verdict recorded
    # The agent above the tool ended without failing: it dealt with the tool's error (structural rule).
    assert session.failing_step is None and session.failure is None
    assert [(s.name, s.error.type) for s in session.handled_errors] == [("y", "KeyError")]


def test_an_llm_call_made_outside_any_session_counts_with_its_tokens():
    call = span(
        "a" * 16,
        None,
        "chat gpt-4o",
        0,
        10,
        **{
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.GEN_AI_USAGE_INPUT_TOKENS: 100_000,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: 10_000,
            sc.AGENTOPS_COST_STATUS: "priced",
            sc.AGENTOPS_COST_USD: 0.35,
        },
    )
    session = build_session([call])
    assert session.llm_calls == 1 and session.usage.total_tokens == 110_000
    assert session.cost == 0.35
