"""An OpenAI chat call through the real `openai` client against the loopback LLM server, with and
without our instrumentation. The server runs in its own process so it does not share our GIL.

Values: CPU microseconds per call of the client process (a stream is read to its end); the
`added-interleaved` variants give the added cost directly, per call or per chunk.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _harness import emit, per_call, run_variant, scaled

CALLS, BATCHES = scaled(200, 20), scaled(5, 2)
STREAM_CALLS, STREAM_BATCHES = scaled(20, 3), scaled(5, 2)
# The server echoes the last user message one word per chunk: "echo:" + 399 words = 400 content chunks.
STREAM_PROMPT = " ".join(["word"] * 399)
MODEL = "gpt-4o-mini"

# TCP_NODELAY on the server's sockets: headers and body go out in separate writes, and Nagle's algorithm
# with delayed ACKs would otherwise add ~40 ms to every call and drown what is measured.
_SERVER = """
import socketserver, sys
socketserver.StreamRequestHandler.disable_nagle_algorithm = True
from agentops_otel.testing.llm_server import LLMServer
with LLMServer() as server:
    print(server.openai_base_url, flush=True)
    sys.stdin.read()
"""


@contextmanager
def _server() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def _client(base_url: str) -> Any:
    import openai

    return openai.OpenAI(base_url=base_url, api_key="sk-test-bench-0123456789", max_retries=0)


def _chat(client: Any) -> Callable[[], Any]:
    messages = [{"role": "user", "content": "I was charged twice for my order"}]
    return lambda: client.chat.completions.create(model=MODEL, messages=messages)


def _stream(client: Any, chunks: list[int]) -> Callable[[], Any]:
    messages = [{"role": "user", "content": STREAM_PROMPT}]

    def call() -> None:
        count = 0
        for chunk in client.chat.completions.create(model=MODEL, messages=messages, stream=True):
            count += bool(chunk.choices and chunk.choices[0].delta.content)
        chunks.append(count)

    return call


def _instrument() -> Any:
    """Our pipeline with LLM instrumentation on a provider whose exporter drops; a session open."""
    from _otel import dropping_provider, init_ours_llm

    import agentops_otel

    provider, exporter = dropping_provider()
    init_ours_llm(provider)
    agentops_otel.start_session(name="bench")
    return exporter


def _measure(instrumented: bool, streaming: bool) -> None:
    with _server() as base_url:
        exporter = _instrument() if instrumented else None
        client = _client(base_url)
        chunks: list[int] = []
        if streaming:
            timing = per_call(_stream(client, chunks), STREAM_CALLS, STREAM_BATCHES, warmup=3)
        else:
            timing = per_call(_chat(client), CALLS, BATCHES, warmup=10)
        client.close()
        extra = {"chunks": max(chunks)} if chunks else {}
        if exporter is not None:
            import agentops_otel

            agentops_otel.end_session()
            agentops_otel.shutdown()
            if exporter.count == 0:
                raise SystemExit("instrumented, but no span was exported")
        emit(**timing, unit="us/call", **extra)


def _interleaved(streaming: bool) -> None:
    """Instrumented and plain batches alternated in one process (unwrap, wrap again): the difference
    of their medians is the added cost, free of the ~20% variation between processes."""
    from agentops_otel import _pipeline
    from agentops_otel.capture._lifecycle import instrument_llm_clients
    from agentops_otel.instrumentation.openai import OpenAIInstrumentor

    with _server() as base_url:
        _instrument()
        pipeline = _pipeline.current_pipeline()
        client = _client(base_url)
        chunks: list[int] = []
        call = _stream(client, chunks) if streaming else _chat(client)
        calls, batches = (STREAM_CALLS, STREAM_BATCHES) if streaming else (CALLS, BATCHES)
        instrumentor = OpenAIInstrumentor()
        plain, ours = [], []
        for _ in range(batches):
            ours.append(per_call(call, calls, 1, warmup=2)["value"])
            instrumentor.uninstrument()
            plain.append(per_call(call, calls, 1, warmup=2)["value"])
            instrument_llm_clients(pipeline)
        client.close()
        added = statistics.median(o - p for o, p in zip(ours, plain, strict=True))
        per = max(chunks) if streaming else 1
        extra = {"chunks": per} if streaming else {}
        emit(value=added / per, unit="us/chunk" if streaming else "us/call", plain=statistics.median(plain), **extra)


if __name__ == "__main__":
    run_variant(
        {
            "plain": lambda: _measure(False, False),
            "ours": lambda: _measure(True, False),
            "plain-stream": lambda: _measure(False, True),
            "ours-stream": lambda: _measure(True, True),
            "added-interleaved": lambda: _interleaved(False),
            "added-interleaved-stream": lambda: _interleaved(True),
        }
    )
