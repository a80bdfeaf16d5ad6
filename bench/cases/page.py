"""The replay page of a 10,000-step session (issue 18): written, loaded in Chromium, served by the viewer.

Variants (each value is one figure; the others ride along):
    write         CPU seconds from the Session to the file on disk
    size          the file, MB
    cli           CPU seconds of `agentops-otel replay ID --html OUT` (a fresh process: start, import, read the
                  store, build the Session, render, write); `wall` beside it
    load          Chromium, Performance API: the load event, ms; also `ready_ms` (the page's own
                  `agentops-replay-ready` mark), `blocking_ms` (total blocking time), search and zoom times
    longest-task  the longest task from navigation until the page is ready, ms (PerformanceObserver)
    serve         wall seconds of the viewer's first answer for the page; `cached_s` the second

The session is recorded through the real API into a store (`_agent_session.py`), once per worker.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _agent_session import record_session
from _harness import emit, run_variant, scaled, skip

STEPS = scaled(10_000, 1_000)
CHROMIUM = "/usr/bin/chromium"
_LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { window.__longTasks.push(e.duration); });
}).observe({ type: "longtask", buffered: true });
"""


def _session() -> tuple[str, str]:
    path = os.path.join(os.getcwd(), "page.db")
    return path, record_session(path, STEPS)


def _load_session():  # type: ignore[no-untyped-def]
    from agentops_otel.sources import open_source

    path, session_id = _session()
    return open_source(path).session(session_id)


def _write() -> dict[str, float]:
    from agentops_otel.replay.html import write_html

    session = _load_session()
    target = Path("page.html")
    start, wall = time.process_time(), time.perf_counter()
    write_html(session, target)
    return {
        "cpu": time.process_time() - start,
        "wall": round(time.perf_counter() - wall, 3),
        "size_mb": round(target.stat().st_size / 1e6, 2),
        "steps": len(session.steps),
    }


def write() -> None:
    figures = _write()
    emit(value=figures.pop("cpu"), unit="s", **figures)


def size() -> None:
    figures = _write()
    emit(value=figures.pop("size_mb"), unit="MB", write_s=round(figures["cpu"], 3), steps=figures["steps"])


def cli() -> None:
    path, session_id = _session()
    command = [sys.executable, "-m", "agentops_otel.cli", "replay", session_id, "--html", "cli.html", "--source", path]
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    emit(value=cpu, unit="s", wall=round(wall, 3), size_mb=round(Path("cli.html").stat().st_size / 1e6, 2))


def _measure_in_chromium(url: str) -> dict[str, float]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(_LONG_TASKS)
            page.goto(url, wait_until="load")
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            page.wait_for_timeout(300)  # let a long task that ends now be reported
            figures = page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType("navigation")[0];
                  const ready = performance.getEntriesByName("agentops-replay-ready")[0];
                  const tasks = window.__longTasks;
                  return {load: nav.loadEventEnd, ready: ready ? ready.startTime : -1,
                          longest: tasks.length ? Math.max(...tasks) : 0,
                          blocking: tasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0)};
                }"""
            )
            started = time.perf_counter()
            page.fill("#search", "customer_id")
            page.wait_for_selector("#match-count:not(:empty)")
            search_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            page.click("#zoom-in")
            page.click("#fit-all")
            zoom_ms = (time.perf_counter() - started) * 1000
            return {**figures, "search": search_ms, "zoom": zoom_ms}
        finally:
            browser.close()


def _load() -> dict[str, float]:
    from agentops_otel.replay.html import write_html

    target = write_html(_load_session(), Path("page.html").resolve())
    return {**_measure_in_chromium(target.as_uri()), "size_mb": round(target.stat().st_size / 1e6, 2)}


def load() -> None:
    f = _load()
    emit(
        value=f["load"],
        unit="ms",
        ready_ms=round(f["ready"], 1),
        longest_task_ms=round(f["longest"], 1),
        blocking_ms=round(f["blocking"], 1),
        search_ms=round(f["search"], 1),
        zoom_ms=round(f["zoom"], 1),
        size_mb=f["size_mb"],
    )


def longest_task() -> None:
    f = _load()
    emit(value=f["longest"], unit="ms", load_ms=round(f["load"], 1), blocking_ms=round(f["blocking"], 1))


def serve() -> None:
    import threading

    from agentops_otel.sources import open_source
    from agentops_otel.viewer import make_server

    path, session_id = _session()
    server = make_server(open_source(path), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            with urllib.request.urlopen(f"{server.url}sessions/{session_id}", timeout=120) as response:
                size = len(response.read())
            times.append(time.perf_counter() - start)
    finally:
        server.shutdown()
        server.server_close()
    emit(value=times[0], unit="s", cached_s=round(times[1], 3), size_mb=round(size / 1e6, 2))


if __name__ == "__main__":
    run_variant({"write": write, "size": size, "cli": cli, "load": load, "longest-task": longest_task, "serve": serve})
