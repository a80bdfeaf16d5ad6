"""Paired start-up: a fresh process to its first ended span, `import agentops_otel; init()` with OTLP/HTTP
vs the bare SDK with its own OTLP/HTTP exporter, runs of the two alternated.

    .venv/bin/python bench/hot/startup.py [--runs 10]

Value: CPU seconds of the process when the first span has ended (nothing is delivered: the endpoint
is a closed loopback port and the process exits at once without flushing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

BARE = """
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces")))
trace.set_tracer_provider(provider)
with trace.get_tracer("bench").start_as_current_span("session"):
    pass
"""
OURS = """
import agentops_otel
agentops_otel.init(store=False)
with agentops_otel.session("bench"):
    pass
"""
DONE = "\nimport os, time\nprint(time.process_time(), flush=True)\nos._exit(0)\n"


def run(code: str) -> float:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    }
    with tempfile.TemporaryDirectory() as cwd:  # no spool or store of an earlier run to send at start
        command = [sys.executable, "-c", code + DONE]
        out = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    ours, bare, ratios = [], [], []
    for i in range(args.runs):
        if i % 2:
            b, o = run(BARE), run(OURS)
        else:
            o, b = run(OURS), run(BARE)
        ours.append(o), bare.append(b), ratios.append(o / b)
    print(
        json.dumps(
            {
                "case": "startup",
                "unit": "s",
                "ours_s": round(statistics.median(ours), 3),
                "bare_s": round(statistics.median(bare), 3),
                "ratio": round(statistics.median(ratios), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
