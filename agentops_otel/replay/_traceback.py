"""Tracebacks as people read them: the frames of our own wrappers told apart from the user's.

    fold_traceback(text)  ->  [["Traceback ...\n", False], ["  File \".../_decorators.py\"...", True], ...]

A step's exception passes through the wrappers that record it (the step decorators, generator
scopes, the LLM client instrumentation, wrapt); those frames say nothing about the user's bug, so the
page folds them away by default. Consecutive lines of the same sort are joined; joined, the pieces
are the traceback unchanged.
"""

from __future__ import annotations

import re

# A frame line: `  File "path", line 12, in name`, also inside exception groups (`  | File ...`).
_FRAME = re.compile(r'^(?P<indent>[ |]*)File "(?P<path>[^"]*)", line \d+')
# Files whose frames are ours: the wrappers that record a step, and wrapt under them.
_OURS = re.compile(r"agentops_otel[/\\](?:capture|instrumentation)[/\\]|[/\\]wrapt[/\\]")


def _is_ours(path: str) -> bool:
    return _OURS.search(path) is not None


def fold_traceback(text: str) -> list[list[str | bool]]:
    """The traceback in [text, ours] pieces; `ours` marks the frames of agentops-otel's wrappers."""
    pieces: list[list[str | bool]] = []
    frame_indent: int | None = None  # indentation of the frame whose code lines follow
    ours = False
    for line in text.splitlines(keepends=True):
        match = _FRAME.match(line)
        if match:
            frame_indent = len(match.group("indent"))
            ours = _is_ours(match.group("path"))
        elif frame_indent is not None and len(line) - len(line.lstrip(" |")) <= frame_indent:
            frame_indent, ours = None, False  # the frame's code lines ended
        if pieces and pieces[-1][1] == ours:
            pieces[-1][0] = str(pieces[-1][0]) + line
        else:
            pieces.append([line, ours])
    return pieces


__all__ = ["fold_traceback"]
