"""Trajectory snapshots: a session's step sequence compared with a golden file kept beside the tests.

A trajectory is what the agent decided, not how long it took: for each step its kind, name, nesting
depth, the arguments it chose (tools, actions, agents) and, for a failed step, the error type. LLM calls
appear by model; prompts, outputs, ids, timings, tokens and cost are left out.

    from agentops_otel.testing import assert_matches_snapshot
    assert_matches_snapshot(session, "tests/snapshots/refund.json")            # compare
    assert_matches_snapshot(session, "tests/snapshots/refund.json", update=True)  # (re)write

With the pytest plugin, the `agentops_snapshot(session)` fixture picks the file for the test, and
`pytest --agentops-update-snapshots` rewrites them. A mismatch says at which step the trajectories
diverge and shows both around that point. The file is JSON, one step per line, to review in a diff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..model import trajectory as model_trajectory
from ._describe import describe, session_of

__all__ = ["assert_matches_snapshot", "snapshot_path", "trajectory"]

_FORMAT_VERSION = 1
_CONTEXT = 3  # steps shown on each side of the divergence


def trajectory(session: Any, *, ignore: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The comparable steps of a session; `ignore` names arguments to leave out (ids, timestamps).

    The model's trajectory with argument values (`agentops_otel.model.trajectory`), as plain dicts.
    """
    return model_trajectory(session_of(session), include_values=True, ignore=ignore).to_list()


def snapshot_path(directory: str | Path, test_name: str, name: str | None = None) -> Path:
    """DIR/<test name>[-<name>].json, with characters unsafe in file names replaced."""
    stem = test_name if name is None else f"{test_name}-{name}"
    return Path(directory) / (re.sub(r"[^A-Za-z0-9_.=-]+", "_", stem).strip("_") + ".json")


def _dump(steps: list[dict[str, Any]]) -> str:
    lines = ",\n".join("    " + json.dumps(step, sort_keys=True, ensure_ascii=False) for step in steps)
    body = f"[\n{lines}\n  ]" if steps else "[]"
    return f'{{\n  "version": {_FORMAT_VERSION},\n  "steps": {body}\n}}\n'


def _load(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot read the trajectory snapshot {path}: {exc}; fix it or rewrite it with update=True "
            "(pytest --agentops-update-snapshots)"
        ) from exc
    if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION or not isinstance(data.get("steps"), list):
        raise ConfigurationError(
            f"{path} is not a version {_FORMAT_VERSION} trajectory snapshot; rewrite it with update=True "
            "(pytest --agentops-update-snapshots)"
        )
    return data["steps"]


def _line(entry: dict[str, Any]) -> str:
    text = "  " * max(int(entry.get("depth", 1)) - 1, 0) + f"{entry.get('kind')} {entry.get('name')}"
    if "arguments" in entry:
        args = entry["arguments"]
        inner = ", ".join(f"{k}={v!r}" for k, v in args.items()) if isinstance(args, dict) else repr(args)
        text += f"({inner})"
    if "error" in entry:
        text += f"  !! {entry['error']}"
    return text


def _divergence(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> str | None:
    """Where the two trajectories first differ, with a few steps of context from each; None if equal."""
    if expected == actual:
        return None
    at = next((i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a), None)
    if at is None:
        at = min(len(expected), len(actual))
        what = (
            f"the session stops after step {at}; the snapshot continues"
            if len(actual) < len(expected)
            else f"the session goes on after step {at}; the snapshot ends there"
        )
    else:
        what = f"step {at + 1} differs"
    lo = max(at - _CONTEXT, 0)

    def window(steps: list[dict[str, Any]]) -> list[str]:
        shown = range(lo, min(at + _CONTEXT + 1, len(steps)))
        rows = [f"  {'>' if i == at else ' '} {i + 1:>3}. {_line(steps[i])}" for i in shown]
        return rows or ["      (no steps)"]

    return "\n".join(
        [
            f"trajectories diverge: {what}",
            f"snapshot ({len(expected)} steps):",
            *window(expected),
            f"session ({len(actual)} steps):",
            *window(actual),
        ]
    )


def assert_matches_snapshot(
    session: Any, path: str | Path, *, update: bool = False, ignore: Iterable[str] = ()
) -> None:
    """The session's trajectory equals the golden file at `path` (with `update`, write it instead)."""
    __tracebackhide__ = True
    s = session_of(session)
    path = Path(path)
    actual = trajectory(s, ignore=ignore)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or _load_quiet(path) != actual:
            path.write_text(_dump(actual), encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(
            f"no trajectory snapshot at {path}; create it with update=True (pytest --agentops-update-snapshots)\n"
            + describe(s)
        )
    problem = _divergence(_load(path), actual)
    if problem is not None:
        raise AssertionError(
            f"{problem}\n(snapshot {path}; if the new trajectory is right, rewrite it with "
            f"pytest --agentops-update-snapshots)\n{describe(s)}"
        )


def _load_quiet(path: Path) -> list[dict[str, Any]] | None:
    try:
        return _load(path)
    except ConfigurationError:
        return None
