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
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    with playback(recording, **options) as player:
        yield player
        report = getattr(request.node, "rep_call", None)  # set by our pytest plugin
        if report is not None and report.failed:
            player.strict = False  # the test already failed (on a divergence, say): don't report it twice
