"""The trends page: per service or tag, failure rate, cost and p95 latency over time, with the same
totals `agentops-otel check` measures on the same window."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from .._format import usd
from ..replay._text import duration_text
from ._charts import bar_chart, short_usd, time_label
from ._pages import layout
from ._query import BUCKETS, GROUPS, TrendQuery
from ._trends import Figures, Group, Trends


def _rate(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    return "\u2013" if value is None else duration_text(value)


def _cost(total: Figures) -> str:
    if total.cost_p95 is not None:
        return usd(total.cost_p95)
    if total.unpriced and total.sessions:
        return f"unknown ({total.unpriced} unpriced)"
    return "\u2013"


def _group(group: Group, trends: Trends) -> str:
    t, size = group.total, trends.bucket_seconds
    facts = [
        ("Sessions", f"{t.sessions:,}"),
        ("Failure rate", f"{_rate(t.failure_rate)} ({t.failed} of {t.ended} ended)"),
        ("Cost per session (p95)", _cost(t)),
        ("Total cost", usd(t.cost_total) + (f" + {t.unpriced} unpriced" if t.unpriced else "")),
        ("Latency (p95)", _seconds(t.latency_p95)),
        ("LLM calls per session (max)", "\u2013" if t.llm_calls_max is None else f"{t.llm_calls_max:g}"),
    ]
    facts_html = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)

    def when(b: Figures) -> str:
        return time_label(b.start_ns, size)

    def rate_tip(b: Figures) -> str:
        return f"{when(b)}: {b.failed} of {b.ended} failed ({_rate(b.failure_rate)})"

    def cost_tip(b: Figures) -> str:
        unpriced = f", {b.unpriced} unpriced" if b.unpriced else ""
        return f"{when(b)}: {usd(b.cost_total)} over {b.sessions - b.unpriced} priced sessions{unpriced}"

    def latency_tip(b: Figures) -> str:
        return f"{when(b)}: p95 {_seconds(b.latency_p95)} over {b.ended} ended sessions"

    # (title, CSS class, colour, axis labels, the value of a bucket, its tooltip)
    charts: list[
        tuple[str, str, str, Callable[[float], str], Callable[[Figures], float | None], Callable[[Figures], str]]
    ] = [
        ("Failure rate", "rate", "#dc2626", lambda v: f"{v:.0%}", lambda b: b.failure_rate, rate_tip),
        ("Cost", "cost", "#6366f1", short_usd, lambda b: b.cost_total if b.sessions else None, cost_tip),
        ("p95 latency", "latency", "#0ea5e9", _seconds, lambda b: b.latency_p95, latency_tip),
    ]
    drawn = "".join(
        f'<div class="chart-title">{title}</div>'
        + bar_chart(
            f"{title} of {group.name}",
            [(b.start_ns, value(b), tip(b)) for b in group.buckets],
            bucket_seconds=size,
            colour=colour,
            axis_label=axis,
            css=css,
        )
        for title, css, colour, axis, value, tip in charts
    )
    rows = "".join(
        f"<tr><td>{escape(when(b))}</td><td>{b.sessions}</td><td>{_rate(b.failure_rate)}</td>"
        f"<td>{usd(b.cost_total)}</td><td>{_seconds(b.latency_p95)}</td></tr>"
        for b in group.buckets
        if b.sessions
    )
    numbers = (
        "<details><summary>Numbers</summary><table class=numbers><tr><th>From (UTC)</th><th>Sessions</th>"
        f"<th>Failure rate</th><th>Cost</th><th>p95 latency</th></tr>{rows}</table></details>"
    )
    return f'<section class="group"><h2>{escape(group.name)}</h2><dl>{facts_html}</dl>{drawn}{numbers}</section>'


def _form(query: TrendQuery) -> str:
    f = query.filters
    groups = "".join(f"<option{' selected' if g == query.group else ''}>{g}</option>" for g in GROUPS)
    buckets = "".join(
        f"<option{' selected' if b == (query.bucket or 'auto') else ''}>{b}</option>" for b in ("auto", *BUCKETS)
    )
    return (
        '<form class="filters" method="get" action="/trends">'
        f'<label>Since <input name="since" value="{escape(f.since or "")}" size="12"></label>'
        f'<label>Tag <input name="tag" value="{escape(",".join(f.tags))}" size="12"></label>'
        f'<label>Service <input name="service" value="{escape(f.service or "")}" size="12"></label>'
        f'<label>Per <select name="group">{groups}</select></label>'
        f'<label>Bucket <select name="bucket">{buckets}</select></label>'
        f'<label>Newest <input name="limit" value="{f.limit or ""}" size="6"></label>'
        '<button type="submit">Show</button></form>'
    )


def trends_page(trends: Trends, query: TrendQuery, *, source: str, limit_reached: bool) -> str:
    body = f"<h1>Trends</h1>{_form(query)}"
    window = f"{time_label(trends.since_ns, 60)} to {time_label(trends.until_ns, 60)} UTC"
    body += (
        f'<p class="summary">{trends.sessions:,} sessions, {window}, in buckets of {_bucket(trends.bucket_seconds)}.'
    )
    if limit_reached:
        body += f" Only the newest {query.filters.limit:,} were read: raise Newest to read more."
    body += (
        " The totals are what <code>agentops-otel check</code> measures on the same sessions"
        " (failure rate over ended sessions; cost per session, p95).</p>"
    )
    if not trends.groups:
        body += '<p class="muted">No sessions in this window.</p>'
    body += '<div class="groups">' + "".join(_group(g, trends) for g in trends.groups) + "</div>"
    if trends.more_groups:
        body += f'<p class="muted">{trends.more_groups} smaller groups are not shown: filter by tag or service.</p>'
    return layout("agentops-otel trends", body, source=source, here="/trends")


def _bucket(seconds: int) -> str:
    return next((name for name, size in BUCKETS.items() if size == seconds), f"{seconds} s")


__all__ = ["trends_page"]
