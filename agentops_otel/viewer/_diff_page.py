"""Two sessions side by side in the browser, aligned as `agentops-otel diff` aligns them, with the
first divergence highlighted; long runs of matching steps fold away around the differences."""

from __future__ import annotations

from html import escape

from ..model import Step
from ..replay._diff import SessionDiff, excerpt, mark
from ._pages import layout, session_href, state_text

_CONTEXT = 3  # matching rows kept in view on each side of a difference
_CSS = {"=": "", "\u2260": "ne", "+": "add", "-": "del"}


def _excerpt(step: Step) -> str:
    return "" if step.params is None else excerpt(step.params)


def _cell(step: Step | None, number: int | None, session_id: str) -> str:
    if step is None or number is None:
        return "<td></td>"
    href = escape(session_href(session_id) + f"#step-{number}")
    error = f' <span class="err">\u2717 {escape(str(step.error))}</span>' if step.error else ""
    indent = "\u2003" * max(0, step.depth - 1)
    return (
        f'<td>{indent}<a href="{href}">{number}</a> <span class="kind">{escape(step.kind)}</span>'
        f"<b>{escape(step.name)}</b> <span class=muted>{escape(_excerpt(step))}</span>{error}</td>"
    )


def _rows(diff: SessionDiff) -> str:
    marks = [mark(a, b) for a, b in diff.pairs]
    first = diff.first_divergence.index if diff.first_divergence else None
    near = [False] * len(marks)
    for i, m in enumerate(marks):
        if m != "=" or i == first:
            for j in range(max(0, i - _CONTEXT), min(len(marks), i + _CONTEXT + 1)):
                near[j] = True
    numbers_a = numbers_b = 0
    out: list[str] = []
    folded: list[str] = []

    def flush() -> None:
        if folded:
            out.append(
                f'<tr><td colspan="4"><details><summary>{len(folded)} matching steps</summary>'
                f'<table class="diff">{"".join(folded)}</table></details></td></tr>'
            )
            folded.clear()

    a_id, b_id = diff.recorded.session_id, diff.actual.session_id
    for i, ((a, b), m) in enumerate(zip(diff.pairs, marks, strict=True)):
        numbers_a += a is not None
        numbers_b += b is not None
        css = " ".join(c for c in (_CSS[m], "first" if i == first else "") if c)
        anchor = ' id="first"' if i == first else ""
        row = (
            f'<tr class="{css}"{anchor}><td class="n">{i + 1}</td><td class="m">{m}</td>'
            f"{_cell(a, numbers_a if a else None, a_id)}{_cell(b, numbers_b if b else None, b_id)}</tr>"
        )
        if near[i] or len(marks) <= 2 * _CONTEXT + 1:
            flush()
            out.append(row)
        else:
            folded.append(row)
    flush()
    return "".join(out)


def _side(label: str, diff: SessionDiff, which: str) -> str:
    session = diff.recorded if which == "a" else diff.actual
    state, css = state_text(session.end_state)
    return (
        f'<p><b>{label}</b>: <a href="{escape(session_href(session.session_id))}">{escape(session.session_id)}</a>'
        f' \u00b7 {escape(session.name)} \u00b7 <span class="state {css}">{escape(state)}</span>'
        f" \u00b7 {len(session.steps)} steps</p>"
    )


def diff_form(a: str, b: str) -> str:
    return (
        '<form class="filters" method="get" action="/diff">'
        f'<label>Session A <input name="a" value="{escape(a)}" placeholder="an id or a prefix" size="28"></label>'
        f'<label>Session B <input name="b" value="{escape(b)}" placeholder="an id or a prefix" size="28"></label>'
        '<button type="submit">Compare</button></form>'
    )


def diff_page(diff: SessionDiff | None, a: str, b: str, *, source: str) -> str:
    body = "<h1>Compare two sessions</h1>" + diff_form(a, b)
    if diff is None:
        body += '<p class="muted">Give two sessions, or tick two in the session list.</p>'
        return layout("agentops-otel compare", body, source=source, here="/diff")
    body += _side("A", diff, "a") + _side("B", diff, "b")
    first = diff.first_divergence
    if first is None:
        body += f'<p class="divergence">No divergence: the {len(diff.pairs)} steps match.</p>'
    else:
        body += f'<p class="divergence"><a href="#first">First divergence at {escape(first.describe())}</a></p>'
    body += (
        '<table class="diff"><colgroup><col style="width:3.5em"><col style="width:2em"><col><col></colgroup>'
        f"<tr><th></th><th></th><th>A</th><th>B</th></tr>{_rows(diff)}</table>"
    )
    return layout("agentops-otel compare", body, source=source, here="/diff")


__all__ = ["diff_form", "diff_page"]
