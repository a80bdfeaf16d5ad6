"""diff: two sessions' steps side by side, naming the first step where they diverge."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main
from agentops_otel.model import build_session, from_readable_span
from agentops_otel.replay._diff import align, compare_steps, diff_sessions, mark
from tests._sources_shapes import otlp_dict, session_spans


def _session(session_id="run-a", **kwargs):
    return build_session([from_readable_span(s) for s in session_spans(session_id, **kwargs)])


def test_two_runs_of_the_same_steps_do_not_diverge():
    result = diff_sessions(_session("run-a"), _session("run-b"))
    assert result.same and result.first_divergence is None
    assert all(compare_steps(a, b) is None for a, b in result.pairs)
    assert result.render(100).endswith("No divergence: the 3 steps match.")


@pytest.mark.parametrize(
    ("change", "number", "reason"),
    [
        (
            {"prompt": "Refund me"},
            1,
            "different input to 'gpt-4o-2024-08-06': [0].parts[0].content: I was charged twice vs Refund me",
        ),
        ({"tool_name": "search"}, 2, "different tool: 'lookup' vs 'search'"),
        ({"fail": False}, 3, "error only in A: ValueError: customer_id cannot be None"),
        ({"extra_steps": 1}, 3, "extra step in B: action 'step_0'"),
    ],
)
def test_the_first_divergence_names_the_step_and_why(change, number, reason):
    result = diff_sessions(_session("run-a"), _session("run-b", **change))
    first = result.first_divergence
    assert (first.number, first.reason) == (number, reason)
    assert first.recorded is result.pairs[first.index][0]
    assert first.actual is result.pairs[first.index][1]


def test_an_inserted_step_is_one_row_and_the_steps_after_it_pair_up_again():
    result = diff_sessions(_session("run-a", extra_steps=0), _session("run-b", extra_steps=2))
    assert result.to_dict()["marks"] == [
        "=",
        "=",
        "+",
        "+",
        "=",
    ]  # fetch_customer_data matches again after the two new steps
    assert result.first_divergence.reason == "extra step in B: action 'step_0'"
    assert result.pairs[4][0].name == result.pairs[4][1].name == "fetch_customer_data"
    text = result.render(120).splitlines()
    assert [line.split()[0] for line in text[3:-1]] == ["1=", "2=", "3+", "4+", "5="]
    changed = diff_sessions(_session("run-a", extra_steps=3), _session("run-b", extra_steps=3, tool_name="search"))
    assert changed.to_dict()["marks"] == ["=", "≠", "=", "=", "=", "="]  # a change is one row too


def test_a_session_that_stops_early_is_missing_steps():
    longer = _session("run-a", extra_steps=2)
    records = [from_readable_span(s) for s in session_spans("run-b", extra_steps=2)]
    cut = build_session([r for r in records if r.name != "fetch_customer_data"])
    result = diff_sessions(longer, cut)
    assert result.first_divergence.reason == "missing step in B: action 'fetch_customer_data'"
    assert result.first_divergence.actual is None
    reverse = diff_sessions(cut, longer).first_divergence
    assert reverse.reason == "extra step in B: action 'fetch_customer_data'" and reverse.recorded is None
    as_playback = diff_sessions(longer, cut, labels=("recorded", "actual")).first_divergence
    assert as_playback.reason == "missing step in actual: action 'fetch_customer_data'"


def _with(step, **changes):
    return step.__class__(**{**{f: getattr(step, f) for f in step.__slots__}, **changes})


def test_argument_and_kind_differences_say_where():
    tool = _session().tool_events[0]
    assert compare_steps(tool, _with(tool, params={"query": "I was charged twice", "page": 2})) == (
        "different arguments to 'lookup': page only in B"
    )
    assert compare_steps(tool, _with(tool, params={"query": None})) == (
        "different arguments to 'lookup': query: I was charged twice vs null"
    )
    assert compare_steps(tool, _with(tool, kind="action")) == "different kind: tool 'lookup' vs action 'lookup'"
    assert compare_steps(tool, _with(tool, params=[1, 2])) == (
        'different arguments to \'lookup\': {"query": "I was charged twice"} vs [1, 2]'
    )


def test_ids_minted_per_run_do_not_count_as_a_difference():
    a, b = _session("run-a"), _session("run-b")
    llm_a, llm_b = a.llm_events[0], b.llm_events[0]
    with_ids_a = llm_a.__class__(
        **{
            **{f: getattr(llm_a, f) for f in llm_a.__slots__},
            "params": [{"role": "tool", "id": "call_1", "content": "x"}],
        }
    )
    with_ids_b = llm_b.__class__(
        **{
            **{f: getattr(llm_b, f) for f in llm_b.__slots__},
            "params": [{"role": "tool", "id": "call_2", "content": "x"}],
        }
    )
    assert compare_steps(with_ids_a, with_ids_b) is None


def test_the_side_by_side_rendering_marks_each_row_and_the_divergence():
    text = diff_sessions(_session("run-a"), _session("run-b", tool_name="search")).render(120)
    lines = text.splitlines()
    assert lines[:3] == ["A: run-a (Fail, 3 steps)", "B: run-b (Fail, 3 steps)", f"{'':7}{'A':<53} | B"]
    lines = lines[3:]
    assert lines[0].lstrip().startswith("1=")
    assert lines[1].lstrip().startswith("2≠") and lines[1].endswith("<-")
    assert "lookup" in lines[1].split("|")[0] and "search" in lines[1].split("|")[1]
    assert 'gpt-4o-2024-08-06 "I was charged twice"' in lines[0]  # an LLM call shows its last message
    assert 'lookup query="I was charged twice"' in lines[1]  # a tool call shows its arguments
    assert lines[-1] == "First divergence at step 2: different tool: 'lookup' vs 'search'"
    assert all(len(line) <= 120 for line in lines)


def test_long_ids_are_shown_whole_at_a_narrow_width_with_neutral_labels():
    long_a, long_b = "e56203c5-2584-4628-b04b-e4f6d55fb61b", "83f7bd8e-8768-4c81-b6e5-fddbf2033db4"
    text = diff_sessions(_session(long_a), _session(long_b, tool_name="search")).render(80)
    assert text.splitlines()[:2] == [f"A: {long_a} (Fail, 3 steps)", f"B: {long_b} (Fail, 3 steps)"]
    assert all(len(line) <= 80 for line in text.splitlines()[2:-1])  # the table rows, marker included
    assert "recorded" not in text and "actual" not in text


def test_the_diff_command_exits_1_on_divergence_and_0_when_the_same(tmp_path):
    path = tmp_path / "runs.jsonl"
    docs = [
        otlp_dict(session_spans("run-a")),
        otlp_dict(session_spans("run-b", tool_name="search")),
        otlp_dict(session_spans("run-c")),
    ]
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    runner = CliRunner()
    diverged = runner.invoke(main, ["diff", "run-a", "run-b", "--source", str(path), "--width", "100"])
    assert diverged.exit_code == 1, diverged.output
    assert "First divergence at step 2: different tool: 'lookup' vs 'search'" in diverged.output
    same = runner.invoke(main, ["diff", "run-a", "run-c", "--source", f"file:{path}", "--json"])
    assert same.exit_code == 0, same.output
    assert json.loads(same.output)["same"] is True
    missing = runner.invoke(main, ["diff", "run-a", "nope", "--source", str(path)])
    assert missing.exit_code == 2
    assert "error: no session 'nope'" in missing.output


def test_the_two_sessions_can_come_from_different_sources(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(otlp_dict(session_spans("run-a"))))
    b.write_text(json.dumps(otlp_dict(session_spans("run-a", prompt="other"))))
    result = CliRunner().invoke(main, ["diff", "run-a", "run-a", "--source", str(a), "--source-b", str(b)])
    assert result.exit_code == 1
    assert "step 1: different input" in result.output


def test_an_extra_iteration_of_a_loop_is_rows_of_its_own_in_a_long_session():
    from tests._replay_sessions import many_steps

    steps = many_steps(2_000).steps
    again = steps[:1000] + steps[995:1000] + steps[1000:]  # the agent did five steps once more
    rows = align(steps, again)
    marks = [mark(a, b) for a, b in rows]
    assert marks.count("+") == 5 and marks.count("=") == len(steps)
    moved = steps[:500] + steps[700:] + steps[500:700]
    assert [mark(a, b) for a, b in align(steps, moved)].count("=") == len(steps) - 200
