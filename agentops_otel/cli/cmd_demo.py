"""`agentops-otel demo`: record a few sessions of a support agent offline, then replay them."""

from __future__ import annotations

import click

from .._config import store_path
from ._common import color_option, terminal_width, use_color, user_errors


@click.command()
@color_option
def command(color: bool | None) -> None:
    """Run a small support agent offline (no key, no network), record it, and replay it."""
    from ..demo import run_demo
    from ..replay import render_timeline
    from ..sources._store import StoreSource

    path = store_path()
    click.echo("Running a support agent against a local stand-in for the OpenAI API (offline, no key)...")
    with user_errors():
        results = run_demo(path)
        source = StoreSource(path)
        sessions = [source.session(session_id) for session_id, _ in results]
    colored = use_color(color)
    for session, (_, outcome) in zip(sessions, results, strict=True):
        click.echo()
        click.echo(f"{session.name}: {outcome}")
        click.echo(render_timeline(session, color=colored, width=terminal_width()), color=colored)
    failed = [s for s in sessions if s.end_state == "Fail"]
    example = (failed or sessions)[-1].session_id[:8]
    click.echo()
    click.echo(f"Recorded {len(sessions)} sessions in {path} ({len(failed)} failed). Next:")
    for line, what in (
        ("agentops-otel sessions", "list the recorded sessions"),
        (
            f"agentops-otel replay {example}",
            f"replay the {'failed' if failed else 'last'} one (an id prefix is enough)",
        ),
        (f"agentops-otel replay {example} --html replay.html --open", "scrub through it in a browser"),
    ):
        click.echo(f"  {line:<58} {what}")
