"""The scale paths, through the CLI in fresh processes (CPU from wait4, peak RSS from VmHWM):

    check-store     `check` over a store of 100,000 sessions: every one rated, totals summed in SQL
    otlp-file       `sessions`, `check`, `replay ID` on an OTLP JSON Lines file of 1,000,000 spans (the
                    first command reads it in one streaming pass and keeps an index beside it)
    long-session    `replay ID` of one session of 100,000 steps: text, --json, --html
    long-page       that session's HTML page in Chromium: its own ready mark (interactive), ms

Inputs are made once and kept under the bench cache (`_scale_data`, `_agent_session`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from _harness import emit, run_cli, run_variant, scaled

SESSIONS = scaled(100_000, 5_000)
SPANS = scaled(1_000_000, 50_000)
STEPS = scaled(100_000, 2_000)


def _ran(args: list[str], out: str) -> dict[str, Any]:
    ran = run_cli(args, out)
    if ran["returncode"] not in (0, 1):
        raise SystemExit(f"agentops-otel {' '.join(args[:2])} exited {ran['returncode']}: {ran['stderr']}")
    return ran


def check_store() -> None:
    from _scale_data import store

    path = store(SESSIONS)
    out = os.path.join(os.getcwd(), "check.json")
    ran = _ran(["check", "--source", f"store:{path}", "--since", "3650d", "--max-failure-rate", "0.05", "--json"], out)
    with open(out) as file:
        rated = json.load(file)["sessions"]
    if rated != SESSIONS:
        raise SystemExit(f"check rated {rated} sessions of {SESSIONS}")
    emit(
        value=round(ran["cpu_s"], 3),
        unit="s",
        wall=round(ran["wall_s"], 3),
        peak_mb=round(ran["peak_mb"], 1),
        sessions=rated,
    )


def check_store_peak() -> None:
    from _scale_data import store

    path = store(SESSIONS)
    ran = _ran(["check", "--source", f"store:{path}", "--since", "3650d", "--json"], os.path.join(os.getcwd(), "c"))
    emit(value=round(ran["peak_mb"], 1), unit="MB", cpu_s=round(ran["cpu_s"], 3))


def otlp_file() -> None:
    """Value: the highest peak of the three commands; each one's CPU, wall and peak beside it."""
    from _scale_data import otlp_file as make

    path = make(SPANS)
    index = Path(str(path) + ".agentops-index.json")
    index.unlink(missing_ok=True)  # the first command reads the whole file
    out = os.path.join(os.getcwd(), "out")
    source = f"file:{path}"
    figures: dict[str, Any] = {}
    for name, args in (
        ("sessions", ["sessions", "--source", source, "--limit", "20"]),
        ("check", ["check", "--source", source, "--since", "3650d", "--json"]),
        ("replay", ["replay", "sess-0000042", "--source", source]),
    ):
        ran = _ran(args, out)
        figures[f"{name}_s"] = round(ran["cpu_s"], 2)
        figures[f"{name}_peak_mb"] = round(ran["peak_mb"], 1)
        if name == "check":
            with open(out) as file:
                figures["rated"] = json.load(file)["sessions"]
    index.unlink(missing_ok=True)
    ran = _ran(["replay", "sess-0000042", "--source", source], out)  # without the index: a streaming pass
    figures["replay_no_index_s"], figures["replay_no_index_peak_mb"] = round(ran["cpu_s"], 2), round(ran["peak_mb"], 1)
    peak = max(v for k, v in figures.items() if k.endswith("_peak_mb"))
    emit(value=peak, unit="MB", spans=SPANS, first_pass_spans_per_s=round(SPANS / figures["sessions_s"]), **figures)


def _long_session() -> tuple[str, str]:
    from _agent_session import record_session
    from _scale_data import CACHE

    path = CACHE / "data" / f"session-{STEPS}-steps-v1.db"
    marker = Path(str(path) + ".id")
    if not marker.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        marker.write_text(record_session(str(path), STEPS))
    return str(path), marker.read_text()


def long_session() -> None:
    """Value: the highest peak of text, --json and --html; each one's CPU and peak beside it."""
    path, session_id = _long_session()
    figures: dict[str, Any] = {}
    base = ["replay", session_id, "--source", f"store:{path}"]
    for name, extra in (("text", ["--width", "120"]), ("json", ["--json"]), ("html", ["--html", "long.html"])):
        ran = _ran([*base, *extra], os.path.join(os.getcwd(), f"long.{name}"))
        figures[f"{name}_s"], figures[f"{name}_peak_mb"] = round(ran["cpu_s"], 2), round(ran["peak_mb"], 1)
    figures["page_mb"] = round(os.path.getsize("long.html") / 1e6, 1)
    emit(value=max(v for k, v in figures.items() if k.endswith("_peak_mb")), unit="MB", steps=STEPS, **figures)


def long_page() -> None:
    from page import _measure_in_chromium

    path, session_id = _long_session()
    target = Path("long.html").resolve()
    _ran(["replay", session_id, "--source", f"store:{path}", "--html", str(target)], os.path.join(os.getcwd(), "o"))
    f = _measure_in_chromium(target.as_uri())
    emit(
        value=round(f["ready"], 1),
        unit="ms",
        load_ms=round(f["load"], 1),
        longest_task_ms=round(f["longest"], 1),
        search_ms=round(f["search"], 1),
        page_mb=round(target.stat().st_size / 1e6, 1),
    )


if __name__ == "__main__":
    run_variant(
        {
            "check-store": check_store,
            "check-store-peak": check_store_peak,
            "otlp-file": otlp_file,
            "long-session": long_session,
            "long-page": long_page,
        }
    )
