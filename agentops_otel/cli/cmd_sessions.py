"""`agentops-otel sessions`: recent sessions, newest first."""

from __future__ import annotations

import json
from datetime import datetime

import click

from .. import _states
from .._format import usd
from ._common import MAX_LIMIT, SINCE, color_option, open_source_or_exit, source_option, use_color

_STATUS_COLORS = {_states.SUCCESS: "green", _states.FAIL: "red", _states.INDETERMINATE: "yellow", _states.OPEN: "cyan"}
_COLUMNS = ("SESSION", "STARTED", "DURATION", "STATUS", "TAGS", "COST")


@click.command()
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only sessions with this tag (repeat: all of them).")
@click.option(
    "--status", type=click.Choice(_states.STATUSES, case_sensitive=False), help="Only sessions that ended so (or open)."
)
@click.option("--since", type=SINCE, help="Only sessions started since: 30m, 2h, 7d, or an ISO date/time.")
@click.option("--service", metavar="NAME", help="Only sessions of this service (service.name).")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of session summaries).")
@source_option
@color_option
def command(
    tags: tuple[str, ...],
    status: str | None,
    since: int | None,
    service: str | None,
    limit: int,
    as_json: bool,
    source_spec: str | None,
    color: bool | None,
) -> None:
    """List recent sessions: id, start, duration, status, tags, cost."""
    source = open_source_or_exit(source_spec)
    found = source.sessions(since_ns=since, tags=tags, status=status, service=service, limit=limit)
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], indent=2, default=str))
        return
    if not found:
        filtered = tags or status or since is not None or service
        what = "match these filters" if filtered else "recorded yet"
        click.echo(f"no sessions {what} in {source.description}", err=True)
        return
    rows = [
        (
            s.session_id,
            datetime.fromtimestamp(s.start_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S"),
            f"{s.duration:.2f}s" if s.duration is not None else "running" if s.end_state is None else "-",
            _states.status_of(s.end_state),
            ",".join(s.tags) or "-",
            usd(s.cost),
        )
        for s in found
    ]
    widths = [max(len(r[i]) for r in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    colored = use_color(color)
    click.echo(_row(_COLUMNS, widths), color=colored)
    for row in rows:
        cells = list(row)
        line = _row(cells, widths)
        if colored:  # style after padding so the columns stay aligned
            status_at = sum(w + 2 for w in widths[:3])
            padded = cells[3].ljust(widths[3])
            line = (
                line[:status_at]
                + click.style(padded, fg=_STATUS_COLORS.get(cells[3]))
                + line[status_at + len(padded) :]
            )
        click.echo(line, color=colored)
    if len(found) == limit:
        click.echo(f"(the {limit} newest; --limit N shows more)", err=True)


def _row(cells: tuple[str, ...] | list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
