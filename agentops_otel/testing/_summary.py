"""The end-of-run summary the pytest plugin prints, from the plain facts each test's report carries.

Also the words of a repeated test's verdict (its failure message and its summary entry say the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._format import usd
from .._stats import describe_rate, percent

_SHOWN_RUNS = 10  # failing runs listed with their links before the rest are counted


def _session_line(facts: dict[str, Any]) -> str:
    text = f"session {facts['session_id']} ({facts['end_state'] or 'open'})"
    return f"{text} replay: {facts['url']}" if facts.get("url") else text


def verdict(repeat: dict[str, Any]) -> str:
    """Why a repeated test passed or failed, in one clause."""
    runs, passes, rate = repeat["runs"], repeat["passes"], repeat["min_pass_rate"]
    low = repeat["interval"][0]
    if rate is None:
        if repeat["ok"]:
            return "ok: every run passed"
        return f"FAILED: {runs - passes} of {runs} runs failed, and every run must pass (no min_pass_rate set)"
    relation = "at or above" if repeat["ok"] else "under"
    result = "ok" if repeat["ok"] else "FAILED"
    return f"{result}: the lower bound {percent(low)} is {relation} min_pass_rate {percent(rate)}"


def is_flaky(repeat: dict[str, Any]) -> bool:
    return 0 < repeat["passes"] < repeat["runs"]


def repeat_lines(nodeid: str, repeat: dict[str, Any], *, verbose: bool) -> list[str]:
    """A repeated test's pass rate, verdict, trajectories and failing runs.

    `verbose` (the failure message) leads with the marker's name; the summary leads with the test's.
    """
    rate = describe_rate(repeat["passes"], repeat["runs"], repeat["confidence"])
    head = "agentops_repeat" if verbose else nodeid
    lines = [f"{head}: {rate.replace(' passed', ' runs passed', 1)} · {verdict(repeat)}"]
    clusters = repeat["clusters"]
    lines.append(f"trajectories ({len(clusters)}):")
    for number, cluster in enumerate(clusters, start=1):
        lines.append(f"  #{number}  {cluster['count']} runs, {cluster['passes']} passed: {cluster['label']}")
        if cluster["departure"]:
            lines.append(f"        departs from #1: {cluster['departure']}")
    concentration = repeat.get("concentration")
    if concentration is not None and len(clusters) > 1:
        total = sum(c["failures"] for c in clusters)
        how = "always" if concentration["failures"] == total else f"{concentration['failures']} of {total} times"
        lines.append(f"the failures: {how} via #{concentration['cluster'] + 1}")
    failed = repeat["failed_runs"]
    if failed:
        lines.append("failing runs:")
        for run in failed[:_SHOWN_RUNS]:
            where = f"replay: {run['url']}" if run.get("url") else f"session {run['session_id']}"
            problem = f"{run['problem']} · " if verbose and run.get("problem") else ""
            lines.append(f"  run {run['index']}: {problem}{where}")
        if len(failed) > _SHOWN_RUNS:
            lines.append(
                f"  … and {len(failed) - _SHOWN_RUNS} more (agentops-otel sessions --tag '{nodeid}' --status Fail)"
            )
    lines += list(repeat.get("notes") or ())
    if repeat.get("notes"):
        lines.append(_played_back(repeat))
    return lines


def _played_back(repeat: dict[str, Any]) -> str:
    count = len(repeat["clusters"])
    if count == 1:
        return f"played back, deterministic: all {repeat['runs']} runs took the same trajectory"
    return f"played back, yet {count} trajectories: the code under test varies on the same answers"


def summary_lines(results: Iterable[dict[str, Any]]) -> list[str]:
    """Totals over every session of the run, repeated and flaky tests, then each failed test's links."""
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
    repeated = [r for r in results if r.get("repeat")]
    if repeated:
        lines.append("repeated tests:")
        for result in repeated:
            repeat = result["repeat"]
            rate = describe_rate(repeat["passes"], repeat["runs"], repeat["confidence"])
            count = len(repeat["clusters"])
            line = f"  {result['nodeid']}: {rate} · {count} trajector{'y' if count == 1 else 'ies'} · {verdict(repeat)}"
            if repeat.get("notes"):
                line += " · " + _played_back(repeat)
            lines.append(line)
    flaky = [r for r in repeated if is_flaky(r["repeat"])]
    if flaky:
        lines.append("flaky tests (passed some runs, failed others):")
        for result in flaky:
            lines += ["  " + line for line in repeat_lines(result["nodeid"], result["repeat"], verbose=False)]
    failed_tests = [r for r in results if r["failed"]]
    if failed_tests:
        lines.append("failed tests:")
        for result in failed_tests:
            lines.append(f"  {result['nodeid']}")
            repeat = result.get("repeat")
            if repeat is not None:
                if is_flaky(repeat):
                    lines.append("    flaky: see above")
                else:
                    lines += ["    " + line for line in repeat_lines(result["nodeid"], repeat, verbose=False)[1:]]
                continue
            if not result["sessions"]:
                continue
            own, *started = result["sessions"]
            lines.append(f"    {_session_line(own)}")
            lines += [f"    started in the test: {_session_line(s)}" for s in started]
    return lines
