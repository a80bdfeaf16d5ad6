"""The replay page as text: embedded data, escaping, the no-JavaScript list, and no network."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import pytest

from agentops_otel.model import build_session, from_readable_span
from agentops_otel.replay.html import page_data, render_html, write_html
from tests._sources_shapes import session_spans

PAYLOAD = '</script><script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=1"><!--'


def _session(**kwargs):
    return build_session([from_readable_span(s) for s in session_spans(**kwargs)])


def _embedded(page: str) -> str:
    match = re.search(r'<script type="application/json" id="session-data">(.*?)</script>', page, re.S)
    assert match, "the data block is missing or was closed early"
    return match.group(1)


def test_the_embedded_json_is_the_session_data_and_cannot_close_its_script_tag():
    session = _session(prompt=PAYLOAD, tool_output="a & b > c \u2028 line")
    page = render_html(session, backend_url="http://127.0.0.1:16686/trace/abc")
    block = _embedded(page)
    assert "<" not in block and ">" not in block and "&" not in block
    expected = json.loads(json.dumps(page_data(session, "http://127.0.0.1:16686/trace/abc")))
    assert json.loads(block) == expected
    assert expected["steps"][0]["params"][0]["parts"][0]["content"] == PAYLOAD
    assert page.count("<script") == 2  # the data block and our own script, nothing injected


def test_the_no_javascript_list_escapes_every_step():
    page = render_html(_session(prompt=PAYLOAD, tool_name=PAYLOAD))
    fallback = page.split('<div id="fallback">', 1)[1].split('<script type="application/json"', 1)[0]
    assert "<img" not in fallback and "<script" not in fallback
    assert fallback.count("<li") == 3
    assert html.escape(PAYLOAD) in fallback
    assert html.escape("ValueError: customer_id cannot be None") in fallback
    assert "caused the failure" in fallback


def test_the_page_loads_nothing_from_anywhere_and_only_runs_its_own_script():
    page = render_html(_session())
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp


def test_values_json_cannot_carry_are_written_as_text(tmp_path):
    spans = session_spans()
    records = [from_readable_span(s) for s in spans]
    odd = records[1].__class__(
        **{
            **{f: getattr(records[1], f) for f in records[1].__slots__},
            "attributes": {**records[1].attributes, "ratio": float("nan")},
        }
    )
    session = build_session([records[0], odd, *records[2:]])
    data = json.loads(_embedded(render_html(session)))
    assert any(step["attributes"].get("ratio") == "nan" for step in data["steps"])
    path = write_html(session, tmp_path / "deep" / "replay.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("name", ["{{data}}", "{{script}}"])
def test_placeholder_text_in_the_data_is_not_expanded(name):
    page = render_html(_session(prompt=name))
    assert page.count("window.addEventListener") == 2  # the script appears once
    assert name in json.loads(_embedded(page))["steps"][0]["params"][0]["parts"][0]["content"]
