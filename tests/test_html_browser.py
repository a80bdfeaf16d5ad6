"""The replay page in real headless Chromium: scrubbing, deep links, the failing step, injection, scale."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from agentops_otel.model import build_session, from_readable_span
from agentops_otel.replay.html import write_html
from tests._browser import guarded_page, open_browser
from tests._replay_sessions import agent_session, many_steps
from tests._sources_shapes import session_spans

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=1</script>",
]


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:
        yield b


@pytest.fixture
def page_of(browser, tmp_path):
    """Open a session's replay page; afterwards nothing left 127.0.0.1 and no script error happened."""
    opened = []

    def open_page(session, fragment: str = "", init_script: str | None = None, **context_options):
        path = write_html(session, tmp_path / f"replay{len(opened)}.html")
        manager = guarded_page(browser, **context_options)
        page, guard = manager.__enter__()
        opened.append((manager, guard))
        if init_script:
            page.add_init_script(init_script)
        page.goto(path.as_uri() + fragment)
        if context_options.get("java_script_enabled", True) and not init_script:
            page.wait_for_selector("body[data-ready=true]")
        return page

    yield open_page
    for manager, guard in opened:
        manager.__exit__(None, None, None)
        assert guard.blocked == []
        assert guard.errors == []


def _session(**kwargs):
    return build_session([from_readable_span(s) for s in session_spans(**kwargs)])


def _detail(page) -> str:
    return page.inner_text("#detail")


def _view(page) -> tuple[int, int]:
    return int(page.get_attribute("#waterfall", "data-view-from")), int(
        page.get_attribute("#waterfall", "data-view-to")
    )


def test_the_header_shows_the_session_and_its_end_state_with_the_reason(page_of):
    page = page_of(_session())
    assert page.inner_text("#session-id") == "sess-checkout-1"
    assert page.inner_text("#status") == "Fail"
    facts = page.inner_text("#facts")
    for expected in ("Duration", "4.20 s", "$0.00006", "12 / 3", "LLM calls", "support-bot", "prod", "billing"):
        assert expected in facts
    assert page.inner_text("#failure-note").startswith("Caused by step 3 (action fetch_customer_data)")
    assert page.inner_text("#position") == "Step 1 of 3"
    page = page_of(agent_session())
    assert page.inner_text("#status") == "Fail"
    assert page.inner_text("#state-reason") == "ValueError: customer_id cannot be None"


def test_an_end_state_with_a_reason_but_no_failing_step_explains_jump_to_failure(page_of):
    page = page_of(agent_session(end_state="Fail", reason="the user gave up", fail=False))
    assert page.inner_text("#state-reason") == "the user gave up"
    assert page.locator("#jump-failure").is_disabled()
    assert page.inner_text("#failure-note") == "No step to jump to. Ended Fail by the application: the user gave up."


def test_handled_errors_read_handled_and_the_cause_chain_is_one_click_from_each_step(page_of):
    import agentops_otel as agentops
    from tests._capture import ensure_pipeline
    from tests.test_failure_attribution import billing, researcher

    ensure_pipeline()
    try:
        with agentops.session("refund") as handle:
            researcher("refunds")
            billing(42)
    except RuntimeError:
        pass
    page = page_of(handle.get())
    assert page.locator(".row .handled-badge").all_inner_texts() == ["handled"]
    assert page.locator(".row .cause-badge").all_inner_texts() == ["cause"]
    page.click("#why summary")
    page.click("#why-chain a")
    assert "charge" in page.inner_text("#detail h2")


def test_an_unpriced_llm_call_shows_cost_unknown_not_zero(page_of):
    page = page_of(_session(priced=False), "#step-1")
    assert "Cost\nunknown\n" in page.inner_text("#facts")
    assert page.inner_text("#detail .meta").endswith("Cost\nunknown")


def test_a_session_still_running_with_no_steps_yet(page_of):
    from agentops_otel.model import SpanRecord

    root = SpanRecord("ab" * 16, "cd" * 8, None, "session warmup", start_ns=1_767_225_600_000_000_000, end_ns=None)
    page = page_of(build_session([root]))
    assert page.inner_text("#status") == "open"
    assert "running" in page.inner_text("#facts")
    assert page.inner_text("#detail") == "No steps recorded."
    assert page.locator("#jump-failure").is_disabled()
    assert page.inner_text("#failure-note") == "Still running: no step has failed so far."


def test_the_slider_and_arrow_keys_scrub_through_steps_in_time_order(page_of):
    page = page_of(_session(prompt="Where is my refund?", tool_output="refund sent"))
    assert "Where is my refund?" in _detail(page)  # the LLM call's prompt, as a transcript
    assert "assistant" in _detail(page).lower()
    page.focus("#slider")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#position") == "Step 2 of 3"
    detail = _detail(page)
    assert "tool · lookup" in detail and "refund sent" in detail
    page.click("#viewport")  # arrows work anywhere outside text fields too
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#position") == "Step 3 of 3"
    expect(page).to_have_url(re.compile(r"#step-3$"))  # the address follows once the cursor rests
    page.keyboard.press("ArrowRight")  # stays on the last step
    assert page.inner_text("#position") == "Step 3 of 3"
    page.keyboard.press("ArrowLeft")
    assert "Step 2 ·" in _detail(page)
    assert page.inner_text(".row.current .name") == "lookup"


def test_rows_say_what_each_step_did_and_the_detail_speaks_plainly(page_of):
    page = page_of(agent_session(), "#step-4")
    row = page.locator(".row[data-index='3']")
    assert row.locator(".preview").inner_text().startswith("result {")  # input -> output, one line
    assert "\u2192 Let me check the customer." in row.locator(".preview").inner_text()
    assert (row.locator(".c-dur").inner_text(), row.locator(".c-tok").inner_text()) == ("900 ms", "120/8")
    assert row.locator(".c-cost").inner_text() == "$0.0000228"
    assert row.locator("svg.icon.k-llm").count() == 1
    detail = _detail(page)
    assert "Status\nok" in detail and "UNSET" not in detail
    assert "2 earlier messages, sent in step 2 too" in detail  # the history folds away
    # The tool result inside the transcript is JSON text in a string: shown as a tree.
    result = page.locator("#detail .msg.r-tool .tree").first
    assert "JSON text" in result.inner_text() and "customer_id: null" in result.inner_text()
    page.click("#jump-failure")
    assert "Status\nerror" in _detail(page)
    trace = page.locator("#detail .traceback")
    assert 'File "/srv/app/bot/tools.py", line 57' in trace.inner_text()
    assert "_decorators.py" not in trace.inner_text()  # our wrappers are folded away...
    page.click("#detail .traceback details.ours summary")
    assert "_decorators.py" in trace.inner_text()  # ...until asked for


def test_copy_buttons_copy_the_input_and_the_session_id(page_of):
    page = page_of(agent_session(), "#step-3", permissions=["clipboard-read", "clipboard-write"])
    page.click("#detail h3:has-text('Input') .copy")
    expect(page.locator("#detail h3:has-text('Input') .copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == '{\n  "order_id": "A-1003"\n}'
    page.click("#copy-id")
    assert page.evaluate("navigator.clipboard.readText()") == "sess-agent-1"


def test_a_step_link_opens_that_step_and_jump_to_failure_finds_the_cause(page_of):
    page = page_of(_session(), "#step-2")
    assert page.inner_text("#position") == "Step 2 of 3"
    page.click("#jump-failure")
    detail = _detail(page)
    assert "Step 3 · action · fetch_customer_data" in detail
    assert "caused the failure" in detail
    assert "ValueError: customer_id cannot be None" in detail
    assert 'File "bot.py", line 3' in page.inner_text("#detail .error-box pre")
    assert page.locator(".row.failed").count() == 1
    assert page.locator(".row.cause .cause-badge").count() == 1
    page.evaluate("location.hash = '#step-1'")
    expect(page.locator("#position")).to_have_text("Step 1 of 3")


def test_zoom_pan_and_fit_change_the_visible_time_range(page_of):
    page = page_of(agent_session())
    total = 9_700_000_000
    assert _view(page) == (0, total) and page.inner_text("#range") == "all of 9.70 s"
    page.click("#viewport")
    page.keyboard.press("+")
    start, end = _view(page)
    assert end - start == total // 2
    assert page.inner_text("#range").endswith("of 9.70 s") and "all" not in page.inner_text("#range")
    page.keyboard.press("Shift+ArrowRight")
    assert _view(page)[0] > start
    page.keyboard.press("0")
    assert _view(page) == (0, total)
    page.click(".row[data-index='5']")  # the failing action: 2.7 s to 2.8 s
    page.click("#fit-step")
    start, end = _view(page)
    assert 2_690_000_000 <= start <= 2_700_000_000 and 2_800_000_000 <= end <= 2_810_000_000
    bar = page.locator(".row[data-index='5'] .bar").bounding_box()
    track = page.locator(".row[data-index='5'] .track").bounding_box()
    assert bar["width"] > track["width"] * 0.8  # the bar fills the view
    assert page.locator(".row[data-index='6'] .bar.off").count() == 1  # a step outside the view
    page.click("#fit-all")
    axis = page.locator("#ticks").bounding_box()
    page.mouse.move(axis["x"] + axis["width"] / 2, axis["y"] + axis["height"] / 2)
    page.mouse.wheel(0, -400)  # the wheel over the axis zooms around the pointer
    start, end = _view(page)
    assert end - start < total and start > 0 and end < total
    labels = page.locator("#tick-labels span")
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert len(boxes) >= 2 and all(a["x"] + a["width"] <= b["x"] for a, b in itertools.pairwise(boxes))


def test_dragging_the_axis_zooms_to_the_range_and_dragging_bars_pans(page_of):
    page = page_of(agent_session())
    axis = page.locator("#ticks").bounding_box()
    y = axis["y"] + axis["height"] / 2
    page.mouse.move(axis["x"] + axis["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(axis["x"] + axis["width"] * 0.4, y, steps=4)
    page.mouse.up()
    start, end = _view(page)
    assert abs(start - 1_940_000_000) < 60_000_000 and abs(end - 3_880_000_000) < 60_000_000
    track = page.locator(".row[data-index='0'] .track").bounding_box()
    page.mouse.move(track["x"] + track["width"] * 0.6, track["y"] + 5)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.1, track["y"] + 5, steps=4)
    page.mouse.up()
    moved_start, moved_end = _view(page)
    assert moved_start > start and moved_end - moved_start == end - start
    assert page.inner_text("#position") == "Step 1 of 7"  # a drag is not a click


def test_the_minimap_shows_the_whole_session_and_a_click_moves_the_view_there(page_of):
    page = page_of(agent_session())
    page.click("#zoom-in")
    page.click("#zoom-in")  # a quarter of the session in view
    width = _view(page)[1] - _view(page)[0]
    box = page.locator("#minimap").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + box["height"] / 2)
    start, end = _view(page)
    assert end - start == width
    assert abs((start + end) / 2 - 0.85 * 9_700_000_000) < 0.02 * 9_700_000_000
    marked = page.evaluate(
        """() => { const c = document.getElementById('minimap'), g = c.getContext('2d');
                   const x = Math.round(2_700_000_000 / 9_700_000_000 * c.width);
                   const [r, gr, b] = g.getImageData(x, 1, 1, 1).data; return r > 150 && gr < 80 && b < 80; }"""
    )
    assert marked  # the failure is marked in red at its time


def test_collapsing_a_step_hides_what_it_holds(page_of):
    page = page_of(agent_session())
    assert page.locator(".row").count() == 7
    page.click(".row[data-index='4'] .toggle")  # billing: holds the failing action
    assert page.locator(".row").count() == 6
    assert page.locator(".row[data-index='5']").count() == 0
    assert page.inner_text(".row[data-index='4'] .folded") == "+1"
    page.click(".row[data-index='0'] .toggle")  # planner: holds five steps
    assert [page.inner_text(f".row >> nth={i} >> .name") for i in range(2)] == ["planner", "gpt-4o-mini"]
    assert page.inner_text("#match-count") == "5 steps folded"
    page.click("#jump-failure")  # opens the folds around the failing step
    assert page.locator(".row").count() == 7 and page.inner_text("#position") == "Step 6 of 7"
    page.click("#collapse-all")
    assert page.locator(".row").count() == 2
    page.click("#expand-all")
    assert page.locator(".row").count() == 7
    guides = page.locator(".row[data-index='5'] .guides .g")
    assert guides.count() == 2  # two levels of tree lines beside the failing action


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injected_markup_in_prompts_names_and_tool_output_stays_text(page_of, payload):
    session = _session(prompt=payload, tool_output=payload, tool_name=payload)
    page = page_of(session, "#step-2")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#detail img, #rows img, #detail script").count() == 0
    assert payload in _detail(page)
    assert payload in page.inner_text("#rows")
    page.fill("#search", "pwned")
    assert page.inner_text("#match-count") == "2 of 3 steps"
    no_js = page_of(session, java_script_enabled=False)
    assert payload in no_js.inner_text("body")
    assert no_js.locator("img").count() == 0


@pytest.mark.parametrize(
    ("end_state", "step_name"),
    [
        ("Fail now", "constructor"),
        ('<b>x</b> & "y"', "__proto__"),
        ("__proto__", "<img src=x onerror=window.__pwned=1>"),
    ],
)
def test_hostile_end_states_and_step_names_still_show_every_step(page_of, end_state, step_name):
    session = agent_session(end_state=end_state, reason=end_state, name=end_state, step_name=step_name)
    page = page_of(session, "#step-6")
    assert page.locator(".row").count() == 7
    assert page.inner_text("#status") == end_state
    assert page.inner_text(".row.current .name") == step_name
    assert page.get_attribute("#status", "class") == "badge st-other"
    assert step_name in _detail(page) and page.evaluate("window.__pwned") is None
    no_js = page_of(session, java_script_enabled=False)
    assert no_js.locator(".steps .s").count() == 7 and step_name in no_js.inner_text("#step-6")


def test_filtering_by_text_and_kind(page_of):
    page = page_of(_session())
    page.fill("#search", "customer_id")
    assert page.inner_text("#match-count") == "1 of 3 steps"
    assert "fetch_customer_data" in _detail(page)
    page.fill("#search", "")
    page.select_option("#kind-filter", "llm")
    assert page.locator(".row").count() == 1
    assert "llm" in _detail(page)


def test_without_javascript_every_step_shows_its_input_output_nesting_and_error(page_of):
    session = agent_session()
    page = page_of(session, "#step-6", java_script_enabled=False)
    assert page.locator("#app").is_hidden()
    header = page.inner_text("#fallback header")
    assert "Fail ValueError: customer_id cannot be None" in header
    assert "Caused by step 6 (action fetch_customer_data)" in header and "support-bot" in header
    for number, step in enumerate(session.steps, start=1):
        text = page.inner_text(f"#step-{number}")
        assert step.name in text
    assert "I was charged twice for order A-1003!" in page.inner_text("#step-2")
    assert '"order_id": "A-1003"' in page.inner_text("#step-3")  # the tool's input and output
    assert '"customer_id": null' in page.inner_text("#step-3")
    lefts = [page.locator(f"#step-{n}").bounding_box()["x"] for n in (1, 5, 6)]
    assert lefts[0] < lefts[1] < lefts[2]  # nesting: agent > agent > action
    assert page.evaluate("document.querySelector(':target').id") == "step-6"
    top = page.locator("#step-6").bounding_box()["y"]
    assert 0 <= top < 800  # the link scrolled to the step
    failing = page.inner_text("#step-6")
    assert "caused the failure" in failing and 'File "/srv/app/bot/tools.py", line 57' in failing


def test_a_failing_script_shows_why_and_the_plain_list_instead_of_a_blank_page(page_of, monkeypatch):
    from agentops_otel.replay import html as replay_html

    monkeypatch.setattr(replay_html, "PACK_OVER", 0)  # pack even this small session
    page = page_of(agent_session(), init_script="delete window.DecompressionStream;")
    expect(page.locator("#script-error")).to_contain_text("script failed")
    assert page.locator("#app").is_hidden()
    assert page.locator(".steps .s").count() == 7 and "fetch_customer_data" in page.inner_text("#step-6")


def test_a_packed_page_reads_the_same(page_of, monkeypatch):
    from agentops_otel.replay import html as replay_html

    monkeypatch.setattr(replay_html, "PACK_OVER", 0)
    page = page_of(agent_session(), "#step-4")
    assert "2 earlier messages, sent in step 2 too" in _detail(page)
    assert page.locator(".row").count() == 7


@pytest.mark.parametrize("width", [375, 420])
def test_a_phone_width_stacks_the_panels_and_keeps_names_readable(page_of, width):
    page = page_of(agent_session(), "#step-6", viewport={"width": width, "height": 800})
    waterfall, detail = page.locator("#waterfall").bounding_box(), page.locator("#detail").bounding_box()
    assert detail["y"] >= waterfall["y"] + waterfall["height"] - 1  # the detail under the waterfall
    assert detail["width"] > width * 0.9
    shown = "#app header *, #toolbar *, #scrubber *, .row .name, .row .c-dur, #axis span, #detail h2, #detail .meta *"
    cut = page.evaluate(
        f"""() => Array.from(document.querySelectorAll('{shown}'))
               .filter(e => e.checkVisibility() && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
               .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""
    )
    assert cut == []  # no element narrower than its text
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    names = page.locator(".row .name")
    assert [names.nth(i).inner_text() for i in range(names.count())][:3] == ["planner", "gpt-4o-mini", "lookup_order"]
    assert page.locator(".row .name").nth(5).bounding_box()["width"] > 120


def test_ten_thousand_steps_load_scrub_and_render_only_what_is_visible(page_of):
    page = page_of(many_steps(10_000), "#step-9000")
    assert page.inner_text("#position") == "Step 9000 of 10001"
    assert "step_8998" in _detail(page)  # step 1 is the agent holding them
    assert page.locator(".row").count() < 200
    page.click("#jump-failure")
    assert page.inner_text("#position") == "Step 10001 of 10001"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#position") == "Step 2 of 10001"
    page.fill("#search", "step_9998")
    expect(page.locator("#match-count")).to_have_text("1 of 10001 steps")
    no_js = page_of(many_steps(10_000), "#step-10001", java_script_enabled=False)
    assert "caused the failure" in no_js.inner_text("#step-10001")
    assert no_js.locator(".steps .s").count() == 10_001


@pytest.mark.parametrize(
    ("link", "shown"),
    [("http://127.0.0.1:16686/trace/abc", True), ("javascript:window.__pwned=1", False), (None, False)],
)
def test_the_backend_link_is_shown_only_for_web_addresses(browser, tmp_path, link, shown):
    path = write_html(_session(), tmp_path / "linked.html", backend_url=link)
    with guarded_page(browser) as (page, guard):
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#backend-link").is_visible() is shown
        if shown:
            assert page.get_attribute("#backend-link", "href") == link
        assert page.evaluate("window.__pwned") is None
    assert guard.blocked == [] and guard.errors == []
