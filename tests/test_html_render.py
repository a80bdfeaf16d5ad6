"""The replay page as text: the embedded data (compact, deduplicated, packed when big), escaping, the
page without JavaScript, and no network."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import zlib

import pytest

from agentops_otel.model import build_session, from_readable_span
from agentops_otel.replay import html as replay_html
from agentops_otel.replay._traceback import fold_traceback
from agentops_otel.replay.html import page_data, render_html, write_html
from tests._replay_sessions import TRACEBACK, agent_session, many_steps
from tests._sources_shapes import session_spans

PAYLOAD = '</script><script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=1"><!--'


def _session(**kwargs):
    return build_session([from_readable_span(s) for s in session_spans(**kwargs)])


def _embedded(page: str) -> str:
    match = re.search(r'<script type="application/json" id="session-data">(.*?)</script>', page, re.S)
    assert match, "the data block is missing or was closed early"
    return match.group(1)


def _data(page: str) -> dict:
    """The page's data as its script sees it, packed parts inflated."""
    data = json.loads(_embedded(page))
    if "packed" in data:
        data.update(steps={}, values=[])
        for packed in data.pop("packed")["parts"]:
            part = json.loads(zlib.decompress(base64.b64decode(packed)))
            data["steps"].update(part.get("steps", {}))
            data["values"] += part.get("values", [])
            data.update({"shapes": part["shapes"]} if "shapes" in part else {})
    return data


def _content(data: dict, ref):
    values = data["values"]
    return values[ref] if isinstance(ref, int) else [values[r] for r in ref]


def _fallback(page: str) -> str:
    return "".join(re.findall(r"<noscript>(.*?)</noscript>", page, re.S))


def test_the_embedded_json_is_the_session_data_and_cannot_close_its_script_tag():
    session = _session(prompt=PAYLOAD, tool_output="a & b > c \u2028 line")
    page = render_html(session, backend_url="http://127.0.0.1:16686/trace/abc")
    block = _embedded(page)
    assert "<" not in block and ">" not in block and "&" not in block
    expected = json.loads(json.dumps(page_data(session, "http://127.0.0.1:16686/trace/abc")))
    assert json.loads(block) == expected
    first_input = _content(expected, expected["steps"]["input"][0])
    assert first_input[0]["parts"][0]["content"] == PAYLOAD
    assert page.count("<script") == 2  # the data block and our own script, nothing injected


def test_a_chat_history_sent_again_with_every_call_is_stored_once():
    from tests._replay_sessions import Builder, _text

    b = Builder()
    root = b.root(1000, "Success")
    history = [_text("system", "be brief")]
    for turn in range(30):
        history.append(_text("user", f"question {turn}"))
        b.llm(root, 10 + turn * 20, 20 + turn * 20, history, [_text("assistant", f"answer {turn}")])
        history.append(_text("assistant", f"answer {turn}"))
    data = page_data(b.session())
    stored = [v for v in data["values"] if isinstance(v, dict) and "role" in v]
    assert len(stored) == 1 + 30 + 30  # system, each question, each answer: once each
    last = _content(data, data["steps"]["input"][-1])
    assert last == history[:-1]


def test_a_big_session_is_packed_and_unpacks_to_the_same_data():
    session = many_steps(3_000)
    page = render_html(session)
    block = json.loads(_embedded(page))
    assert set(block) == {"v", "session", "backend_url", "packed"} and block["packed"]["encoding"] == "deflate"
    assert len(block["packed"]["parts"]) > 2  # read one part per task
    assert _data(page) == json.loads(json.dumps(page_data(session)))
    assert len(_embedded(page)) < len(json.dumps(page_data(session))) / 4


def test_the_no_javascript_page_has_every_step_with_input_output_nesting_and_error():
    session = agent_session()
    fallback = _fallback(render_html(session))
    for number, step in enumerate(session.steps, start=1):
        assert f'id="step-{number}"' in fallback
        assert html.escape(step.name, quote=False) in fallback
    assert "I was charged twice for order A-1003!" in fallback  # an LLM input
    assert "Let me check the customer." in fallback  # an LLM output
    assert html.escape('{"order_id": "A-1003", "customer_id": null, "total": 99.0}', quote=False) in fallback
    assert "2 earlier messages, sent in" in fallback  # the history is not repeated
    assert 'style="--d:2"' in fallback  # the action sits two levels down
    assert "ValueError: customer_id cannot be None" in fallback and "caused the failure" in fallback
    assert "2 frames inside agentops-otel\u2019s wrappers" in fallback
    assert "Caused by step 6 (action fetch_customer_data)" in fallback
    assert "support-bot" in fallback and "billing" in fallback  # service and tags


def test_the_no_javascript_list_escapes_every_step():
    page = render_html(_session(prompt=PAYLOAD, tool_name=PAYLOAD))
    fallback = _fallback(page)
    assert "<img" not in fallback and "<script" not in fallback
    assert fallback.count('class="s ') == 3
    assert html.escape(PAYLOAD, quote=False) in fallback
    assert "</noscript" not in fallback


def test_a_long_session_keeps_every_step_line_and_the_failure_without_javascript(monkeypatch):
    from agentops_otel.replay import _fallback as fallback_module

    monkeypatch.setattr(fallback_module, "CONTENT_BUDGET", 2_000)
    session = many_steps(400)
    fallback = _fallback(render_html(session))
    assert fallback.count('class="s ') == 401
    assert "inputs and outputs are shown with JavaScript only" in fallback
    failing = fallback.split('id="step-401"', 1)[1]
    assert "customer_id" in failing and "caused the failure" in failing  # the failing step keeps its content
    assert fallback.count("<noscript>") == fallback.count("</noscript>")


def test_past_the_step_budget_the_plain_list_keeps_the_failing_step_and_says_what_it_left_out(monkeypatch):
    from agentops_otel.replay import _fallback as fallback_module

    monkeypatch.setattr(fallback_module, "STEP_BUDGET", 150)
    fallback = _fallback(render_html(many_steps(400)))
    assert fallback.count('class="s ') == 151  # the first 150 in tree order, and the failing step
    assert 'id="step-150"' in fallback and 'id="step-151"' not in fallback
    assert "caused the failure" in fallback.split('id="step-401"', 1)[1]
    assert "The last 250 of 401 steps are listed with JavaScript only" in fallback


@pytest.mark.parametrize(
    ("end_state", "reason", "note"),
    [
        ("Fail", "timed out", "No step to jump to. Ended Fail by the application: timed out."),
        ("Success", None, "Nothing failed: the session succeeded."),
        (None, None, "Still running: no step has failed so far."),
        ("Indeterminate", "exit", "No step failed; the session ended Indeterminate (exit)."),
    ],
)
def test_the_header_explains_when_there_is_no_failing_step(end_state, reason, note):
    session = agent_session(end_state=end_state, reason=reason, fail=False)
    page = render_html(session)
    assert _data(page)["session"]["failure_note"] == note
    assert html.escape(note, quote=False) in _fallback(page)


def test_the_page_loads_nothing_from_anywhere_and_only_runs_its_own_script():
    page = render_html(_session())
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert page.index('name="agentops-replay"') < 1024  # where _links looks for the fingerprint


def test_values_json_cannot_carry_are_written_as_text(tmp_path):
    records = [from_readable_span(s) for s in session_spans()]
    odd = records[1].__class__(
        **{
            **{f: getattr(records[1], f) for f in records[1].__slots__},
            "attributes": {**records[1].attributes, "ratio": float("nan")},
        }
    )
    session = build_session([records[0], odd, *records[2:]])
    assert "nan" in _data(render_html(session))["values"]
    path = write_html(session, tmp_path / "deep" / "replay.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("name", ["{{data}}", "{{script}}", "{{nav}}", "{{fallback}}"])
def test_placeholder_text_in_the_data_is_not_expanded(name):
    page = render_html(_session(prompt=name), nav=[("Sessions", "/")])
    assert page.count("function fail(") == 1  # the script appears once
    assert page.count('<nav id="page-nav">') == 1
    data = _data(page)
    assert _content(data, data["steps"]["input"][0])[0]["parts"][0]["content"] == name


def test_our_own_wrapper_frames_are_told_apart_in_a_traceback():
    pieces = fold_traceback(TRACEBACK)
    assert "".join(str(text) for text, _ in pieces) == TRACEBACK
    ours = [str(text) for text, mine in pieces if mine]
    assert len(ours) == 1 and "_decorators.py" in ours[0] and "wrapt/wrappers.py" in ours[0]
    assert "bot/tools.py" in "".join(str(text) for text, mine in pieces if not mine)
    chained = (
        TRACEBACK
        + "\nDuring handling of the above exception, another exception occurred:\n\n"
        + "Traceback (most recent call last):\n"
        + '  File "C:\\app\\agentops_otel\\instrumentation\\openai\\_chat.py", line 9, in create\n'
        + "    return wrapped(*args)\n"
        + "  + Exception Group Traceback (most recent call last):\n"
        + '  |   File "/app/agent.py", line 3, in run\n'
        + "  |     raise ExceptionGroup('x', [ValueError()])\n"
        + "RuntimeError: gave up\n"
    )
    pieces = fold_traceback(chained)
    assert "".join(str(text) for text, _ in pieces) == chained
    assert [mine for _, mine in pieces].count(True) == 2
    assert any(mine and "_chat.py" in str(text) for text, mine in pieces)
    assert not any(mine and "agent.py" in str(text) for text, mine in pieces)


def test_the_viewer_can_cache_the_page_in_two_halves_around_its_links():
    session = agent_session()
    head, rest = replay_html.render_parts(session)
    page = render_html(session, nav=[("\u2190 Sessions", "/?q=<x>"), ("Newer", "/sessions/a")])
    assert page == head + replay_html.nav_html([("\u2190 Sessions", "/?q=<x>"), ("Newer", "/sessions/a")]) + rest
    assert '<a href="/?q=&lt;x&gt;">' in page
