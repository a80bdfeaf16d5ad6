"""`agentops-otel sessions`: the listing, its filters, JSON, and an empty store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main, parse_since
from agentops_otel.errors import ConfigurationError
from agentops_otel.store import LocalStore
from tests.test_store_sample import T0, support_session


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "traces.db"
    with LocalStore(path) as s:
        s.write(support_session(1, fail=True, tags=("support", "v2.1"), start_offset_s=10))
        s.write(support_session(2, fail=False, tags=("support",), start_offset_s=20, service="billing"))
        s.write(support_session(3, fail=False, tags=("beta",), start_offset_s=30))
    return path


def _run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def _listed_ids(output):
    return [line.split()[0] for line in output.splitlines()[1:]]


def test_the_listing_shows_id_start_duration_status_tags_and_cost_newest_first(store):
    out = _run("sessions", "--source", str(store)).stdout
    header, *rows = out.splitlines()
    assert header.split() == ["SESSION", "STARTED", "DURATION", "STATUS", "TAGS", "COST"]
    assert _listed_ids(out) == ["sess-0003-7f3a", "sess-0002-7f3a", "sess-0001-7f3a"]
    started = datetime.fromtimestamp(T0 / 1e9 + 10).strftime("%Y-%m-%d %H:%M:%S")
    assert rows[2].split() == ["sess-0001-7f3a", *started.split(), "1.89s", "Fail", "support,v2.1", "$0.00034"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tag", "support"], [2, 1]),
        (["--tag", "support", "--tag", "v2.1"], [1]),
        (["--status", "fail"], [1]),
        (["--status", "Success", "--tag", "beta"], [3]),
        (["--service", "billing"], [2]),
        (["--limit", "2"], [3, 2]),
        (["--since", datetime.fromtimestamp(T0 / 1e9 + 25, tz=UTC).isoformat()], [3]),
    ],
)
def test_filters(store, args, expected):
    out = _run("sessions", "--source", str(store), *args).stdout
    assert _listed_ids(out) == [f"sess-{n:04d}-7f3a" for n in expected]


def test_json_lists_the_session_summaries(store):
    data = json.loads(_run("sessions", "--source", str(store), "--json", "--status", "Fail").stdout)
    assert [d["session_id"] for d in data] == ["sess-0001-7f3a"]
    assert data[0]["end_state_reason"] == "ValueError: customer_id cannot be None"
    assert data[0]["usage"]["input_tokens"] == 120 and data[0]["tags"] == ["support", "v2.1"]


def test_reaching_the_limit_says_how_to_see_more(store):
    result = _run("sessions", "--source", str(store), "--limit", "3")
    assert "--limit N shows more" in result.stderr


def test_a_missing_default_store_lists_nothing_and_says_so(tmp_path, monkeypatch):
    missing = tmp_path / "none" / "traces.db"
    monkeypatch.delenv("AGENTOPS_OTEL_SOURCE", raising=False)
    monkeypatch.setenv("AGENTOPS_OTEL_STORE_PATH", str(missing))
    result = _run("sessions")
    assert result.stdout == ""
    assert result.stderr.strip() == f"no sessions recorded yet in store:{missing}"
    assert not missing.parent.exists()
    assert json.loads(_run("sessions", "--json").stdout) == []


@pytest.mark.parametrize("command", [["sessions"], ["replay", "abc"], ["check"], ["diff", "a", "b"]])
@pytest.mark.parametrize("spec", ["{path}", "store:{path}"])
def test_a_store_named_explicitly_that_does_not_exist_is_an_error(tmp_path, command, spec):
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, [*command, "--source", spec.format(path=missing)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith(f"error: no store at {missing}: check the path")
    assert not missing.exists()


def test_filters_that_match_nothing_say_so(store):
    result = _run("sessions", "--source", str(store), "--tag", "nope")
    assert result.stdout == "" and "no sessions match these filters" in result.stderr


def test_colour_marks_the_status_without_breaking_the_columns(store):
    out = _run("sessions", "--source", str(store), "--color").stdout
    assert "\x1b[31mFail" in out
    plain = _run("sessions", "--source", str(store), "--no-color").stdout
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain


NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - timedelta(seconds=90)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("1.5d", NOW - timedelta(days=1.5)),
        ("1w", NOW - timedelta(weeks=1)),
        ("2026-11-20T08:00:00+00:00", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        ("2026-11-20T08:00Z", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        ("2026-11-20T10:00+02:00", datetime(2026, 11, 20, 10, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_since_reads_durations_and_iso_times(text, expected):
    assert parse_since(text, now=NOW) == int(expected.timestamp() * 1_000_000_000)


def test_since_without_a_zone_is_local_time():
    assert parse_since("2026-11-20", now=NOW) == int(datetime(2026, 11, 20).astimezone().timestamp() * 1e9)


@pytest.mark.parametrize("text", ["", "soon", "-2h", "2 fortnights", "2026-13-01"])
def test_since_rejects_anything_else_with_the_forms_it_accepts(text):
    with pytest.raises(ConfigurationError, match="30m, 2h, 7d"):
        parse_since(text, now=NOW)


def test_a_session_without_llm_calls_costs_zero_like_the_replay_header_says(tmp_path):
    from agentops_otel import semconv as sc

    path = tmp_path / "traces.db"
    spans = [r for r in support_session(7) if sc.GEN_AI_OPERATION_NAME not in r.attributes]
    with LocalStore(path) as s:
        s.write(spans)
    row = _run("sessions", "--source", str(path)).stdout.splitlines()[1]
    assert row.split()[0] == "sess-0007-7f3a" and row.split()[-1] == "$0.00"
    replay = _run("replay", "sess-0007", "--source", str(path)).stdout
    assert "Cost: $0.00 " in replay
