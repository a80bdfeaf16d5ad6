"""End to end against a real OTLP backend: a session exported to Arize Phoenix over HTTP and over gRPC
comes back by trace id with the same span tree, names, status, attributes and events.

Phoenix binds its gRPC port on every interface, so Phoenix and the exporting test run together in a
private network namespace with only loopback: this test re-runs tests/_phoenix_roundtrip.py there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests._phoenix import run_in_private_network

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.backend
def test_sessions_round_trip_through_phoenix_over_http_and_grpc() -> None:
    result = run_in_private_network(
        [
            sys.executable,
            "-m",
            "pytest",
            str(REPO / "tests" / "_phoenix_roundtrip.py"),
            "-q",
            "-rA",
            "--rootdir",
            str(REPO),
        ],
        env=dict(os.environ),
        timeout=600,
    )
    report = f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert result.returncode == 0, report
    assert "2 passed" in result.stdout, report
