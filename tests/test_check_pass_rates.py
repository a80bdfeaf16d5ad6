"""`check --group-by/--min-pass-rate/--max-trajectories` and `trajectories`, over a stored pytest run.

The run is real: a pytest suite of repeated tests (`tests._flaky_agent.REPEATED_SUITE`) recorded to the
local store and, at the same time, exported over OTLP/HTTP to a loopback receiver that writes what it
gets as the Collector's file exporter does (OTLP JSON lines). Both sources must give the same verdicts,
and the verdicts are the ones computed in advance from the seeded agent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from google.protobuf.json_format import MessageToDict

from agentops_otel.cli import main
from agentops_otel.sources import open_source
from tests._flaky_agent import REPEATED_SUITE, REPO, pct, plans, wilson
from tests._otlp_receiver import OtlpReceiver
from tests._sources_shapes import _b64_to_hex, _rewrite_ids

STRAY = """
import agentops_otel as agentops

agentops.start_session(name="nightly-probe", tags=["probe"]).end("Success")   # no test: not grouped by test
"""
NODE = "test_support.py::{}"
SINCE = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")  # one window for every call


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    base = tmp_path_factory.mktemp("pass-rates")
    (base / "test_support.py").write_text(REPEATED_SUITE)
    (base / "conftest.py").write_text(STRAY)
    (base / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    receiver = OtlpReceiver()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AGENTOPS_OTEL_STORE_PATH": str(base / "traces.db"),
        "OTEL_TRACES_EXPORTER": "otlp,agentops_store",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "AGENTOPS_OTEL_DEBUG": "1",
    }
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q"],
            cwd=base,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        receiver.close()
    assert run.returncode == 1, run.stdout + run.stderr  # two of the four tests fail, as planned
    lines = [
        json.dumps(_rewrite_ids(MessageToDict(r.request), _b64_to_hex)) + "\n"
        for r in receiver.attempts()
        if r.request is not None
    ]
    (base / "traces.jsonl").write_text("".join(lines))
    yield {"store": f"store:{base / 'traces.db'}", "file": f"file:{base / 'traces.jsonl'}"}


def _cli(command: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [command, "--since", SINCE, *args])
    return result.exit_code, result.stdout + result.stderr


def _json(command: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, [command, "--since", SINCE, *args, "--json"])
    data = json.loads(result.stdout)
    data["exit_code"] = result.exit_code
    del data["source"]
    return data


def test_check_rates_each_test_and_tells_flaky_from_failing(recorded: dict[str, str]) -> None:
    cases = plans()
    threshold = 0.4
    answers = {
        name: _json("check", "--source", spec, "--group-by", "test", "--min-pass-rate", str(threshold))
        for name, spec in recorded.items()
    }
    assert answers["store"] == answers["file"]
    data = answers["store"]
    total = sum(c["runs"] for c in cases.values())
    assert data["sessions"] == total + 1  # the runs and the stray session
    rates = data["pass_rates"]
    assert rates["ungrouped_runs"] == 1  # the stray session is no test run
    groups = {g["group"]: g for g in rates["groups"]}
    assert list(groups) == [NODE.format(name) for name in cases]
    for name, case in cases.items():
        group = groups[NODE.format(name)]
        low, high = wilson(case["passes"], case["runs"])
        assert (group["runs"], group["passes"], group["failures"]) == (
            case["runs"],
            case["passes"],
            case["runs"] - case["passes"],
        )
        assert group["interval"] == pytest.approx([low, high], abs=1e-12)
        assert group["rate_ok"] is (low >= threshold), name
    assert rates["flaky"] == [NODE.format("test_double_lenient"), NODE.format("test_double_strict")]
    assert rates["failing"] == [NODE.format("test_cancel")]
    expected_ok = all(wilson(c["passes"], c["runs"])[0] >= threshold for c in cases.values())
    assert data["ok"] is expected_ok is False and data["exit_code"] == 1
    strict = groups[NODE.format("test_double_strict")]
    failing = strict["trajectories"][strict["failing_trajectory"]]
    assert failing["label"] == "llm gpt-4o → tool escalate(priority: number, reason: str) → llm gpt-4o"
    assert failing["failures"] == strict["failures"] and failing["passes"] == 0

    code, text = _cli("check", "--source", recorded["file"], "--group-by", "test", "--min-pass-rate", "0.4")
    assert code == 1
    flaky = text.split("flaky (passed some runs, failed others):")[1].split("consistently failing")[0]
    lenient = cases["test_double_lenient"]
    assert (
        f"  {NODE.format('test_double_lenient')}: {lenient['passes']}/20 passed "
        f"({pct(lenient['passes'] / 20)}, 95% interval {pct(wilson(lenient['passes'], 20)[0])} to "
        f"{pct(wilson(lenient['passes'], 20)[1])}) · ok"
    ) in flaky
    assert "the trajectory that fails (every failure): #2 llm gpt-4o → tool escalate(" in flaky
    assert "departs from #1: step 2 is tool escalate(priority: number, reason: str)" in flaky
    failing_text = text.split("consistently failing (no run passed):")[1]
    assert f"  {NODE.format('test_cancel')}: 0/4 passed" in failing_text and "BREACHED (pass rate)" in failing_text
    assert "1 run(s) are not test runs (no agentops.test.node_id): not grouped" in text
    assert "FAILED: a threshold is breached" in text


def test_max_trajectories_flags_the_tests_whose_behaviour_space_grew(recorded: dict[str, str]) -> None:
    code, text = _cli("check", "--source", recorded["store"], "--group-by", "test", "--max-trajectories", "1")
    assert code == 1
    exploded = text.split("too many trajectories (more than 1):")[1].splitlines()[1:3]
    assert exploded == [
        f"  {NODE.format('test_double_lenient')}: 2 distinct trajectories in 20 runs",
        f"  {NODE.format('test_double_strict')}: 2 distinct trajectories in 20 runs",
    ]
    parcel = _json("check", "--source", recorded["file"], "--tag", NODE.format("test_parcel"), "--group-by", "test",
                   "--min-pass-rate", "0.5", "--max-trajectories", "1")  # fmt: skip
    assert parcel["exit_code"] == 0 and parcel["ok"] and parcel["pass_rates"]["groups"][0]["runs"] == 5


def test_grouping_by_tag_and_name_and_everything(recorded: dict[str, str]) -> None:
    by_tag = _json("check", "--source", recorded["store"], "--group-by", "tag")
    keys = [g["group"] for g in by_tag["pass_rates"]["groups"]]
    assert keys == ["probe", *(NODE.format(name) for name in plans())]  # run:<i> tags are not groups
    by_name = _json("check", "--source", recorded["file"], "--group-by", "name")
    assert [g["group"] for g in by_name["pass_rates"]["groups"]] == ["nightly-probe", *keys[1:]]
    assert by_tag["exit_code"] == by_name["exit_code"] == 0  # no threshold: reported, not judged
    everything = _json("check", "--source", recorded["store"], "--min-pass-rate", "0.5")
    (group,) = everything["pass_rates"]["groups"]
    passes = sum(c["passes"] for c in plans().values()) + 1
    assert group["group"] == "all sessions" and group["passes"] == passes and group["runs"] == 50
    assert group["interval"] == pytest.approx(list(wilson(passes, 50)), abs=1e-12)


def test_a_group_is_never_judged_on_a_sample_cut_short(recorded: dict[str, str]) -> None:
    for command in ("check", "trajectories"):
        code, text = _cli(command, "--source", recorded["store"], "--group-by", "test", "--limit", "10")
        assert code == 2, text
        assert text.startswith("error: more than 10 sessions match in store:") and "raise --limit" in text
    # Ungrouped, --limit is a ceiling too: never a sample.
    code, text = _cli("check", "--source", recorded["store"], "--limit", "10")
    assert code == 2 and text.startswith("error: more than 10 sessions match in store:"), text
    assert _cli("check", "--source", recorded["store"])[0] == 0  # without --limit: every session rated


def test_trajectories_lists_each_path_with_its_rate_cost_duration_and_departure(recorded: dict[str, str]) -> None:
    answers = {
        name: _json("trajectories", "--source", spec, "--group-by", "test", "--name", "*double*")
        for name, spec in recorded.items()
    }
    assert answers["store"] == answers["file"]
    data = answers["store"]
    assert data["sessions"] == 40 and [g["group"] for g in data["groups"]] == [
        NODE.format("test_double_lenient"),
        NODE.format("test_double_strict"),
    ]
    lenient = plans()["test_double_lenient"]
    ok, bad = data["groups"][0]["trajectories"]
    assert (ok["count"], ok["passes"], bad["count"], bad["failures"]) == (
        lenient["passes"],
        lenient["passes"],
        20 - lenient["passes"],
        20 - lenient["passes"],
    )
    assert bad["departure"]["step"] == 2 and bad["departure"]["reference"] == "tool lookup_order(order_id: str)"
    source = open_source(recorded["store"])
    costs = sorted(source.session(i).cost for i in bad["sessions"])  # type: ignore[type-var]
    assert bad["cost"]["mean"] == pytest.approx(sum(costs) / len(costs))  # type: ignore[arg-type]
    assert bad["cost"]["p95"] == costs[-1] and bad["cost"]["unpriced"] == 0  # nearest rank of 7 or fewer: the max
    durations = sorted(source.session(i).duration for i in ok["sessions"])  # type: ignore[type-var]
    assert ok["duration"]["mean"] == pytest.approx(sum(durations) / len(durations))  # type: ignore[arg-type]

    code, text = _cli("trajectories", "--source", recorded["file"], "--group-by", "test", "--name", "*cancel*")
    assert code == 0
    assert f"{NODE.format('test_cancel')} · 4 runs · 0/4 passed" in text and "(failing)" in text
    assert "  #1  4 runs · 0/4 passed (0%, 95% interval 0% to 49%)" in text
    assert "          2. tool escalate(priority: number, reason: str)" in text
    code, text = _cli("trajectories", "--source", recorded["store"], "--name", "nobody")
    assert code == 0 and "no sessions match" in text


def test_usage_errors_exit_two(recorded: dict[str, str]) -> None:
    for args, message in (
        (("--group-by", "suite"), "'suite' is not one of 'test', 'tag', 'name'"),
        (("--min-pass-rate", "1.5"), "1.5 is not in the range 0<=x<=1"),
        (("--confidence", "1"), "1.0 is not in the range 0<x<1"),
        (("--max-trajectories", "0"), "0 is not in the range x>=1"),
    ):
        code, text = _cli("check", "--source", recorded["store"], *args)
        assert code == 2 and message in text, (args, text)
    code, text = _cli("trajectories", "--source", recorded["store"], "--group-by", "suite")
    assert code == 2 and "'suite' is not one of" in text
