"""The grouped pass-rate report of `agentops-otel check`, as text."""

from __future__ import annotations

from .. import semconv as sc
from .._stats import describe_rate, percent
from ._pass_rates import GroupedRates, GroupRate

_WHAT = {"test": "test", "tag": "tag", "name": "name", None: "all sessions"}


def _result(group: GroupRate) -> str:
    problems = []
    if not group.rate_ok:
        problems.append("pass rate")
    if not group.trajectories_ok:
        problems.append("trajectories")
    return "ok" if not problems else "BREACHED (" + ", ".join(problems) + ")"


def _interval(group: GroupRate) -> str:
    if not group.rated:
        return "-"
    low, high = group.interval
    return f"{percent(low)} to {percent(high)}"


def _detail(group: GroupRate) -> list[str]:
    lines = [f"  {group.key}: {describe_rate(group.passes, group.rated, group.confidence)} · {_result(group)}"]
    failing = group.failing_cluster
    if failing is not None:
        share = "every failure" if failing.failures == group.failures else f"{failing.failures} of {group.failures}"
        lines.append(f"    the trajectory that fails ({share}): #{failing.index + 1} {failing.trajectory.label()}")
        if failing.departure is not None:
            lines.append(f"      departs from #1: {failing.departure.describe()}")
    return lines


def render_groups(report: GroupedRates) -> str:
    """A table of the groups, then the flaky ones, the consistently failing ones, and exploded ones."""
    if not report.groups:
        return f"no {_WHAT[report.by]} groups to rate"
    first = report.groups[0]
    rule = ""
    if first.min_pass_rate is not None:
        rule = f" (lower bound of the {percent(first.confidence)} Wilson interval >= {percent(first.min_pass_rate)})"
    rows = [("group", "runs", "passed", "rate", "interval", "trajectories", "result")]
    for g in report.groups:
        rate = percent(g.passes / g.rated) if g.rated else "-"
        rows.append((g.key, str(g.runs), str(g.passes), rate, _interval(g), str(len(g.clusters)), _result(g)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"pass rates by {_WHAT[report.by]}{rule}:"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    flaky, failing = report.of_kind("flaky"), report.of_kind("failing")
    if flaky:
        lines.append("flaky (passed some runs, failed others):")
        for group in flaky:
            lines += _detail(group)
    if failing:
        lines.append("consistently failing (no run passed):")
        for group in failing:
            lines += _detail(group)
    exploded = [g for g in report.groups if not g.trajectories_ok]
    if exploded:
        lines.append(f"too many trajectories (more than {exploded[0].max_trajectories}):")
        lines += [f"  {g.key}: {len(g.clusters)} distinct trajectories in {g.runs} runs" for g in exploded]
    if report.ungrouped:
        why = f"are not test runs (no {sc.AGENTOPS_TEST_NODE_ID})" if report.by == "test" else "have no tag"
        lines.append(f"{report.ungrouped} run(s) {why}: not grouped")
    return "\n".join(lines)
