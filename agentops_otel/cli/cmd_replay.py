"""`agentops-otel replay ID`: one session as a terminal timeline, JSON, or an HTML page."""

from __future__ import annotations

import json
import sys
import tempfile
import webbrowser
from pathlib import Path

import click

from ._common import MAX_WIDTH, color_option, open_source_or_exit, source_option, terminal_width, use_color


@click.command()
@click.argument("session_id")
@click.option("--json", "as_json", is_flag=True, help="Print the whole session as JSON.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT.html",
    help="Write a self-contained HTML replay page you can scrub step by step.",
)
@click.option(
    "--open", "open_page", is_flag=True, help="Open the HTML replay in a browser (a temp file without --html)."
)
@click.option(
    "--width", type=click.IntRange(40, MAX_WIDTH), help="Line width of the timeline (default: the terminal's)."
)
@source_option
@color_option
def command(
    session_id: str,
    as_json: bool,
    html_path: Path | None,
    open_page: bool,
    width: int | None,
    source_spec: str | None,
    color: bool | None,
) -> None:
    """Replay one session (its id, trace id, or a unique prefix of either)."""
    session = open_source_or_exit(source_spec).session(session_id)
    if as_json:
        _write_json(session.to_dict())
    if html_path is not None or open_page:
        from .._links import backend_url
        from ..replay.html import write_html

        target = html_path or Path(tempfile.gettempdir()) / f"agentops-replay-{_file_safe(session.session_id)}.html"
        written = write_html(session, target, backend_url=backend_url(session))
        click.echo(f"wrote {written}", err=as_json)
        if open_page and not webbrowser.open(written.resolve().as_uri()):
            click.echo(f"could not start a browser: open {written} yourself", err=True)
        return
    if not as_json:
        from ..replay import render_timeline

        click.echo(
            render_timeline(session, color=use_color(color), width=width or terminal_width()), color=use_color(color)
        )


def _write_json(data: object) -> None:
    """Written as it is encoded, in pieces of some thousand chunks: a 100,000-step session's 333 MB of
    text is never held as one string (2.7 GB peak as one), nor written a chunk at a time (+20 s CPU)."""
    pieces: list[str] = []
    for chunk in json.JSONEncoder(indent=2, default=str).iterencode(data):
        pieces.append(chunk)
        if len(pieces) >= 8192:
            sys.stdout.write("".join(pieces))
            pieces.clear()
    sys.stdout.write("".join(pieces) + "\n")
    sys.stdout.flush()


def _file_safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:64]
