"""The local viewer: a real HTTP server on 127.0.0.1 listing sessions and serving their replays."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest

from agentops_otel.sources import open_source
from agentops_otel.viewer import make_server
from tests._browser import guarded_page, open_browser
from tests._sources_shapes import otlp_dict, session_spans

CLI = [sys.executable, "-c", "from agentops_otel.cli import main; main()"]
PAYLOAD = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "traces.jsonl"
    docs = [
        otlp_dict(session_spans("checkout-failed", service="shop")),
        otlp_dict(session_spans("refund-ok", fail=False, service="support")),
        otlp_dict(session_spans(PAYLOAD, service="evil", tool_name=PAYLOAD)),
    ]
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@contextmanager
def running(source):
    server = make_server(source, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_the_list_shows_every_session_escaped_with_links_to_replays(traces):
    with running(open_source(str(traces))) as url:
        status, page, headers = _get(url)
    assert status == 200
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert page.count("<tr>") == 4
    assert '<a href="/sessions/checkout-failed">checkout-failed</a>' in page
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert f'href="/sessions/{urllib.parse.quote(PAYLOAD, safe="")}"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=Fail&service=shop", {"checkout-failed"}),
        ("status=Success", {"refund-ok"}),
        ("tag=prod,billing&service=support", {"refund-ok"}),
        ("tag=staging", set()),
        ("since=2025-12-31", {"checkout-failed", "refund-ok", PAYLOAD}),
        (f"since={urllib.parse.quote('2026-01-01T00:00:01+00:00')}", set()),
    ],
)
def test_filters_by_status_tag_service_and_time(traces, query, expected):
    with running(open_source(str(traces))) as url:
        status, body, _ = _get(f"{url}api/sessions?{query}")
        page_status, page, _ = _get(f"{url}?{query}")
    assert status == 200 and page_status == 200
    assert {s["session_id"] for s in json.loads(body)} == expected
    assert page.count("<tr>") == len(expected) + 1


def test_bad_filters_unknown_sessions_and_broken_sources_are_answered_not_crashed(traces, tmp_path):
    with running(open_source(str(traces))) as url:
        assert _get(url + "?since=yesterdayish")[0] == 400
        assert "neither a duration" in _get(url + "?since=yesterdayish")[1]
        assert _get(url + "?limit=many")[0] == 400
        for bad in ("status=bogus", "limit=0", "limit=-3", f"limit={10**30}", "since=2h%20ago"):
            for route in ("", "api/sessions"):
                status, body, _ = _get(f"{url}{route}?{bad}")
                assert status == 400, (bad, route, body)
                assert bad.split("=")[0] + " " in body
        status, body, _ = _get(url + "api/sessions?status=bogus")
        assert "not one of Success, Fail, Indeterminate, open" in body
        assert _get(url + "api/sessions?status=fail")[0] == 200
        missing = _get(url + "sessions/ghost")
        assert missing[0] == 404 and "no session 'ghost'" in missing[1]
        assert _get(url + "nothing-here")[0] == 404
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"resourceSpans": [\n')
    with running(open_source(str(broken))) as url:
        status, page, _ = _get(url)
    assert status == 502 and "not valid JSON" in page


def test_bad_filters_on_a_store_source_are_400_not_502(tmp_path):
    from agentops_otel.store import LocalStore

    store = tmp_path / "traces.db"
    LocalStore(store).close()
    with running(open_source(str(store))) as url:
        for bad in ("status=bogus", "limit=0", f"limit={10**30}"):
            assert _get(f"{url}?{bad}")[0] == 400, bad
            assert _get(f"{url}api/sessions?{bad}")[0] == 400, bad
        assert _get(url + "?status=open")[0] == 200


def test_a_request_for_another_host_name_is_refused(traces):
    with running(open_source(str(traces))) as url:
        port = urllib.parse.urlsplit(url).port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": f"attacker.example:{port}"})
        response = conn.getresponse()
        assert response.status == 403
        conn.close()
        assert _get(url.replace("127.0.0.1", "localhost"))[0] == 200


def test_concurrent_requests_are_all_answered(traces):
    with running(open_source(str(traces))) as url:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda i=i: results.append(_get(f"{url}sessions/refund-ok" if i % 2 else url)[0]))
            for i in range(12)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 12


@pytest.mark.browser
def test_clicking_a_session_opens_its_replay_in_the_browser(traces):
    with running(open_source(str(traces))) as url, open_browser() as browser:
        with guarded_page(browser) as (page, guard):
            page.goto(url + "?status=Fail&service=shop")
            page.click("text=checkout-failed")
            page.wait_for_selector("body[data-ready=true]")
            assert page.inner_text("#session-id") == "checkout-failed"
            page.goto(url + "sessions/" + urllib.parse.quote(PAYLOAD, safe="") + "#step-2")
            page.wait_for_selector("body[data-ready=true]")
            assert PAYLOAD in page.inner_text("#detail")
            assert page.evaluate("window.__pwned") is None
        assert guard.blocked == [] and guard.errors == []


def test_the_serve_command_listens_on_loopback_and_reports_its_url(traces):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--source", str(traces)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(f"serving file:{traces} at http://127.0.0.1:"), line + process.stderr.read()
        url = line.split(" at ", 1)[1].split()[0]
        status, page, _ = _get(url)
        assert status == 200 and "checkout-failed" in page
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_the_serve_command_reports_a_port_in_use(traces):
    with running(open_source(str(traces))) as url:
        port = urllib.parse.urlsplit(url).port
        result = subprocess.run(
            [*CLI, "serve", "--port", str(port), "--source", str(traces)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
