"""LLM playback: re-run an agent's own code with every OpenAI / Anthropic call answered from a recording.

    import agentops_otel

    with agentops_otel.playback("tests/refund.json"):    # a file made by `agentops-otel export ID -o ...`
        run_agent()                                      # same calls, same answers, no network
    with agentops_otel.playback("3f2a", source="jaeger:http://127.0.0.1:16686", strict=False) as player:
        run_agent()                                      # misses go live and are logged
    player.divergences

Each request (OpenAI chat completions and responses, Anthropic messages; sync or async, plain or
streaming) is matched, in order, against the recorded LLM calls (provider, operation, model, the
messages sent) and answered with the recorded output as the provider's own HTTP response, JSON or SSE
stream, so the client library returns its normal types; recorded failures come back as the same client
errors, and a stream recorded as broken breaks at the same point. Calls that ran concurrently in the
recording may arrive in either order. Ids the recording does not hold (Responses output item ids,
`created` timestamps) are made up, and credentials, never recorded, come back as "[REDACTED]".

A call the recording does not hold at that point (another model, prompt, tool result or set of tools
offered, or more calls than recorded) raises `PlaybackDivergence` naming the step, with recorded
versus actual (strict, the default); `strict=False` logs it and sends the call to the network. In
strict mode, finishing with recorded calls left unmade is a divergence too. The session must have
been recorded with content capture on.

Tools and actions run for real unless `tools=True` ("what would the agent decide now"): then each
`record_tool` / `record_action` call is matched in order against the recorded tool and action steps
(kind, name, arguments as JSON) and answered with the recorded return value or exception instead of
running the function; agents always run. Returns come back decoded from the JSON they were recorded
as (a value that was not JSON comes back in its recorded form: a tuple as a list, an object as its
repr string); a builtin exception type (ValueError, KeyError, ...) is raised again with the recorded
message, any other type as a `RecordedToolError` subclass of the recorded name. The step spans are
recorded as usual, marked `agentops.playback.answered`. Another tool, other arguments or more calls
than recorded is a `PlaybackDivergence` (strict) or runs the function (lenient):

    with agentops_otel.playback("tests/refund.json", tools=True) as player:
        run_agent()                                      # no network, no tool side effects
    player.tools.answered
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from ..model import Session
from ._patch import installed
from ._player import PlaybackDivergence, Player
from ._recording import FORMAT, PlaybackError, RecordedStep, Recording, check_playable
from ._tools import RecordedToolError, ToolPlayer, answering

__all__ = [
    "PlaybackDivergence",
    "PlaybackError",
    "Player",
    "RecordedStep",
    "RecordedToolError",
    "Recording",
    "load_recording",
    "playback",
]


def _file_kind(spec: str | os.PathLike[str] | None) -> str | None:
    """ "recording", "traces" (a trace source file, e.g. OTLP JSON or a store), or None when not a file."""
    if spec is None or not Path(spec).is_file():
        return None
    with Path(spec).open("rb") as handle:
        head = handle.read(4096)
    if FORMAT.encode() in head[:256]:
        return "recording"
    if str(spec).endswith((".db", ".sqlite", ".sqlite3")) or b"esourceSpans" in head or b"esource_spans" in head:
        return "traces"
    return "recording" if str(spec).endswith(".json") else "traces"


def _looks_like_a_file(spec: str | os.PathLike[str]) -> bool:
    """A path rather than a session id: looking it up as an id would open (and create) the local store."""
    text = os.fspath(spec)
    return isinstance(spec, os.PathLike) or text.endswith((".json", ".json.gz")) or "/" in text or os.sep in text


def load_recording(
    session: Session | Recording | str | os.PathLike[str] | None = None,
    source: str | None = None,
    tools: bool = False,
) -> Recording:
    """The recording `playback` plays: a Session, a recording file, or a session id in a trace source.

    With `tools`, it must hold the tool and action steps' content too.
    """
    if isinstance(session, Recording):
        recording = session
    elif isinstance(session, Session):
        recording = Recording.from_session(session)
    elif source is None and _file_kind(session) == "recording":
        recording = Recording.load(session)  # type: ignore[arg-type]  # a file, checked above
    elif _file_kind(source) == "recording":
        recording = Recording.load(source)  # type: ignore[arg-type]
        if session is not None and not recording.session_id.startswith(str(session)):
            raise PlaybackError(f"recording {source} holds session {recording.session_id}, not {session}")
    elif session is None:
        raise PlaybackError("playback needs a session: a Session, a recording file, or a session id (and source)")
    elif source is None and _looks_like_a_file(session):
        raise PlaybackError(f"no recording file at {session}: export one with `agentops-otel export ID -o {session}`")
    else:
        from ..sources import open_source

        recording = Recording.from_session(open_source(source).session(str(session)))
    check_playable(recording, tools=tools)
    return recording


@contextmanager
def playback(
    session: Session | Recording | str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    strict: bool = True,
    tools: bool = False,
) -> Iterator[Player]:
    """Answer every OpenAI / Anthropic call in this process from the recorded session while the block runs.

    `tools=True` answers decorated tool and action calls from the recording too (`player.tools`).
    """
    player = Player(load_recording(session, source, tools=tools), strict=strict)
    if tools:
        player.tools = ToolPlayer(player)
    with installed(player), answering(player.tools) if player.tools else nullcontext():
        try:
            yield player
        except BaseException as exc:
            # Agent code may catch the client's errors or a tool's (and with them a divergence) and fail
            # later, or at a later divergence: the first divergence is the cause worth showing.
            first = player.divergences[0] if strict and player.divergences else None
            if first is not None and str(exc) != str(first):
                raise first from exc
            raise
    player.finish()
    if player.tools is not None:
        player.tools.finish()


class _CallableModule(types.ModuleType):
    """`agentops_otel.playback` is both this package (its types) and the function: importing the
    package sets it as the parent's attribute, so the package itself must answer the call."""

    def __call__(
        self,
        session: Session | Recording | str | os.PathLike[str] | None = None,
        *,
        source: str | None = None,
        strict: bool = True,
        tools: bool = False,
    ) -> Any:
        return playback(session, source=source, strict=strict, tools=tools)


sys.modules[__name__].__class__ = _CallableModule
