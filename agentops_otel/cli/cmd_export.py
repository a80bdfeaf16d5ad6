"""`agentops-otel export ID -o session.json`: one session as a small recording file for playback in tests."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import open_source_or_exit, source_option, user_errors


@click.command()
@click.argument("session_id")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.json",
    help="Where to write the recording (default: print it).",
)
@source_option
def command(session_id: str, output: Path | None, source_spec: str | None) -> None:
    """Export a session's prompts, completions and steps (no credentials) for `agentops_otel.playback`."""
    import json

    from ..playback import Recording, check_playable

    session = open_source_or_exit(source_spec).session(session_id)
    with user_errors():
        recording = Recording.from_session(session)
        check_playable(recording)
    if output is None:
        click.echo(json.dumps(recording.to_dict(), indent=1, ensure_ascii=False))
        return
    recording.save(output)
    click.echo(f"wrote {output} ({len(recording.steps)} steps, {len(recording.llm_steps)} LLM calls)", err=True)
