"""`agentops-otel serve`: the local viewer (sessions, search, trends, comparisons, each session's replay)."""

from __future__ import annotations

import webbrowser

import click

from ._common import UserError, open_source_or_exit, source_option

DEFAULT_PORT = 8642


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (keep loopback).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="Port (0: any free one)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the session list in a browser.")
@source_option
def command(host: str, port: int, open_browser: bool, source_spec: str | None) -> None:
    """Browse, search, chart, compare and replay sessions in a local web viewer (Ctrl-C stops it)."""
    from ..viewer import make_server

    source = open_source_or_exit(source_spec)
    try:
        server = make_server(source, host, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); try --port 0") from None
    if server.allowed_hosts is None:
        click.echo(f"warning: {host} is not loopback; anyone who can reach it can read your traces", err=True)
    click.echo(f"serving {source.description} at {server.url} (Ctrl-C to stop)", err=False)
    if open_browser and not webbrowser.open(server.url):
        click.echo(f"could not start a browser: open {server.url} yourself", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
