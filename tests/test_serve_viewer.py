"""The local viewer: a real HTTP server on 127.0.0.1 that lists, searches, sorts, pages, charts and
compares sessions from a store, an OTLP file, Jaeger and Tempo, and serves their replays."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from agentops_otel import semconv as sc
from agentops_otel.cli import main
from agentops_otel.sources import open_source
from agentops_otel.store import LocalStore
from agentops_otel.viewer import make_server
from tests._replay_sessions import fleet, otlp_document
from tests._sources_shapes import jaeger_response, jaeger_trace, otlp_dict, serve_json, session_spans

CLI = [sys.executable, "-c", "from agentops_otel.cli import main; main()"]
PAYLOAD = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=1">'
FLEET = ["run-g", "run-f", "run-e", "run-d", "run-c", "run-b", "run-a"]  # newest first


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    """The fleet (all ended) and a session with a hostile id, as an OTLP JSON lines file."""
    path = tmp_path_factory.mktemp("serve") / "traces.jsonl"
    docs = [otlp_document(records) for records in fleet(running=False)]
    docs.append(otlp_dict(session_spans(PAYLOAD, service="evil", tool_name=PAYLOAD)))
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The fleet in a local store, run-g still running."""
    path = tmp_path_factory.mktemp("serve") / "traces.db"
    with LocalStore(path) as opened:
        for records in fleet():
            opened.write(records)
    return path


@contextmanager
def running(source):
    server = make_server(source, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server.url, server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def _ids(url: str) -> list[str]:
    status, body, _ = _get(url)
    assert status == 200, body
    return [s["session_id"] for s in json.loads(body)]


def _rows(page: str) -> int:
    return page.count('<input type="checkbox" name="pick"')


# Sources shaped as Jaeger's and Tempo's query APIs answer --------------------------------------------


def _jaeger(traces):
    by_service, by_id = defaultdict(list), {}
    for records in traces:
        trace = jaeger_trace(records)
        by_service[records[0].resource[sc.SERVICE_NAME]].append(trace)
        by_id[records[0].trace_id] = trace

    def route(path, query):
        if path == "/api/services":
            return 200, {"data": sorted(by_service)}
        if path == "/api/traces":
            return 200, jaeger_response(by_service.get(query["service"][0], []))
        found = by_id.get(path.rsplit("/", 1)[-1])
        return (200, jaeger_response([found])) if found else (404, {"data": None, "errors": [{"code": 404}]})

    return route


def _tempo(traces):
    by_id = {records[0].trace_id: {"trace": otlp_document(records)} for records in traces}

    def route(path, query):
        if path == "/api/search":
            return 200, {"traces": [{"traceID": trace_id} for trace_id in by_id]}
        found = by_id.get(path.rsplit("/", 1)[-1]) if path.startswith("/api/v2/traces/") else None
        return (200, found) if found else (404, "")

    return route


@contextmanager
def source_spec(kind, store, traces):
    if kind == "store":
        yield f"store:{store}"
    elif kind == "file":
        yield f"file:{traces}"
    else:
        route = (_jaeger if kind == "jaeger" else _tempo)(fleet(running=False))
        with serve_json(route) as (url, _):
            yield f"{kind}:{url}"


# The list --------------------------------------------------------------------------------------------


def test_the_list_shows_every_session_escaped_with_links_to_replays(traces):
    with running(open_source(str(traces))) as (url, _):
        status, page, headers = _get(url)
    assert status == 200
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert _rows(page) == 8
    assert '<a href="/sessions/run-a">ticket run-a</a>' in page
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert f'href="/sessions/{urllib.parse.quote(PAYLOAD, safe="")}"' in page
    assert '<option value="open">open</option>' in page  # the status filter offers running sessions


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=Fail&service=shop", {"run-a"}),
        ("status=fail", {"run-a", "run-d", PAYLOAD}),
        ("tag=prod,billing&service=support", {"run-c"}),
        ("tag=nope", set()),
        ("since=2020-01-01&service=support", {"run-c", "run-d", "run-f"}),
    ],
)
def test_filters_by_status_tag_service_and_time(traces, query, expected):
    with running(open_source(str(traces))) as (url, _):
        page_status, page, _ = _get(f"{url}?{query}")
        assert set(_ids(f"{url}api/sessions?{query}")) == expected
    assert page_status == 200 and _rows(page) == len(expected)


def test_an_end_state_of_any_spelling_is_shown_as_text_with_a_fixed_class(tmp_path):
    from tests._replay_sessions import agent_session

    path = tmp_path / "odd.jsonl"
    odd = agent_session("odd-1", end_state="Fail now <b>", reason="<i>why</i>")
    path.write_text(json.dumps(otlp_document(list(odd.spans))) + "\n")
    with running(open_source(str(path))) as (url, _):
        page = _get(url)[1]
        status, replay, _ = _get(url + "sessions/odd-1")
    assert '<span class="state st-other" title="&lt;i&gt;why&lt;/i&gt;">Fail now &lt;b&gt;</span>' in page
    assert status == 200 and "Fail now &lt;b&gt;" in replay and "<b>Fail" not in replay


def test_running_sessions_are_listed_and_filtered_as_open(store):
    with running(open_source(str(store))) as (url, _):
        assert _ids(f"{url}api/sessions?status=open") == ["run-g"]
        page = _get(f"{url}?status=open")[1]
    assert '<option value="open" selected>open</option>' in page and "running" in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("sort=cost&order=desc", ["run-d", "run-b", "run-a", "run-e", "run-c", "run-g", "run-f"]),  # unpriced last
        ("sort=cost&order=asc", ["run-g", "run-c", "run-e", "run-a", "run-b", "run-d", "run-f"]),
        ("sort=duration&order=desc", ["run-d", "run-a", "run-e", "run-b", "run-c", "run-f", "run-g"]),  # running last
        ("sort=steps&order=desc", ["run-d", "run-b", "run-a", "run-g", "run-f", "run-e", "run-c"]),
        ("sort=tokens&order=asc", ["run-g", "run-f", "run-e", "run-c", "run-a", "run-b", "run-d"]),
        ("sort=name&order=asc", sorted(FLEET)),
        ("sort=status&order=asc", ["run-d", "run-a", "run-e", "run-g", "run-f", "run-c", "run-b"]),
        ("sort=start", FLEET),
    ],
)
def test_every_column_sorts_and_sessions_without_the_figure_come_last(store, sort, expected):
    with running(open_source(str(store))) as (url, _):
        assert _ids(f"{url}api/sessions?{sort}") == expected
        page = _get(f"{url}?{sort}")[1]
    order = re.findall(r'<a href="/sessions/(run-\w)(?:\?[^"]*)?">ticket', page)
    assert order == expected  # the page in the same order, each link carrying the list's query
    assert 'aria-sort="' in page


def test_pages_of_any_size_cover_every_session_once(store):
    with running(open_source(str(store))) as (url, _):
        pages = [_ids(f"{url}api/sessions?per=3&page={n}") for n in (1, 2, 3)]
        html = _get(f"{url}?per=3&page=2")[1]
        last = _get(f"{url}?per=3&page=99")[1]  # past the end: the last page
    assert pages == [FLEET[:3], FLEET[3:6], FLEET[6:]]
    assert "page 2 of 3" in html and 'rel="prev"' in html and 'rel="next"' in html
    assert "page 3 of 3" in last and _rows(last) == 1


@pytest.mark.parametrize(
    ("q", "found", "where"),
    [
        ("run-c", ["run-c"], "id"),
        ("TICKET RUN-B", ["run-b"], "name"),
        ("staging", ["run-d"], "tag"),
        ("duplicate charge", ["run-d"], "step 4 (lookup)"),  # inside a tool's output
        ("help run-e #0", ["run-e"], "step 1 (gpt-4o-mini)"),  # inside an LLM's input
        ("customer_id", ["run-d", "run-a"], None),  # the failing steps' arguments
    ],
)
def test_search_finds_sessions_by_id_prefix_name_tag_and_text_inside_steps(store, q, found, where):
    with running(open_source(str(store))) as (url, _):
        status, body, _ = _get(f"{url}api/sessions?q={urllib.parse.quote(q)}")
        page = _get(f"{url}?q={urllib.parse.quote(q)}")[1]
    rows = json.loads(body)
    assert status == 200 and [r["session_id"] for r in rows] == found
    if where:
        assert rows[0]["match"]["where"] == where
    if where and where.startswith("step"):
        number = rows[0]["match"]["step"]
        assert f"#step-{number}" in page and q.split()[0] in rows[0]["match"]["text"]


def test_a_text_search_says_when_it_did_not_read_every_session(store):
    with running(open_source(str(store))) as (url, _):
        page = _get(f"{url}?q=duplicate+charge&scan=2")[1]
        everything = _ids(f"{url}api/sessions?q=duplicate+charge&scan=2000")
    assert "The steps of the newest 2 sessions were searched, not those of 5 older ones" in page
    assert "scan=8" in page and everything == ["run-d"]


def test_bad_filters_unknown_sessions_and_broken_sources_are_answered_as_pages(traces, tmp_path):
    list_only = ("sort=colour", "per=0", "page=first")
    with running(open_source(str(traces))) as (url, _):
        for bad in ("status=bogus", "limit=0", "limit=-3", f"limit={10**30}", "since=2h%20ago", *list_only):
            for route in ("?", "api/sessions?", "trends?", "api/trends?"):
                if route.endswith("trends?") and bad in list_only:
                    continue  # not a parameter of the trends
                status, body, _ = _get(url + route + bad)
                assert status == 400, (bad, route, body)
                reason = json.loads(body)["error"] if route.startswith("api") else body
                assert bad.split("=")[0] + " " in reason, (bad, route)
        status, body, headers = _get(url + "?status=bogus")
        assert headers["Content-Type"].startswith("text/html")
        assert "not one of Success, Fail, Indeterminate, Crashed, open" in body
        assert '<a href="/">Back to the sessions</a>' in body
        missing = _get(url + "sessions/ghost")
        assert missing[0] == 404 and "<h1>No such session</h1>" in missing[1]
        assert "no session &#x27;ghost&#x27;" in missing[1]
        nowhere = _get(url + "nothing-here")
        assert nowhere[0] == 404 and "<h1>Not found</h1>" in nowhere[1]
        assert json.loads(_get(url + "api/nothing")[1]) == {"error": "there is no page at /api/nothing"}
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"resourceSpans": [\n')
    with running(open_source(str(broken))) as (url, _):
        status, page, _ = _get(url)
    assert status == 502 and "not valid JSON" in page and "<h1>Cannot read the traces</h1>" in page


def test_a_request_for_another_host_name_is_refused(traces):
    with running(open_source(str(traces))) as (url, _):
        port = urllib.parse.urlsplit(url).port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": f"attacker.example:{port}"})
        response = conn.getresponse()
        assert response.status == 403
        conn.close()
        assert _get(url.replace("127.0.0.1", "localhost"))[0] == 200


def test_concurrent_requests_are_all_answered(traces):
    with running(open_source(str(traces))) as (url, _):
        results: list[int] = []
        paths = ["sessions/run-b", "", "trends", "diff?a=run-a&b=run-b", "?q=refund"]
        threads = [
            threading.Thread(target=lambda i=i: results.append(_get(url + paths[i % len(paths)])[0])) for i in range(15)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 15


# A session's page --------------------------------------------------------------------------------


def test_a_session_page_links_back_to_its_list_and_to_its_neighbours(store):
    with running(open_source(str(store))) as (url, _):
        status, page, _ = _get(url + "sessions/run-b?sort=cost&order=desc&per=2")
    assert status == 200
    nav = page.split('<nav id="page-nav">', 1)[1].split("</nav>", 1)[0]
    assert 'href="/?sort=cost&amp;order=desc&amp;per=2"' in nav  # back to page 1 of that order, where run-b is
    assert "Previous: ticket run-d" in nav and "/sessions/run-d?sort=cost&amp;order=desc&amp;per=2" in nav
    assert "Next: ticket run-a" in nav and 'href="/diff?a=run-b"' in nav


def test_a_rendered_page_is_kept_until_the_session_changes(tmp_path, monkeypatch):
    from agentops_otel.replay import html as replay_html
    from agentops_otel.viewer._listing import Listing

    renders = []
    real = replay_html.render_parts
    monkeypatch.setattr(replay_html, "render_parts", lambda *a, **k: renders.append(1) or real(*a, **k))
    running_records, ended_records = fleet()[-1], fleet()[0]  # run-g still running; run-a ended
    path = tmp_path / "live.db"
    with LocalStore(path) as opened:
        opened.write(running_records[:-1] + ended_records[:-1])
    source = open_source(str(path))
    reads = []
    real_session = source.session
    monkeypatch.setattr(source, "session", lambda ident: reads.append(ident) or real_session(ident))
    with running(source) as (url, server):
        server.listing = Listing(source, reuse_seconds=0)  # every request sees the store as it is
        first = _get(url + "sessions/run-g")[1]
        assert _get(url + "sessions/run-g")[1] == first and len(renders) == 1  # the same page, not rendered again
        with LocalStore(path) as opened:  # the running session records its tool call
            opened.write(running_records[-1:])
        later = _get(url + "sessions/run-g")[1]
        assert len(renders) == 2 and "<b>lookup</b>" in later and "<b>lookup</b>" not in first
        _get(url + "sessions/run-a")
        reads.clear()
        assert "<b>charge_card</b>" not in _get(url + "sessions/run-a")[1] and reads == []  # ended, unchanged: not read
        with LocalStore(path) as opened:  # a span that arrives after the end
            opened.write(ended_records[-1:])
        assert "<b>charge_card</b>" in _get(url + "sessions/run-a")[1] and reads == ["run-a"]
    assert len(renders) == 4


def test_a_ten_thousand_step_page_is_served_whole(tmp_path):
    from tests._replay_sessions import many_steps

    session = many_steps(10_000)
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(otlp_document(list(session.spans))) + "\n")
    with running(open_source(str(path))) as (url, _):
        status, page, headers = _get(url + "sessions/sess-long")
    assert status == 200 and int(headers["Content-Length"]) == len(page.encode())
    assert page.count('class="s ') == 10_001 and page.rstrip().endswith("</html>")


# Trends -----------------------------------------------------------------------------------------


def _check(spec: str, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", "--json", "--source", spec, *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _same_as_check(total: dict, check: dict) -> None:
    assert total["sessions"] == check["sessions"]
    assert [(c["metric"], c["measured"]) for c in total["checks"]] == [
        (c["metric"], c["measured"]) for c in check["checks"]
    ]


@pytest.mark.parametrize("kind", ["store", "file", "jaeger", "tempo"])
def test_trends_total_what_check_measures_on_the_same_source(kind, store, traces):
    with source_spec(kind, store, traces) as spec, running(open_source(spec)) as (url, _):
        every = json.loads(_get(url + "api/trends")[1])
        by_service = json.loads(_get(url + "api/trends?group=service")[1])
        by_tag = json.loads(_get(url + "api/trends?group=tag&bucket=1h")[1])
        page = _get(url + "trends?group=service")[1]
        (all_sessions,) = every["groups"]
        _same_as_check(all_sessions["total"], _check(spec))
        for group in by_service["groups"]:
            _same_as_check(group["total"], _check(spec, "--service", group["name"]))
        for group in by_tag["groups"]:
            if not group["name"].startswith("("):
                _same_as_check(group["total"], _check(spec, "--tag", group["name"]))
    assert {g["name"] for g in by_service["groups"]} == {"shop", "support"}  # the last 24 hours, as check
    assert by_tag["bucket_seconds"] == 3600 and len(by_tag["groups"][0]["buckets"]) >= 24
    for group in by_service["groups"]:  # the buckets add up to the window
        assert sum(b["sessions"] for b in group["buckets"]) == group["total"]["sessions"]
        assert sum(b["failed"] for b in group["buckets"]) == group["total"]["failed"]
    # The charts draw those numbers: one bar per bucket with sessions, with its value and a tooltip.
    shop = next(g for g in by_service["groups"] if g["name"] == "shop")
    rates = [b["failure_rate"] for b in shop["buckets"] if b["failure_rate"] is not None]
    section = page.split("<h2>shop</h2>", 1)[1].split("</section>", 1)[0]
    chart = re.search(r'<svg class="chart rate".*?</svg>', section, re.S).group(0)
    assert [float(v) for v in re.findall(r'data-value="([^"]+)"', chart)] == rates
    assert "of shop" in section and "failed (" in section


def test_trends_show_a_window_with_no_sessions_and_reject_a_bad_bucket(traces):
    with running(open_source(str(traces))) as (url, _):
        empty = json.loads(_get(url + "api/trends?since=2099-01-01")[1])
        status, body, _ = _get(url + "trends?bucket=fortnight")
    assert empty["sessions"] == 0 and empty["groups"] == []
    assert status == 400 and "bucket &#x27;fortnight&#x27; is not one of auto, 5m" in body


# Comparing two sessions ------------------------------------------------------------------------------


def test_the_diff_page_aligns_an_inserted_step_and_highlights_the_first_divergence(tmp_path):
    base = session_spans("run-one")
    longer = session_spans("run-two", extra_steps=2)
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(otlp_dict(s)) + "\n" for s in (base, longer)))
    with running(open_source(str(path))) as (url, _):
        status, page, _ = _get(url + "diff?pick=run-one&pick=run-two")
        by_name = _get(url + "diff?a=run-one&b=run-two")[1]
        one = _get(url + "diff?pick=run-one")
        missing = _get(url + "diff?a=run-one&b=nope")
        empty = _get(url + "diff")
    assert status == 200 and page == by_name
    marks = re.findall(r'<td class="m">(.)</td>', page)
    assert marks == ["=", "=", "+", "+", "="]  # the step after the inserted ones matches again
    first = page.split('id="first"', 1)[1].split("</tr>", 1)[0]
    assert "step_0" in first and 'href="#first"' in page
    assert "First divergence at step 3: extra step in B: action &#x27;step_0&#x27;" in page
    assert 'href="/sessions/run-two#step-3"' in page
    assert one[0] == 400 and "tick exactly two sessions to compare, not 1" in one[1]
    assert missing[0] == 404 and "no session &#x27;nope&#x27;" in missing[1] and 'href="/diff"' in missing[1]
    assert empty[0] == 200 and "Give two sessions" in empty[1]


# The command --------------------------------------------------------------------------------------


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
        assert status == 200 and "ticket run-a" in page
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_serve_open_without_a_browser_says_so(traces):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--open", "--source", str(traces)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "BROWSER": "false", "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = process.stdout.readline().split(" at ", 1)[1].split()[0]
        assert process.stderr.readline() == f"could not start a browser: open {url} yourself\n"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_the_serve_command_reports_a_port_in_use(traces):
    with running(open_source(str(traces))) as (url, _):
        port = urllib.parse.urlsplit(url).port
        result = subprocess.run(
            [*CLI, "serve", "--port", str(port), "--source", str(traces)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")


# In the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from tests._browser import open_browser

    with open_browser() as b:
        yield b


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 1024])
def test_the_console_in_a_browser_at_laptop_widths(store, width, browser):
    from tests._browser import guarded_page

    with running(open_source(str(store))) as (url, _):
        with guarded_page(browser, viewport={"width": width, "height": 800}) as (page, guard):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            table = page.locator("table.sessions")
            assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")  # nothing cut off
            tags = page.locator(".tag")
            assert all(
                tags.nth(i).bounding_box()["x"] + tags.nth(i).bounding_box()["width"] <= width
                for i in range(tags.count())
            )
            page.click("th >> text=Cost")
            assert "sort=cost" in page.url and page.locator("td.name a").first.inner_text() == "ticket run-d"
            page.click("th >> text=Cost")  # again: the other way round, unpriced still last
            names = [page.locator("td.name a").nth(i).inner_text() for i in range(7)]
            assert names[0] == "ticket run-g" and names[-1] == "ticket run-f"
            page.fill("input[name=q]", "duplicate charge")
            page.click("text=Show")
            assert page.locator("td.name a").all_inner_texts() == ["ticket run-d"]
            page.click("td.match a")  # the step the search found, in the replay
            page.wait_for_selector("body[data-ready=true]")
            assert page.inner_text("#position") == "Step 4 of 5"
            page.click("#page-nav >> text=Sessions")
            assert page.locator("input[name=q]").input_value() == "duplicate charge"
            page.goto(url)
            page.check("input[value=run-a]")
            page.check("input[value=run-b]")
            page.click("text=Compare two selected")
            assert page.locator("tr.first").count() == 1 and "First divergence at step" in page.inner_text("main")
            page.goto(url + "trends?group=service")
            assert page.locator("section.group").count() == 2
            bar = page.locator("section.group").first.locator("svg.rate rect").first
            assert "failed (" in bar.locator("title").text_content()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert guard.blocked == [] and guard.errors == []


@pytest.mark.browser
def test_the_session_list_on_a_phone_is_cards_that_sort_from_the_form(store, browser):
    from tests._browser import guarded_page

    with running(open_source(str(store))) as (url, _):
        with guarded_page(browser, viewport={"width": 390, "height": 800}) as (page, guard):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert page.locator("tr.head").is_hidden()
            for element in page.locator("td.name a, .tag, td.num").all():
                box = element.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, element.inner_text()
            page.select_option("select[name=sort]", "cost")
            page.select_option("select[name=order]", "asc")
            page.click("text=Show")
            assert page.locator("td.name a").first.inner_text() == "ticket run-g"
        assert guard.blocked == [] and guard.errors == []
