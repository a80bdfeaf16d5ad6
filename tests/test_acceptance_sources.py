"""Acceptance: the same sessions read from the local store and from an OTLP JSON file agree (issues 7, 8).

A user who already runs OpenTelemetry sets up their own TracerProvider with their own exporter, then
calls `init()` (which joins it). Their exporter's spans, written one `TracesData` per line as the
Collector's file exporter does (here through the protobuf JSON mapping: camelCase keys, base64 ids),
must list, gate and replay exactly like the local store that recorded the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_APP = textwrap.dedent(
    """
    import json
    from google.protobuf.json_format import MessageToDict
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    import agentops_otel as agentops

    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    mine = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(mine))
    agentops.init()

    for i in range(4):
        try:
            with agentops.session(f"ticket-{i}", tags=["file"]):
                agentops.record(agentops.LLMEvent(model="gpt-4o-mini", prompt="hi", completion="yo",
                                                  prompt_tokens=1000 * (i + 1), completion_tokens=100))
                agentops.record(agentops.ToolEvent(name="search", params={"q": i}, returns=[i]))
                if i == 3:
                    raise ValueError("no results")
        except ValueError:
            pass

    with open("traces.jsonl", "w") as out:
        for span in mine.get_finished_spans():
            out.write(json.dumps(MessageToDict(encode_spans([span]))) + "\\n")
    print(agentops.get_session().session_id)
    """
)


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_OTEL_", "OTEL_"))}
    return subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("own-provider")
    (directory / "app.py").write_text(USER_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_OTEL_", "OTEL_"))}
    run = subprocess.run(
        [sys.executable, "app.py"], cwd=directory, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return directory, run.stdout.strip()


def test_session_summaries_agree(recorded: tuple[Path, str]):
    directory, _ = recorded
    from_store = json.loads(cli(directory, "sessions", "--json").stdout)
    from_file = json.loads(cli(directory, "sessions", "--json", "--source", "file:traces.jsonl").stdout)
    assert len(from_store) == 4
    assert sorted(from_file, key=lambda s: s["session_id"]) == sorted(from_store, key=lambda s: s["session_id"])
    costs = sorted(s["cost"] for s in from_file)
    assert costs[0] == pytest.approx((1000 * 0.15 + 100 * 0.6) / 1e6)  # gpt-4o-mini, priced when recorded


def test_check_measures_the_same_numbers(recorded: tuple[Path, str]):
    directory, _ = recorded
    store = json.loads(cli(directory, "check", "--max-failure-rate", "0.5", "--json").stdout)
    file = json.loads(cli(directory, "check", "--max-failure-rate", "0.5", "--json", "--source", "traces.jsonl").stdout)
    assert [c["measured"] for c in file["checks"]] == [c["measured"] for c in store["checks"]]
    assert file["checks"][0]["measured"] == pytest.approx(0.25)


def test_replay_renders_the_same_timeline(recorded: tuple[Path, str]):
    directory, failed = recorded
    from_store = cli(directory, "replay", failed[:8])
    from_file = cli(directory, "replay", failed[:8], "--source", "traces.jsonl")
    assert from_store.returncode == 0 and from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == from_store.stdout
    assert "Status: Fail" in from_file.stdout and "no results" in from_file.stdout
