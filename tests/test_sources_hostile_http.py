"""Hostile Jaeger and Tempo backends served from 127.0.0.1: every one gives a one-line error (exit 2)
within its deadline and memory limit, never a traceback or a hang.

A table of misbehaviours (a body trickling a byte at a time, headers trickling, an endless answer, a
gzip bomb, wrong shapes, garbage) runs against both readers through the real command line.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentops_otel.cli import main
from agentops_otel.model import from_readable_span
from tests._sources_shapes import jaeger_response, jaeger_trace, session_spans

Behaviour = Callable[[BaseHTTPRequestHandler], None]
LIMITS = {
    "AGENTOPS_OTEL_SOURCE_TIMEOUT": "2",
    "AGENTOPS_OTEL_SOURCE_MAX_BYTES": str(1024 * 1024),
    "AGENTOPS_OTEL_SOURCE_MAX_DECOMPRESSED_BYTES": str(4 * 1024 * 1024),
}


@contextmanager
def backend(behaviour: Behaviour) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every GET with `behaviour(handler)`."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.stop = stop  # type: ignore[attr-defined]
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the reader gave up, as it should
                behaviour(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _headers(handler: BaseHTTPRequestHandler, length: int | None = None, gzip_body: bool = False) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if length is not None:
        handler.send_header("Content-Length", str(length))
    if gzip_body:
        handler.send_header("Content-Encoding", "gzip")
    handler.end_headers()


def trickle_body(handler: BaseHTTPRequestHandler) -> None:
    _headers(handler, 10_000)
    handler.wfile.write(b'{"data": [')
    while not handler.stop.wait(0.3):  # type: ignore[attr-defined]
        handler.wfile.write(b" ")
        handler.wfile.flush()


def trickle_headers(handler: BaseHTTPRequestHandler) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 10_000:
        if handler.stop.wait(0.3):  # type: ignore[attr-defined]
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()


def endless(handler: BaseHTTPRequestHandler) -> None:
    _headers(handler)  # no length: the answer ends when the server closes, which it never does
    handler.wfile.write(b'{"data": ["')
    chunk = b"x" * 65536
    while not handler.stop.is_set():
        handler.wfile.write(chunk)


def gzip_bomb(handler: BaseHTTPRequestHandler) -> None:
    _headers(handler, len(BOMB), gzip_body=True)
    handler.wfile.write(BOMB)


def _bomb(expanded: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"0" * (1024 * 1024)
    return b"".join([compressor.compress(zeros) for _ in range(expanded // len(zeros))] + [compressor.flush()])


BOMB = _bomb(64 * 1024 * 1024)  # 64 MiB of digits in about 64 KB


def answer(body: bytes | str, status: int = 200) -> Behaviour:
    data = body.encode() if isinstance(body, str) else body

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return send


CASES: dict[str, tuple[Behaviour, str]] = {
    "a body trickling a byte at a time": (trickle_body, "no complete answer within 2s"),
    "headers trickling a byte at a time": (trickle_headers, "no complete answer within 2s"),
    "an endless answer": (endless, "larger than 1 MiB; set AGENTOPS_OTEL_SOURCE_MAX_BYTES"),
    "a gzip bomb": (gzip_bomb, "expanding past 4 MiB"),
    "HTML instead of JSON": (answer("<html><body>login</body></html>"), "not valid JSON at line 1"),
    "nested arrays": (answer("[" * 100_000 + "]" * 100_000), "nesting deeper than 500 levels"),
    "a 5,000-digit number": (answer('{"data": [' + "9" * 5000 + "]}"), "longer than 4300 digits"),
    "a JSON string": (answer('"nope"'), "not a"),
    "a server error": (answer("upstream exploded", 502), "HTTP 502"),
}
SHAPES = {
    "jaeger": {
        "data is a string": ('{"data": "nope"}', "expected a list"),
        "services not a list": ('{"data": {"a": 1}}', "expected a list"),
        "a Tempo answer": ('{"traces": []}', "not a Jaeger services answer"),
    },
    "tempo": {
        "traces is a string": ('{"traces": "nope"}', 'expected {"traces": [...]}'),
        "a Jaeger answer": ('{"data": [], "total": 0, "limit": 0, "offset": 0, "errors": null}', "is "),
        "a list": ("[1, 2, 3]", "not a Tempo search answer"),
    },
}


def _run(args: list[str]) -> tuple[int, str, str, float]:
    started = time.monotonic()
    result = CliRunner(env=LIMITS).invoke(main, args)
    return result.exit_code, result.stdout, result.stderr, time.monotonic() - started


def _assert_one_line_error(code: int, stdout: str, stderr: str, needle: str) -> None:
    assert code == 2, (stdout, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert needle in lines[0], lines[0]
    assert "Traceback" not in stdout + stderr


@pytest.mark.parametrize("reader", ["jaeger", "tempo"])
@pytest.mark.parametrize("case", CASES)
def test_a_hostile_backend_gives_one_line_within_its_deadline(reader: str, case: str) -> None:
    behaviour, needle = CASES[case]
    with backend(behaviour) as url:
        code, stdout, stderr, took = _run(["sessions", "--source", f"{reader}:{url}"])
    _assert_one_line_error(code, stdout, stderr, needle)
    assert took < 2 + 8  # the deadline is per answer, not per read (a generous margin on a loaded machine)


@pytest.mark.parametrize(("reader", "case"), [(reader, case) for reader, cases in SHAPES.items() for case in cases])
def test_a_wrong_shaped_answer_says_what_was_expected(reader: str, case: str) -> None:
    body, needle = SHAPES[reader][case]
    with backend(answer(body)) as url:
        code, stdout, stderr, _ = _run(["sessions", "--source", f"{reader}:{url}"])
    _assert_one_line_error(code, stdout, stderr, needle)
    assert "no sessions recorded yet" not in stderr


def test_a_gzip_answer_within_the_limits_is_read() -> None:
    records = [from_readable_span(s) for s in session_spans()]
    body = gzip.compress(json.dumps(jaeger_response([jaeger_trace(records)])).encode())

    def serve(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/api/services"):
            answer(json.dumps({"data": ["support-bot"]}))(handler)
            return
        _headers(handler, len(body), gzip_body=True)
        handler.wfile.write(body)

    with backend(serve) as url:
        code, stdout, stderr, _ = _run(["sessions", "--json", "--source", f"jaeger:{url}"])
    assert code == 0, stderr
    assert [s["session_id"] for s in json.loads(stdout)] == ["sess-checkout-1"]


def _big_jaeger_answer(path: Path, megabytes: int) -> int:
    """A Jaeger search answer of many traces (our session's spans, new ids each), written to `path`."""
    records = [from_readable_span(s) for s in session_spans()]
    template = json.dumps(jaeger_trace(records))
    trace_id = records[0].trace_id
    traces, size, n = [], 0, 0
    while size < megabytes * 1024 * 1024:
        n += 1
        text = template.replace(trace_id, f"{n:032x}").replace("sess-checkout-1", f"sess-{n:08d}")
        traces.append(text)
        size += len(text)
    path.write_text('{"data": [' + ",".join(traces) + '], "total": 0, "limit": 0, "offset": 0, "errors": null}')
    return n


def test_a_large_jaeger_answer_is_read_one_trace_at_a_time(tmp_path: Path) -> None:
    """A 40 MB answer: the reader holds its text and one trace, not every trace's objects (7.4 times
    the answer's size before: 310 MB; now about 3 times, with the interpreter's 40 MB)."""
    answer_path = tmp_path / "answer.json"
    traces = _big_jaeger_answer(answer_path, 40)
    body = answer_path.read_bytes()

    def serve(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/api/services"):
            answer(json.dumps({"data": ["support-bot"]}))(handler)
        else:
            answer(body)(handler)

    # The reader's own peak RSS, reported by itself at exit: VmHWM of its own memory (getrusage's
    # ru_maxrss carries the forking pytest worker's peak across exec, and RUSAGE_CHILDREN other tests').
    measured = (
        "import re, sys\nfrom agentops_otel.cli import main\ntry:\n    main()\nfinally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    sys.stderr.write('PEAK_KB %s\\n' % re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
    )
    with backend(serve) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOPS_OTEL_"))}
        args = ["sessions", "--json", "--limit", "1000000", "--source", f"jaeger:{url}"]
        proc = subprocess.run(
            [sys.executable, "-c", measured, *args], env=env, capture_output=True, text=True, timeout=300
        )
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, err
    assert len(json.loads(out)) == traces
    peak_mb = int(err.rsplit("PEAK_KB ", 1)[1]) / 1024  # kilobytes on Linux
    assert peak_mb < 80 + 2.5 * len(body) / 1e6, f"peak RSS {peak_mb:.0f} MB for a {len(body) / 1e6:.0f} MB answer"
