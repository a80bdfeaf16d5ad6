"""Hostile files, options and stores: each gives a one-line error (exit 2) or a documented tolerant
result, never a traceback.

Tables of inputs run through the real command line: OTLP JSON files (deep nesting, huge numbers,
times out of range, garbage lines, truncated lines, gzip bombs), option values out of range, store
files with garbled cells, a full disk, and Ctrl-C while the exit flush waits on a backend.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main
from agentops_otel.store import LocalStore
from tests._otlp_receiver import HANG, OtlpReceiver
from tests._sources_shapes import otlp_dict, session_spans

LIMITS = {
    "AGENTOPS_OTEL_SOURCE_MAX_BYTES": str(1024 * 1024),
    "AGENTOPS_OTEL_SOURCE_MAX_DECOMPRESSED_BYTES": str(4 << 20),
}
ID = "a" * 32


def _span_line(**span: object) -> str:
    base = {"traceId": ID, "spanId": "b" * 16, "name": "s", "startTimeUnixNano": "1", "endTimeUnixNano": "2"}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{**base, **span}]}]}]})


def _nested_kvlist(levels: int) -> str:
    value = {"stringValue": "x"}
    for _ in range(levels):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    return _span_line(attributes=[{"key": "deep", "value": value}]) if levels < 300 else _raw_kvlist(levels)


def _raw_kvlist(levels: int) -> str:  # too deep for json.dumps itself: built as text
    text = '{"stringValue":"x"}'
    for _ in range(levels):
        text = '{"kvlistValue":{"values":[{"key":"k","value":' + text + "}]}}"
    return _span_line(attributes=[]).replace('"attributes": []', '"attributes": [{"key":"deep","value":' + text + "}]")


def _bomb(expanded: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\n" * (1 << 20)
    return b"".join([compressor.compress(block) for _ in range(expanded >> 20)] + [compressor.flush()])


@pytest.fixture(scope="module")
def good_lines() -> list[str]:
    spans = session_spans()
    return [json.dumps(otlp_dict(spans[:2])), json.dumps(otlp_dict(spans[2:]))]


BAD_FILES: dict[str, tuple[object, str]] = {
    "100,000 nested arrays in a line": (
        "[" * 100_000 + "]" * 100_000 + "\n",
        "nesting deeper than 500 levels at line 1",
    ),
    "3,000 nested kvlistValues": (_nested_kvlist(3000) + "\n", "nesting deeper than 500 levels"),
    "100 nested kvlistValues": (_nested_kvlist(100) + "\n", "nests deeper than 64 levels"),
    "a 5,000-digit number": (
        _span_line(startTimeUnixNano=0).replace(": 0,", ": " + "9" * 5000 + ",") + "\n",
        "4300 digits",
    ),
    "a start time past 2262": (_span_line(startTimeUnixNano="9" * 25) + "\n", "out of range"),
    "a negative start time": (_span_line(startTimeUnixNano="-5") + "\n", "out of range"),
    "an event time past 2262": (_span_line(events=[{"name": "e", "timeUnixNano": "9" * 30}]) + "\n", "out of range"),
    "a span id of 5,000 characters": (_span_line(spanId="c" * 5000) + "\n", "neither hex nor base64"),
    "a deep pretty-printed document": ("[\n" * 2000 + "]\n" * 2000, "nesting deeper than 500 levels at line 501"),
    "a line over the size limit": (
        '{"resourceSpans": ["' + "x" * (2 << 20) + '"]}\n',
        "AGENTOPS_OTEL_SOURCE_MAX_BYTES",
    ),
    "a gzip bomb": (_bomb(64 << 20), "AGENTOPS_OTEL_SOURCE_MAX_DECOMPRESSED_BYTES"),
}


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner(env={**LIMITS, **(env or {})}).invoke(main, list(args))


def _one_line_error(result, needle: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_hostile_file_gives_one_line_naming_the_place(tmp_path: Path, case: str) -> None:
    content, needle = BAD_FILES[case]
    path = tmp_path / ("bad.jsonl.gz" if isinstance(content, bytes) else "bad.jsonl")
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    _one_line_error(_cli("sessions", "--source", f"file:{path}"), needle)


def test_garbage_in_the_middle_names_its_line_or_is_skipped_and_counted(tmp_path: Path, good_lines) -> None:
    path = tmp_path / "traces.jsonl"
    path.write_text(f"{good_lines[0]}\nnot json at all\n{good_lines[1]}\n{{}}{{}}\n")
    _one_line_error(_cli("sessions", "--source", f"file:{path}"), "line 2: not valid JSON")
    result = _cli("sessions", "--json", "--skip-bad-lines", "--source", f"file:{path}")
    assert result.exit_code == 0, result.stderr
    assert [s["session_id"] for s in json.loads(result.stdout)] == ["sess-checkout-1"]
    assert result.stderr.strip() == f"warning: {path}: skipped 2 unreadable lines (2, 4)"


def test_a_truncated_last_line_is_skipped_with_one_warning(tmp_path: Path, good_lines) -> None:
    """The Collector may still be appending: the last line without its newline is not an error."""
    path = tmp_path / "traces.jsonl"
    path.write_text(f"{good_lines[0]}\n{good_lines[1]}\n{good_lines[1][:-40]}")
    result = _cli("replay", "sess-checkout-1", "--json", "--source", f"file:{path}")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["session_id"] == "sess-checkout-1"
    assert (
        result.stderr.strip()
        == f"warning: {path} line 3: skipped an incomplete last line (the file may still be being written)"
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["sessions", "--since", "99999999999d"], "'--since': '99999999999d' reaches back before 1970-01-01"),
        (["sessions", "--since", "1000000d"], "'--since': '1000000d' reaches back before 1970-01-01"),
        (["check", "--since", "0001-01-01"], "'--since': '0001-01-01' reaches back before 1970-01-01"),
        (["sessions", "--since", "9" * 5000 + "s"], "'--since'"),
        (
            ["sessions", "--limit", "99999999999999999999"],
            "'--limit': 99999999999999999999 is not in the range 1<=x<=1000000",
        ),
        (["check", "--limit", "0"], "'--limit'"),
        (["replay", "x", "--width", "99999999"], "'--width'"),
        (["check", "--max-cost", "nan"], "'--max-cost': 'nan' is not a finite number"),
        (["check", "--max-failure-rate", "inf"], "'--max-failure-rate'"),
    ],
)
def test_option_values_out_of_range_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    _one_line_error(_cli(*args, "--source", str(tmp_path / "none.db")), needle)


def test_a_far_future_since_lists_nothing(tmp_path: Path) -> None:
    store = tmp_path / "t.db"
    LocalStore(store).write([])
    result = _cli("sessions", "--since", "9999-12-31", "--source", str(store))
    assert result.exit_code == 0 and "no sessions match these filters" in result.stderr


@pytest.fixture
def garbled_store(tmp_path: Path) -> Path:
    from agentops_otel.model import from_readable_span

    path = tmp_path / "traces.db"
    with LocalStore(path) as store:
        store.write([from_readable_span(s) for s in session_spans()])
    conn = sqlite3.connect(path)
    conn.execute("UPDATE spans SET attributes = '{\"cut', events = '[[1' WHERE name LIKE 'execute_tool%'")
    conn.execute("UPDATE spans SET links = 'nope', end_ns = 'soon' WHERE name LIKE 'chat%'")
    conn.execute("UPDATE sessions SET tags = '[oops'")
    conn.commit()
    conn.close()
    return path


def test_garbled_store_cells_show_as_unreadable_values(garbled_store: Path) -> None:
    result = _cli("replay", "sess-checkout-1", "--json", "--source", str(garbled_store))
    assert result.exit_code == 0, result.stderr
    session = json.loads(result.stdout)
    marked = {s["span_name"]: s["attributes"].get("agentops.readback.unreadable") for s in session["steps"]}
    assert any(v and "attributes: unreadable value" in v for v in marked.values()), marked
    assert any(v and "end time: unreadable value" in v for v in marked.values()), marked
    for args in (["replay", "sess-checkout-1"], ["sessions"], ["sessions", "--tag", "prod"]):
        assert _cli(*args, "--source", str(garbled_store)).exit_code == 0
    listed = json.loads(_cli("sessions", "--json", "--source", str(garbled_store)).stdout)
    assert listed[0]["tags"] == ["unreadable value"]


def _unshare_available() -> bool:
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_available(), reason="needs mount namespaces (unshare -m) for a tiny tmpfs")
def test_a_full_disk_says_so_and_keeps_the_store(tmp_path: Path) -> None:
    """A real full disk: a 512 KB tmpfs in a private mount namespace, filled after the store is made."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f"""
set -e
mount -t tmpfs -o size=512k tmpfs {disk}
cd {disk}
{sys.executable} -c "
from agentops_otel.store import LocalStore
from agentops_otel.model import from_readable_span
from tests._sources_shapes import session_spans
LocalStore('traces.db').write([from_readable_span(s) for s in session_spans()])
"
head -c 10000000 /dev/zero > filler 2>/dev/null || true
cp traces.db before.db 2>/dev/null || true
{sys.executable} -c "
from agentops_otel.store import LocalStore
from agentops_otel.model import from_readable_span
from agentops_otel.errors import StoreError
from tests._sources_shapes import session_spans
try:
    with LocalStore('traces.db') as s:
        for i in range(200):
            s.write([from_readable_span(x) for x in session_spans(session_id='sess-' + str(i))])
except StoreError as e:
    print('ERROR', e)
"
{sys.executable} -m agentops_otel.cli sessions --source traces.db 2>&1 || true
rm filler
{sys.executable} -m agentops_otel.cli sessions --source traces.db > /dev/null && echo LISTED
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert "ERROR the disk holding traces.db is full" in run.stdout, run.stdout + run.stderr  # writing
    assert "error: the disk holding traces.db is full while opening it" in run.stdout  # listing, one line
    assert "not a readable" not in run.stdout + run.stderr and "delete it" not in run.stdout
    assert "LISTED" in run.stdout, run.stderr  # with space again, the same store reads


def test_ctrl_c_during_the_exit_flush_prints_one_line(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import agentops_otel\nagentops_otel.init()\nwith agentops_otel.session('s'):\n    pass\n"
        "print('exiting', flush=True)\n"
    )
    receiver = OtlpReceiver()
    receiver.script(*[HANG] * 5)  # the backend holds every export: the exit flush waits
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))},
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
        }
        proc = subprocess.Popen(
            [sys.executable, str(app)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline() == "exiting\n"
        deadline = time.monotonic() + 10
        while not receiver.attempts() and time.monotonic() < deadline:  # the flush is under way
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        receiver.close()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        "agentops_otel: interrupted while flushing traces at exit; spans not yet written were not recorded"
    ]
    assert took < 5  # it does not go on waiting for the export timeout (10 s)
