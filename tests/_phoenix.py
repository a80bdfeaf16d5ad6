"""Arize Phoenix as a real OTLP backend for the end-to-end export tests.

Phoenix lives in its own virtual environment (`scripts/install-phoenix`, not a project dependency).
Its gRPC port binds every interface, so it only ever runs inside a private network namespace: the
`backend` test re-runs `tests/_phoenix_roundtrip.py` under `unshare -n` (loopback only), and
`start_phoenix` refuses to start anywhere else.

    phoenix_available() -> bool      # for tests/conftest.py: deselect `backend` tests when False
    INSTALL_HINT                     # what to run to make it True
    run_in_private_network(argv)     # unshare -n + `ip link set lo up`, then argv
    start_phoenix(workdir)           # context manager -> PhoenixServer (inside the namespace only)
    PhoenixServer.spans(trace_id)    # spans read back through Phoenix's REST API
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL_HINT = "scripts/install-phoenix (Arize Phoenix in its own virtual environment)"
IN_PRIVATE_NETWORK = "AGENTOPS_OTEL_TEST_PRIVATE_NETWORK"
HTTP_PORT, GRPC_PORT = 6006, 4317  # fixed: nothing else runs in the private namespace
STARTUP_S = 180.0  # a fresh Phoenix needs ~15 s (database migrations) on two cores
STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}


def phoenix_venv() -> Path:
    default = Path.home() / ".cache" / "agentops-otel" / "phoenix-venv"
    return Path(os.environ.get("PHOENIX_VENV") or default)


def phoenix_available() -> bool:
    """Phoenix installed and the tools for a private network namespace present."""
    return (
        os.access(phoenix_venv() / "bin" / "phoenix", os.X_OK)
        and shutil.which("unshare") is not None
        and shutil.which("ip") is not None
    )


def run_in_private_network(
    argv: Sequence[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run argv in a new network namespace with only loopback up. Root uses `unshare -n`; others
    map themselves to root in a user namespace (`-r`), which works where user namespaces are allowed."""
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
    script = "ip link set lo up && exec " + shlex.join(argv)
    return subprocess.run(
        [*unshare, "sh", "-c", script],
        env={**env, IN_PRIVATE_NETWORK: "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _only_loopback() -> bool:
    """True inside a network namespace of our own (/sys/class/net would show the host's interfaces)."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


@dataclass
class PhoenixServer:
    base_url: str
    grpc_endpoint: str
    http_traces_endpoint: str
    log: Path

    def spans(self, trace_id: str, expected: int, wait_s: float = 60.0) -> list[dict[str, Any]]:
        """The spans of one trace as Phoenix stores them (OTLP-shaped JSON), once all have arrived:
        Phoenix inserts what it receives in batches, a moment after the export call returned."""
        url = f"{self.base_url}/v1/projects/default/spans/otlpv1?trace_id={trace_id}&limit=1000"
        deadline = time.monotonic() + wait_s
        while True:
            with urllib.request.urlopen(url, timeout=10) as response:
                spans = json.load(response)["data"]
            if len(spans) >= expected or time.monotonic() > deadline:
                return spans
            time.sleep(0.2)


@contextlib.contextmanager
def start_phoenix(workdir: Path) -> Iterator[PhoenixServer]:
    if os.environ.get(IN_PRIVATE_NETWORK) != "1" or not _only_loopback():
        raise RuntimeError("Phoenix binds every interface: start it only inside run_in_private_network()")
    log = workdir / "phoenix.log"
    env = {
        **os.environ,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(HTTP_PORT),
        "PHOENIX_GRPC_PORT": str(GRPC_PORT),
        "PHOENIX_WORKING_DIR": str(workdir / "data"),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(phoenix_venv() / "bin" / "phoenix"), "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            server = PhoenixServer(
                base_url=f"http://127.0.0.1:{HTTP_PORT}",
                grpc_endpoint=f"http://127.0.0.1:{GRPC_PORT}",
                http_traces_endpoint=f"http://127.0.0.1:{HTTP_PORT}/v1/traces",
                log=log,
            )
            _wait_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(server: PhoenixServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Phoenix exited with {process.returncode}:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"Phoenix did not answer within {STARTUP_S} s:\n{server.log.read_text()[-3000:]}")


def any_value(value: dict[str, Any]) -> Any:
    """An OTLP AnyValue in Phoenix's JSON as a plain Python value (arrays as tuples, like the SDK)."""
    for key in ("string_value", "bool_value", "int_value", "double_value"):
        if value.get(key) is not None:
            return int(value[key]) if key == "int_value" else value[key]
    if value.get("array_value") is not None:
        return tuple(any_value(v) for v in value["array_value"].get("values") or [])
    return None
