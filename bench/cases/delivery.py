"""Delivery under real trouble (issue 16): a busy agent's bytes, exit on a backend that never answers,
session end in fork-pool workers on that backend, a store locked by another process, a 60 s outage.

"A backend that never answers" is a socket that listens and never accepts: the kernel completes the
connection, the request goes out, no answer ever comes back (what a wedged Collector or proxy does).
Values are wall seconds (exit and session end are about waiting), except `busy-agent` (minutes of
such an agent that the default memory bound holds) and `outage-60s` (the share of spans that survive).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import QUICK, emit, run_variant

BUSY_AGENTS = 8  # agents running at once in one process, each one LLM turn per second
TOOLS_PER_TURN = 3
TURNS = 10  # a conversation: its history grows with every turn, as the LLM span's input shows


def _never_answers() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    return listener


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
    env.update(extra)
    return env


def busy_agent() -> None:
    """Encoded OTLP bytes of real turns (the openai client on the loopback server, our decorated tools),
    then how long the default 64 MiB bound holds BUSY_AGENTS agents at one turn a second each."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import agentops_otel
    from agentops_otel.export._settings import DEFAULT_MAX_QUEUE_BYTES
    from agentops_otel.testing.llm_server import LLMServer

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentops_otel.init(tracer_provider=provider, store=False)

    @agentops_otel.tool
    def search_orders(customer_id: str, query: str, limit: int = 5) -> list[dict[str, Any]]:
        return [{"order": f"o-{customer_id}-{i}", "status": "shipped", "note": query * 3} for i in range(limit)]

    system = "You are a support agent for an online shop. " * 45  # ~2,000 characters, as real prompts are
    with LLMServer() as server:
        client = server.openai_client()
        with agentops_otel.session("support-conversation"):
            messages: list[dict[str, str]] = [{"role": "system", "content": system}]
            for turn in range(TURNS):
                messages.append(
                    {"role": "user", "content": f"Turn {turn}: I was charged twice for order 4{turn}. " * 4}
                )
                reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
                messages.append({"role": "assistant", "content": reply.choices[0].message.content or ""})
                for _ in range(TOOLS_PER_TURN):
                    search_orders("c-1234", "duplicate charge refund", limit=5)
    agentops_otel.shutdown()
    spans = exporter.get_finished_spans()
    total = len(encode_spans(spans).SerializeToString())
    per_turn = total / TURNS
    per_minute = per_turn * BUSY_AGENTS * 60
    emit(
        value=round(DEFAULT_MAX_QUEUE_BYTES / per_minute, 2),
        unit="minutes",
        bytes_per_turn=round(per_turn),
        spans_per_turn=round(len(spans) / TURNS, 1),
        mb_per_minute=round(per_minute / 1e6, 2),
        spans_per_minute=round(len(spans) / TURNS * BUSY_AGENTS * 60),
    )


_AGENT = """
import sys, agentops_otel
agentops_otel.init(instrument_llm=False)

@agentops_otel.tool
def lookup(i):
    return {"i": i}

for n in range(10):
    with agentops_otel.session(f"run-{n}"):
        for i in range(19):
            lookup(i)
"""


def exit_hanging() -> None:
    """Wall seconds of a whole run (10 sessions of 20 spans) whose OTLP backend never answers, default
    10 s OTLP timeout: the exit must end within that deadline; the spans wait in the spool."""
    listener = _never_answers()
    with tempfile.TemporaryDirectory() as workdir:
        env = _clean_env(
            OTEL_TRACES_EXPORTER="otlp,agentops_store",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"http://127.0.0.1:{listener.getsockname()[1]}/v1/traces",
        )
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _AGENT], env=env, cwd=workdir, capture_output=True, text=True)
        took = time.perf_counter() - started
        spooled = "200 spans wait in" in done.stderr
    listener.close()
    emit(value=round(took, 2), unit="s", spooled_all=spooled, exit_code=done.returncode)


_POOL = """
import multiprocessing, sys, time
import agentops_otel

@agentops_otel.tool
def lookup(i):
    return {"i": i}

@agentops_otel.session
def session(n):
    for i in range(9):
        lookup(i)

def task(n):
    started = time.perf_counter()
    session(n)
    return time.perf_counter() - started

if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    agentops_otel.init(instrument_llm=False)
    started = time.perf_counter()
    with multiprocessing.Pool(2) as pool:
        slowest = max(pool.map(task, range(8)))
        tasks = time.perf_counter() - started
    print("RESULT", slowest, tasks, time.perf_counter() - started, flush=True)
"""


def pool_session_end() -> None:
    """Fork pool, 8 tasks of one session each, OTLP backend that never answers (10 s timeout): the
    slowest task in seconds (session end used to wait the whole timeout in every worker)."""
    listener = _never_answers()
    with tempfile.TemporaryDirectory() as workdir:
        script = Path(workdir) / "pool_agent.py"
        script.write_text(_POOL)
        env = _clean_env(
            OTEL_TRACES_EXPORTER="otlp,agentops_store",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"http://127.0.0.1:{listener.getsockname()[1]}/v1/traces",
        )
        done = subprocess.run([sys.executable, str(script)], env=env, cwd=workdir, capture_output=True, text=True)
    listener.close()
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    slowest, tasks, whole = (float(x) for x in line.split()[1:])
    emit(value=round(slowest, 4), unit="s", tasks_s=round(tasks, 3), with_pool_exit_s=round(whole, 2))


_LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""


def store_locked(lock: bool = True) -> None:
    """An agent records a step every millisecond while another process holds BEGIN EXCLUSIVE on the
    store (10 s; quick: 2 s): the agent's slowest call in milliseconds, and whether every span landed.
    Without `lock`: the same loop on a free store, the baseline (a loaded machine has its own spikes)."""
    from opentelemetry.sdk.trace import TracerProvider

    import agentops_otel
    from agentops_otel.store import LocalStore

    hold_s = 2.0 if QUICK else 10.0
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "traces.db"
        with LocalStore(path):
            pass
        agentops_otel.init(tracer_provider=TracerProvider(), store=True, store_path=path, instrument_llm=False)

        @agentops_otel.tool
        def step(i: int) -> int:
            return i

        locker = subprocess.Popen(
            [sys.executable, "-c", _LOCKER if lock else "import sys; print('locked'); sys.stdin.readline()", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        calls, slowest = 0, 0.0
        started = time.perf_counter()
        with agentops_otel.session("locked-store"):
            while time.perf_counter() - started < hold_s:
                before = time.perf_counter()
                step(calls)
                slowest = max(slowest, time.perf_counter() - before)
                calls += 1
                time.sleep(0.001)
        locker.communicate("\n", timeout=30)
        agentops_otel.shutdown()
        with LocalStore(path) as store:
            stored = store.span_count()
    emit(value=round(slowest * 1000, 2), unit="ms", calls=calls, stored=stored, expected=calls + 1, held_s=hold_s)


_OUTAGE_AGENT = """
import sys, threading, time
import agentops_otel

agentops_otel.init(instrument_llm=False)
seconds, agents = float(sys.argv[1]), int(sys.argv[2])

@agentops_otel.tool
def search_orders(customer_id, query):
    return [{"order": f"o-{customer_id}-{i}", "note": query * 40} for i in range(5)]

turns = []

def agent(a):
    started, turn = time.monotonic(), 0
    while time.monotonic() - started < seconds:
        with agentops_otel.session(f"agent-{a}-{turn}"):
            for _ in range(3):
                search_orders("c-1234", "duplicate charge refund " * 20)
        turn += 1
        time.sleep(max(0.0, started + turn - time.monotonic()))  # one turn a second
    turns.append(turn)

threads = [threading.Thread(target=agent, args=(a,)) for a in range(agents)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print("RECORDED", sum(turns) * 4, flush=True)
"""


def outage_60s() -> None:
    """Default settings, backend down (connections refused) for the whole 60 s run of 8 agents at one
    turn a second (quick: 5 s), then up for a second run: the share of spans that reach it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests._otlp_receiver import OtlpReceiver

    seconds = 5.0 if QUICK else 60.0
    receiver = OtlpReceiver(listening=False)
    with tempfile.TemporaryDirectory() as workdir:
        env = _clean_env(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.endpoint, OTEL_TRACES_EXPORTER="otlp")
        first = subprocess.run(
            [sys.executable, "-c", _OUTAGE_AGENT, str(seconds), str(BUSY_AGENTS)],
            env=env, cwd=workdir, capture_output=True, text=True,
        )  # fmt: skip
        recorded = int(first.stdout.split("RECORDED")[1])
        receiver.listen()
        subprocess.run(
            [sys.executable, "-c", _OUTAGE_AGENT, "0", "0"], env=env, cwd=workdir, capture_output=True, text=True
        )
    received = receiver.span_ids()
    receiver.close()
    emit(
        value=round(len(set(received)) / recorded, 4) if recorded else 0.0,
        unit="share",
        recorded=recorded,
        delivered=len(received),
        duplicated=len(received) - len(set(received)),
        outage_s=seconds,
    )


if __name__ == "__main__":
    run_variant(
        {
            "busy-agent": busy_agent,
            "exit-hanging": exit_hanging,
            "pool-session-end": pool_session_end,
            "store-locked": store_locked,
            "store-unlocked": lambda: store_locked(lock=False),
            "outage-60s": outage_60s,
        }
    )
