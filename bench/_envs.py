"""Virtual environments for the footprint and the peer benchmarks, kept outside the project.

Each one lives under the cache dir (`AGENTOPS_OTEL_BENCH_CACHE`, default ~/.cache/agentops-otel/bench)
and is created `--without-pip`, with packages installed by this interpreter's pip (`pip --python`), so
its site-packages holds exactly what the measured package brings in: that size is its footprint.
None of these packages is a project dependency.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = Path(__file__).resolve().parent / "constraints"
# A peer's install resolves nothing (every package is pinned in its constraints file) and so takes a
# minute at most; one that still runs past this is given up and skipped with the reason.
INSTALL_TIMEOUT_S = 300
CACHE = Path(os.environ.get("AGENTOPS_OTEL_BENCH_CACHE") or Path.home() / ".cache" / "agentops-otel" / "bench")

# A port nothing listens on: every peer endpoint points here, so nothing leaves the machine.
CLOSED = "http://127.0.0.1:9"


def _otel_pin() -> str:
    try:
        return "==" + metadata.version("opentelemetry-sdk")
    except metadata.PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class EnvSpec:
    name: str
    requirements: tuple[str, ...]
    version_of: str  # distribution whose version the results table reports
    is_peer: bool
    constraints: str | None = None  # bench/constraints/NAME.txt: every package of the venv, pinned

    def constraint_pins(self) -> str:
        return (CONSTRAINTS / self.constraints).read_text() if self.constraints else ""


ENVS = {
    spec.name: spec
    for spec in (
        EnvSpec(
            "bare-otel",
            (f"opentelemetry-sdk{_otel_pin()}", f"opentelemetry-exporter-otlp{_otel_pin()}"),
            "opentelemetry-sdk",
            False,
        ),
        EnvSpec("agentops-otel", (str(ROOT),), "agentops-opentelemetry", False),
        # Peers resolve only with pins on this package index (unpinned, pip backtracked for 30 minutes):
        # each installs from bench/constraints/NAME.txt. AgentOps 0.4.21's exporter breaks on OTLP
        # exporters >= 1.37 (no `_headers`): the SDK of its day. traceloop-sdk imports httpx without
        # declaring it; 0.60.0 is its newest whose instrumentations resolve here (0.62 needs
        # opentelemetry-semantic-conventions-ai 0.5.2, which the index lacks).
        EnvSpec("agentops", ("agentops==0.4.21",), "agentops", True, "agentops.txt"),
        EnvSpec("traceloop", ("traceloop-sdk==0.60.0", "httpx"), "traceloop-sdk", True, "traceloop.txt"),
        EnvSpec("openlit", ("openlit==1.44.0",), "openlit", True, "openlit.txt"),
    )
}


class EnvUnavailable(Exception):
    """The environment could not be built; the message says why (shown as 'skipped: ...')."""


def _revision(spec: EnvSpec) -> str | None:
    """The checkout's commit for an environment installed from it (a new commit reinstalls it)."""
    if str(ROOT) not in spec.requirements:
        return None
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return result.stdout.strip() or None


def _python(path: Path) -> Path:
    return path / "bin" / "python"


def _marker(path: Path) -> Path:
    return path / "bench-installed.json"


def ensure(name: str, log: Path | None = None) -> Path:
    """The venv `name`, installing it first when needed. Raises EnvUnavailable when the install fails."""
    spec = ENVS[name]
    path = CACHE / name
    marker = _marker(path)
    wanted = {"requirements": list(spec.requirements), "revision": _revision(spec), "pins": spec.constraint_pins()}
    if marker.exists() and {k: json.loads(marker.read_text()).get(k) for k in wanted} == wanted:
        return path
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=False, clear=True).create(path)
    command = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(_python(path)),
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--timeout",
        "15",
        *(["--constraint", str(CONSTRAINTS / spec.constraints)] if spec.constraints else []),
        *spec.requirements,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        shutil.rmtree(path, ignore_errors=True)
        raise EnvUnavailable(
            f"pip install {' '.join(spec.requirements)} did not finish in {INSTALL_TIMEOUT_S} s (resolving?); "
            f"update bench/constraints/{spec.constraints}"
        ) from None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.startswith("ERROR")]
        tail = lines[:1] or (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise EnvUnavailable(f"pip install {' '.join(spec.requirements)} failed: {tail[0][:200]}")
    marker.write_text(json.dumps({**wanted, "version": version(path, spec)}))
    return path


def python(name: str) -> Path:
    return _python(CACHE / name)


def version(path: Path, spec: EnvSpec) -> str:
    code = f"from importlib import metadata; print(metadata.version({spec.version_of!r}))"
    result = subprocess.run([str(_python(path)), "-c", code], capture_output=True, text=True, timeout=60)
    return result.stdout.strip() or "?"


def installed_version(name: str) -> str:
    marker = _marker(CACHE / name)
    return json.loads(marker.read_text()).get("version", "?") if marker.exists() else "?"


def site_packages_bytes(path: Path) -> int:
    """Bytes on disk under the venv's site-packages (everything the installed packages brought)."""
    total = 0
    for site in (path / "lib").glob("python*/site-packages"):
        for root, _dirs, files in os.walk(site):
            for file in files:
                with contextlib.suppress(OSError):
                    total += (Path(root) / file).lstat().st_size
    return total


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a peer process: endpoints on a closed loopback port, telemetry and analytics off.

    Proxies point at the closed port too, so a library that phones home over plain HTTP(S) fails fast
    instead of reaching the network; loopback stays direct for our own sink server.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": CLOSED + "/v1/traces",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "AGENTOPS_API_KEY": "00000000-0000-4000-8000-000000000000",
            "AGENTOPS_API_ENDPOINT": CLOSED,
            "AGENTOPS_APP_URL": CLOSED,
            "AGENTOPS_EXPORTER_ENDPOINT": CLOSED + "/v1/traces",
            "AGENTOPS_ENV_DATA_OPT_OUT": "true",
            "AGENTOPS_LOG_LEVEL": "CRITICAL",
            "TRACELOOP_BASE_URL": CLOSED,
            "TRACELOOP_TELEMETRY": "false",
            "TRACELOOP_METRICS_ENABLED": "false",
            "TRACELOOP_LOGGING_ENABLED": "false",
            "OPENLIT_DISABLE_METRICS": "true",
            "DO_NOT_TRACK": "1",
            "ANONYMIZED_TELEMETRY": "false",
            "POSTHOG_DISABLED": "1",
            "SCARF_NO_ANALYTICS": "true",
            "HF_HUB_OFFLINE": "1",
            "HTTP_PROXY": CLOSED,
            "HTTPS_PROXY": CLOSED,
            "ALL_PROXY": CLOSED,
            "http_proxy": CLOSED,
            "https_proxy": CLOSED,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    env.pop("TRACELOOP_API_KEY", None)
    return env


if __name__ == "__main__":  # `python bench/_envs.py NAME...`: build environments ahead of a run
    for env_name in sys.argv[1:] or list(ENVS):
        try:
            print(env_name, ensure(env_name, CACHE / f"{env_name}.log"))
        except EnvUnavailable as exc:
            print(env_name, "failed:", exc)
