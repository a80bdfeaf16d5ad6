"""Replay a recorded session: a terminal timeline here, the HTML page in `agentops_otel.replay.html`.

    from agentops_otel.replay import render_timeline
    print(render_timeline(session, color=sys.stdout.isatty(), width=shutil.get_terminal_size().columns))

The HTML module is imported on its own (`from agentops_otel.replay.html import write_html`), so
rendering text never loads it.
"""

from ._timeline import render_timeline

__all__ = ["render_timeline"]
