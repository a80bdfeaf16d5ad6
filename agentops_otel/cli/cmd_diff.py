"""`agentops-otel diff A B`: two sessions' steps side by side, and where they first diverge."""

from __future__ import annotations

import json

import click

from ._common import MAX_WIDTH, open_source_or_exit, source_option, terminal_width


@click.command()
@click.argument("session_a", metavar="A")
@click.argument("session_b", metavar="B")
@source_option
@click.option(
    "--source-b",
    "source_b_spec",
    metavar="SPEC",
    default=None,
    help="Where to read B from, when not the same place as A (same forms as --source).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option("--width", type=click.IntRange(40, MAX_WIDTH), help="Line width (default: the terminal's).")
def command(
    session_a: str,
    session_b: str,
    source_spec: str | None,
    source_b_spec: str | None,
    as_json: bool,
    width: int | None,
) -> None:
    """Compare two sessions A and B step by step (ids, trace ids or unique prefixes).

    Exit status: 0 when the step sequences match, 1 when they diverge, 2 on an error.
    """
    from ..replay._diff import diff_sessions

    source_a = open_source_or_exit(source_spec)
    source_b = open_source_or_exit(source_b_spec) if source_b_spec else source_a
    result = diff_sessions(source_a.session(session_a), source_b.session(session_b))
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        click.echo(result.render(width or terminal_width()))
    click.get_current_context().exit(0 if result.same else 1)
