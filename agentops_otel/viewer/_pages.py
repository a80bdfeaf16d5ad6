"""The viewer's own pages: the layout they share, the session list, and the error page.

Server-rendered HTML with no script at all: sorting, search, pages and filters are links and forms,
so every page works without JavaScript. Every recorded value is escaped here.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from functools import cache
from html import escape
from pathlib import Path

from .. import _states
from .._format import usd
from ..model import SessionSummary
from ..replay._text import duration_text
from ._listing import Match, Page
from ._query import PAGE_SIZES, ListQuery

_DASH = "\u2013"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'"
_STATE_CLASSES = {
    _states.SUCCESS: "st-success",
    _states.FAIL: "st-fail",
    _states.INDETERMINATE: "st-indeterminate",
    None: "st-open",
}
# (sort key, heading, CSS class of the column); "opt" columns give way on a phone. The session's name,
# id and service share one column, so the list fits a 1,024 px screen with its tags whole.
_COLUMNS = (
    ("start", "Started (UTC)", "when"),
    ("name", "Session", "name"),
    ("status", "Status", ""),
    ("duration", "Duration", "num"),
    ("cost", "Cost", "num"),
    ("tokens", "Tokens in / out", "num opt"),
    ("steps", "Steps", "num opt"),
    ("tags", "Tags", "tags"),
)


@cache
def _style() -> str:
    return (Path(__file__).parent / "assets" / "viewer.css").read_text(encoding="utf-8")


def layout(title: str, body: str, *, source: str, here: str) -> str:
    links = "".join(
        f'<a href="{href}"{" class=here" if href == here else ""}>{label}</a>'
        for label, href in (("Sessions", "/"), ("Trends", "/trends"), ("Compare", "/diff"))
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_style()}</style></head><body>"
        f'<nav class="top"><b>agentops-otel</b>{links}<span class="source">from {escape(source)}</span></nav>'
        f"<main>{body}</main></body></html>"
    )


def error_page(title: str, reason: str, *, source: str, back: tuple[str, str] = ("the sessions", "/")) -> str:
    body = (
        f"<h1>{escape(title)}</h1><p class=error>{escape(reason)}</p>"
        f'<p><a href="{escape(back[1])}">Back to {escape(back[0])}</a></p>'
    )
    return layout(title, body, source=source, here="")


def session_href(session_id: str, list_params: str = "") -> str:
    return "/sessions/" + urllib.parse.quote(session_id, safe="") + (f"?{list_params}" if list_params else "")


def state_text(end_state: str | None) -> tuple[str, str]:
    """(what a listing shows, a CSS class from a fixed set)."""
    return _states.status_of(end_state), _STATE_CLASSES.get(end_state, "st-other")


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _match_cell(summary: SessionSummary, match: Match | None, params: str) -> str:
    if match is None:
        return "<td class=match></td>"
    where = escape(match.where)
    if match.step is not None:
        href = escape(session_href(summary.session_id, params) + f"#step-{match.step}")
        where = f'<a href="{href}">{where}</a>'
    return f"<td class=match>{where}: {escape(match.text)}</td>"


def _row(summary: SessionSummary, match: Match | None, query: ListQuery) -> str:
    params = query.params()
    state, css = state_text(summary.end_state)
    shown_id = summary.session_id if len(summary.session_id) <= 14 else summary.session_id[:12] + "\u2026"
    tags = "".join(f'<span class="tag">{escape(t)}</span>' for t in summary.tags)
    usage = summary.usage
    service = f" \u00b7 {escape(summary.service)}" if summary.service else ""
    cells = [
        f'<td><input type="checkbox" name="pick" value="{escape(summary.session_id)}" '
        f'aria-label="compare {escape(summary.session_id)}"></td>',
        f"<td class=when>{_when(summary.start_ns)}</td>",
        f'<td class=name><a href="{escape(session_href(summary.session_id, params))}">{escape(summary.name)}</a>'
        f'<div class="sub"><code title="{escape(summary.session_id)}">{escape(shown_id)}</code>{service}</div></td>',
        f'<td><span class="state {css}" title="{escape(summary.end_state_reason or "")}">{escape(state)}</span></td>',
        f"<td class=num>{duration_text(summary.duration)}</td>",
        f"<td class=num>{escape(usd(summary.cost))}</td>",
        f'<td class="num opt" data-label="tokens">{usage.input_tokens:,} / {usage.output_tokens:,}</td>',
        f'<td class="num opt" data-label="steps">{_DASH if summary.steps is None else f"{summary.steps:,}"}</td>',
        f"<td class=tags>{tags}</td>",
    ]
    if query.search:
        cells.append(_match_cell(summary, match, params))
    return "<tr>" + "".join(cells) + "</tr>"


def _heading(query: ListQuery) -> str:
    cells = ["<th></th>"]
    for key, label, css in _COLUMNS:
        attrs = f' class="{css}"' if "opt" in css else ""
        current = query.sort == key
        # A first click sorts biggest (or newest, or last in the alphabet) first; a second reverses.
        descending = not query.descending if current else key not in ("name", "service", "tags", "status")
        href = "/?" + query.params(sort=key, descending=descending, page=1)
        mark, sort_attr = "", ""
        if current:
            mark = " \u25bc" if query.descending else " \u25b2"
            sort_attr = f' aria-sort="{"descending" if query.descending else "ascending"}"'
        cells.append(f'<th{attrs}{sort_attr}><a href="{escape(href)}">{label}{mark}</a></th>')
    if query.search:
        cells.append("<th>Found in</th>")
    return '<tr class="head">' + "".join(cells) + "</tr>"


def _form(query: ListQuery) -> str:
    f = query.filters

    def value(text: str | None) -> str:
        return escape(text or "")

    statuses = "".join(
        f'<option value="{s}"{" selected" if f.status == s else ""}>{s or "any"}</option>'
        for s in ("", *_states.STATUSES)
    )
    sizes = "".join(f"<option{' selected' if size == query.per_page else ''}>{size}</option>" for size in PAGE_SIZES)
    sorts = "".join(
        f'<option value="{key}"{" selected" if key == query.sort else ""}>{label}</option>'
        for key, label, _ in _COLUMNS
    )
    orders = "".join(
        f'<option value="{value}"{" selected" if (value == "desc") == query.descending else ""}>{label}</option>'
        for value, label in (("desc", "biggest, newest, Z first"), ("asc", "smallest, oldest, A first"))
    )
    return (
        '<form class="filters" method="get" action="/">'
        f'<label>Search <input name="q" type="search" value="{value(query.search)}" '
        'placeholder="an id prefix, a name, a tag, or text inside the steps"></label>'
        f'<label>Status <select name="status">{statuses}</select></label>'
        f'<label>Tag <input name="tag" value="{value(",".join(f.tags))}" placeholder="prod,billing" size="12"></label>'
        f'<label>Service <input name="service" value="{value(f.service)}" size="12"></label>'
        f'<label>Since <input name="since" value="{value(f.since)}" placeholder="2h, 7d, 2026-11-24" size="12"></label>'
        f'<label>Sort by <select name="sort">{sorts}</select></label>'
        f'<label>Order <select name="order">{orders}</select></label>'
        f'<label>Per page <select name="per">{sizes}</select></label>'
        '<button type="submit">Show</button> <a href="/">clear</a></form>'
    )


def _pages_nav(page: Page, query: ListQuery) -> str:
    links = []
    if page.page > 1:
        links.append(f'<a href="/?{escape(query.params(page=1))}">\u00ab first</a>')
        links.append(f'<a href="/?{escape(query.params(page=page.page - 1))}" rel="prev">\u2190 previous</a>')
    links.append(f"<span>page {page.page} of {page.pages}</span>")
    if page.page < page.pages:
        links.append(f'<a href="/?{escape(query.params(page=page.page + 1))}" rel="next">next \u2192</a>')
        links.append(f'<a href="/?{escape(query.params(page=page.pages))}">last \u00bb</a>')
    return '<nav class="pages" aria-label="Pages">' + "".join(links) + "</nav>"


def _summary_line(page: Page, query: ListQuery) -> str:
    text = f"{page.total:,} session{'s' if page.total != 1 else ''}"
    if query.search:
        text += f" match \u201c{escape(query.search)}\u201d (ids, names, tags, reasons and the text of steps)"
        text += f" out of {page.candidates:,}"
    line = f'<p class="summary">{text}.</p>'
    if page.unsearched:
        more = escape(query.params(scan=query.scan * 4, page=1))
        line += (
            f'<p class="summary muted">The steps of the newest {query.scan:,} sessions were searched, not those'
            f' of {page.unsearched:,} older ones: <a href="/?{more}">search {query.scan * 4:,}</a>, or narrow'
            " the filters.</p>"
        )
    return line


def list_page(page: Page, query: ListQuery, *, source: str) -> str:
    rows = "".join(_row(s, m, query) for s, m in page.rows)
    table = (
        '<form method="get" action="/diff"><div class="compare"><button type="submit">Compare two selected</button>'
        '<span class="muted">tick two sessions to see their steps side by side</span></div>'
        f'<div class="scroll"><table class="sessions">{_heading(query)}{rows}</table></div></form>'
        if page.rows
        else '<p class="muted">No sessions match.</p>'
    )
    body = f"<h1>Sessions</h1>{_form(query)}{_summary_line(page, query)}{table}"
    if page.pages > 1:
        body += _pages_nav(page, query)
    return layout("agentops-otel sessions", body, source=source, here="/")


__all__ = ["CSP", "error_page", "layout", "list_page", "session_href", "state_text"]
