"""The disk spool: with AGENTOPS_OTEL_SPOOL_DIR set, spans of a run whose backend was down the whole
time are sent by the next run, through the real `agentops_otel.init()` pipeline in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentops_otel.export import OtlpSettings, QueueSettings, ReliableExportProcessor
from agentops_otel.export._spool import DiskSpool
from agentops_otel.export._transport import build_transport
from tests._otlp_receiver import OtlpReceiver
from tests.test_export_faults import emit

AGENT = """
import json, sys
import agentops_otel
provider = agentops_otel.init(service_name="spool-agent")
tracer = provider.get_tracer("agent")
ids = []
for session in range(int(sys.argv[1]) // 500):
    with tracer.start_as_current_span("session") as root:
        ids.append(format(root.get_span_context().span_id, "016x"))
        for step in range(499):
            with tracer.start_as_current_span("step") as span:
                ids.append(format(span.get_span_context().span_id, "016x"))
    provider.force_flush()  # what an agent does between sessions; returns at once when spooled
json.dump(ids, open(sys.argv[2], "w"))
"""


def run_agent(spans: int, endpoint: str, spool: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
        "AGENTOPS_OTEL_SPOOL_DIR": str(spool),
        "AGENTOPS_OTEL_INSTRUMENT_LLM": "false",
        "AGENTOPS_OTEL_STORE": "false",
    }
    return subprocess.run(
        [sys.executable, "-c", AGENT, str(spans), str(out)], env=env, capture_output=True, text=True, timeout=120
    )


def test_backend_down_for_a_whole_run_then_up_loses_none_of_10000_spans(tmp_path: Path) -> None:
    receiver = OtlpReceiver(listening=False)
    spool = tmp_path / "spool"
    try:
        first = run_agent(10_000, receiver.endpoint, spool, tmp_path / "first.json")
        assert first.returncode == 0, first.stderr
        assert "10000 spans wait in" in first.stderr
        assert DiskSpool(spool, 1 << 30).pending_spans() == 10_000
        receiver.listen()
        second = run_agent(500, receiver.endpoint, spool, tmp_path / "second.json")
        assert second.returncode == 0, second.stderr
        assert "not delivered" not in second.stderr
        sent = json.loads((tmp_path / "first.json").read_text()) + json.loads((tmp_path / "second.json").read_text())
        received = receiver.span_ids()
        assert len(sent) == 10_500
        assert sorted(received) == sorted(sent)  # every span once: nothing lost, nothing doubled
        assert not list(spool.glob("*.otlp*"))
    finally:
        receiver.close()


def test_a_full_spool_counts_what_it_cannot_keep(tmp_path: Path) -> None:
    receiver = OtlpReceiver(listening=False)
    try:
        transport = build_transport(OtlpSettings(endpoint=receiver.endpoint))
        queue = QueueSettings(max_batch_size=50, schedule_delay_s=0.05, spool_dir=tmp_path, spool_max_bytes=20_000)
        processor = ReliableExportProcessor(transport, queue, initial_backoff_s=0.02, max_backoff_s=0.1)
        emit(processor, 500)
        processor.force_flush(5_000)
        processor.shutdown()
    finally:
        receiver.close()
    stats = processor.stats
    on_disk = DiskSpool(tmp_path, 1 << 30).pending_spans()
    assert on_disk == stats.spooled > 0
    assert stats.dropped["spool_full"] == 500 - on_disk
    assert sum(p.stat().st_size for p in tmp_path.glob("*.otlp")) <= 20_000


def test_claims_of_a_dead_process_are_released(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, 1 << 20)
    assert spool.put(b"batch-one", 3)
    claimed = spool.claim_oldest()
    assert claimed is not None and claimed.payload == b"batch-one" and claimed.span_count == 3
    assert spool.claim_oldest() is None  # claimed files are not offered twice
    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    claimed.path.rename(claimed.path.with_name(claimed.path.name.rsplit("-", 1)[0] + f"-{dead_pid}"))
    again = DiskSpool(tmp_path, 1 << 20)
    assert again.pending_spans() == 3
    batch = again.claim_oldest()
    assert batch is not None and batch.payload == b"batch-one"
    again.delivered(batch)
    assert again.pending_spans() == 0 and not list(tmp_path.iterdir())
