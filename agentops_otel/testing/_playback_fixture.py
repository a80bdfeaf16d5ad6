"""pytest support: play a recorded session back for one test.

    @pytest.mark.agentops_playback("recordings/refund.json")          # registered by our pytest plugin
    def test_refund_still_fails_the_same_way(agentops_playback):
        run_agent()                                                   # answered from the recording
        assert agentops_playback.answered == 3

    @pytest.mark.parametrize("agentops_playback", ["recordings/refund.json"], indirect=True)
    def test_without_the_marker(agentops_playback): ...

The fixture value is the active `Player`. A relative recording path is read next to the test file, so a
recording exported with `agentops-otel export` can be committed beside its test. Marker keywords
`strict` (default True), `source` and `tools` are passed to `playback`; with `source`, the first argument is a
session id in that trace source. Strict playback fails a passing test at teardown when calls were left
unmade or a divergence was swallowed by the code under test.

With `@pytest.mark.agentops_repeat`, each run plays the recording from its beginning (a fresh Player per
run, strict checks per run) and the fixture value is the current run's Player.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ._repeat_plan import HOOKS_KEY, RunHook

MARKER = "agentops_playback"
MARKER_HELP = (
    "agentops_playback(recording, strict=True, source=None, tools=False): answer the test's OpenAI / Anthropic "
    "calls from a recorded session (a file from `agentops-otel export`, or a session id with source=); "
    "tools=True: decorated tools and actions too"
)


def _arguments(request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any]]:
    param = getattr(request, "param", None)
    if param is not None:
        return param, {}
    marker = request.node.get_closest_marker(MARKER)
    if marker is None or not marker.args:
        raise pytest.UsageError(
            f"the {MARKER} fixture needs a recording: @pytest.mark.{MARKER}('recording.json') or "
            f"@pytest.mark.parametrize('{MARKER}', ['recording.json'], indirect=True)"
        )
    return marker.args[0], dict(marker.kwargs)


@pytest.fixture
def agentops_playback(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test runs with its LLM calls answered from a recorded session (see the module docstring)."""
    from ..playback import playback

    recording, options = _arguments(request)
    if options.get("source") is None and isinstance(recording, str | Path) and not Path(recording).is_absolute():
        beside_test = Path(request.node.path).parent / recording
        if beside_test.exists():
            recording = beside_test
    hooks = request.node.stash.get(HOOKS_KEY, None)
    if hooks is not None:
        yield _per_run(hooks, recording, options)
        return
    with playback(recording, **options) as player:
        yield player
        report = getattr(request.node, "rep_call", None)  # set by our pytest plugin
        if report is not None and report.failed:
            player.strict = False  # the test already failed (on a divergence, say): don't report it twice


class _CurrentPlayer:
    """The Player of the current run of a repeated test."""

    def __init__(self) -> None:
        self.player: Any = None

    def __getattr__(self, name: str) -> Any:
        if self.player is None:
            raise RuntimeError("the agentops_playback player of a repeated test exists only while a run runs")
        return getattr(self.player, name)


def _per_run(hooks: Any, recording: Any, options: dict[str, Any]) -> _CurrentPlayer:
    from ..playback import load_recording, playback

    loaded = load_recording(recording, options.get("source"), tools=bool(options.get("tools", False)))
    current = _CurrentPlayer()
    kept = {k: v for k, v in options.items() if k != "source"}

    @contextmanager
    def around() -> Iterator[None]:
        with playback(loaded, **kept) as player:
            current.player = player
            yield

    note = (
        f"LLM answers were played back from recording {loaded.session_id}: every run got the same answers, "
        "so the runs can differ only where the code under test does"
    )
    hooks.hooks.append(RunHook(around, note))
    return current
