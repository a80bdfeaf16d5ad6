"""Shared test set-up.

- Nothing writes into the repository: the local store defaults to a temporary directory.
- Tests marked `browser` (Debian's chromium) or `backend` (the Phoenix OTLP backend) always run on CI
  (CI=true), where a missing component fails them. Elsewhere, when the component is missing, they are
  deselected with a line that says how to install it, never skipped silently.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import _phoenix

CHROMIUM = "/usr/bin/chromium"
_INSTALL_HINTS = {
    "browser": "apt-get install chromium (Debian), then pip install -e '.[test]'",
    "backend": _phoenix.INSTALL_HINT,
}


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _available(marker: str) -> bool:
    if marker == "browser":
        return os.access(CHROMIUM, os.X_OK) and shutil.which("chromium") is not None
    return _phoenix.phoenix_available()


def pytest_configure(config: pytest.Config) -> None:
    store_dir = Path(tempfile.mkdtemp(prefix="agentops-otel-tests-"))
    os.environ.setdefault("AGENTOPS_OTEL_STORE_PATH", str(store_dir / "traces.db"))
    os.environ.setdefault("AGENTOPS_OTEL_DEBUG", "1")  # our own bugs surface in tests instead of being logged
    # Tests share one process and context: a session auto-started by whichever test calls init() first
    # would be current in all the others. Tests of auto-start run their programs in a process of their own.
    os.environ.setdefault("AGENTOPS_AUTO_START_SESSION", "false")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _on_ci():
        return
    missing = {m for m in _INSTALL_HINTS if not _available(m)}
    if not missing:
        return
    keep, drop = [], []
    for item in items:
        (drop if missing & {m.name for m in item.iter_markers()} else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        for marker in sorted(missing):
            line = f"deselected tests marked {marker!r}: component missing; install with: {_INSTALL_HINTS[marker]}"
            if reporter is not None:
                reporter.write_line(line, yellow=True)
