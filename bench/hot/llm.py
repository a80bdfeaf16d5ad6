"""Paired: what our instrumentation adds to a real `openai` chat call against the loopback server
(`agentops_otel.testing.llm_server`), non-streamed and streamed, vs the same client uninstrumented.

    .venv/bin/python bench/hot/llm.py [--rounds 20] [--calls 100]

Ours and bare batches alternate; between them the instrumentor is installed and removed (untimed).
The server runs in its own process, so the CPU timed is the client's alone. `chunk`: added per stream
chunk, from a reply of 2 words vs one of 202 (one chunk per word): a 30 ms stream varies by a few ms
here, so `chunk-proxy` also times the stream proxy alone over 200 real `ChatCompletionChunk`s.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from typing import Any

import openai
from _hot import paired, report
from _otel import init_ours
from _providers import dropping_provider

import agentops_otel
from agentops_otel.instrumentation.openai import OpenAIInstrumentor
from agentops_otel.testing.llm_server import FAKE_OPENAI_KEY

# The loopback server in a child process: it answers "word" repeated as the request's model says
# ("gpt-4o-mini" 2 words, "gpt-4o-mini-202" 202), prints its address, and ends with our stdin.
SERVER = """
import sys
from agentops_otel.testing.llm_server import LLMServer, Reply
server = LLMServer().start()
server.responder = lambda r: Reply(text=" ".join(["word"] * (202 if r.model.endswith("-202") else 2)))
print(server.openai_base_url, flush=True)
sys.stdin.read()
"""

MESSAGES = [
    {"role": "system", "content": "You are a support agent for a billing product."},
    {"role": "user", "content": "I was charged twice for my subscription this month, what can I do?"},
]


def _proxy_vs_plain() -> tuple[Any, Any]:
    """Iterating 200 chunks through our stream proxy (accumulating, as in a call) vs directly."""
    from openai.types.chat import ChatCompletionChunk

    from agentops_otel.instrumentation._streams import StreamProxy
    from agentops_otel.instrumentation.openai._chat import ChatStream

    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini"}
    delta = {"index": 0, "delta": {"content": "word "}, "finish_reason": None}
    chunks = [ChatCompletionChunk.model_validate({**chunk, "choices": [delta]}) for _ in range(200)]

    class Call:  # the LLMCall's part a stream proxy touches, ended already
        ended = True

        def first_chunk(self) -> None:
            pass

    def proxied() -> None:
        for _ in StreamProxy(iter(chunks), Call(), ChatStream()):  # type: ignore[arg-type]
            pass

    def plain() -> None:
        for _ in iter(chunks):
            pass

    return proxied, plain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    provider, exported = dropping_provider()
    init_ours(provider)  # instrument_llm=False: the instrumentor is toggled here
    instrumentor = OpenAIInstrumentor()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    client = openai.OpenAI(base_url=server.stdout.readline().strip(), api_key=FAKE_OPENAI_KEY, max_retries=0)

    @contextlib.contextmanager
    def instrumented() -> Any:
        instrumentor.instrument(tracer_provider=provider)
        try:
            with agentops_otel.session("bench"):
                yield
        finally:
            instrumentor.uninstrument()

    def caller(model: str, stream: bool) -> Any:
        def call() -> None:
            if stream:
                for _ in client.chat.completions.create(model=model, messages=MESSAGES, stream=True):
                    pass
            else:
                client.chat.completions.create(model=model, messages=MESSAGES)

        return call

    results = {}
    for label, model, stream in (
        ("call", "gpt-4o-mini", False),
        ("stream-2", "gpt-4o-mini", True),
        ("stream-202", "gpt-4o-mini-202", True),
    ):
        call = caller(model, stream)
        results[label] = paired(call, call, args.rounds, args.calls, around=(instrumented, None))
        report(label, unit="us/call", **results[label])
    chunk = (results["stream-202"]["added_us"] - results["stream-2"]["added_us"]) / 200
    report("chunk", unit="us/chunk", added_us=round(chunk, 2))
    assert server.stdin is not None
    server.stdin.close()
    server.wait()
    report("chunk-proxy", unit="us/chunk", **paired(*_proxy_vs_plain(), args.rounds, 20, scale=200))
    provider.force_flush()
    if not exported.count:
        raise SystemExit("nothing was exported")


if __name__ == "__main__":
    main()
