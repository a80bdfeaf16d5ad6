"""The replay page in real headless Chromium: scrubbing, deep links, the failing step, injection, scale."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agentops_otel.model import build_session, from_readable_span
from agentops_otel.replay.html import write_html
from tests._browser import guarded_page, open_browser
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

    def open_page(session, fragment: str = "", **context_options):
        path = write_html(session, tmp_path / f"replay{len(opened)}.html")
        manager = guarded_page(browser, **context_options)
        page, guard = manager.__enter__()
        opened.append((manager, guard))
        page.goto(path.as_uri() + fragment)
        if context_options.get("java_script_enabled", True):
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


def test_the_header_shows_the_session_at_a_glance(page_of):
    page = page_of(_session())
    assert page.inner_text("#session-id") == "sess-checkout-1"
    assert page.inner_text("#status") == "Fail"
    facts = page.inner_text("#facts")
    for expected in ("Duration", "4.20 s", "$0.000060", "12 / 3", "LLM calls", "support-bot", "prod", "billing"):
        assert expected in facts
    assert page.inner_text("#position") == "Step 1 of 3"
    assert page.locator("#fallback").is_hidden()


def test_an_unpriced_llm_call_shows_cost_unknown_not_zero(page_of):
    page = page_of(_session(priced=False), "#step-1")
    assert "Cost\nunknown\n" in page.inner_text("#facts")
    assert page.inner_text("#detail .meta").endswith("Cost\nunknown")


def test_a_session_still_running_with_no_steps_yet(page_of):
    from agentops_otel.model import SpanRecord

    root = SpanRecord("ab" * 16, "cd" * 8, None, "session warmup", start_ns=1_767_225_600_000_000_000, end_ns=None)
    page = page_of(build_session([root]))
    assert page.inner_text("#status") == "Open"
    assert "running" in page.inner_text("#facts")
    assert page.inner_text("#detail") == "No steps recorded."
    assert page.locator("#jump-failure").is_disabled()


def test_the_slider_and_arrow_keys_scrub_through_steps_in_time_order(page_of):
    page = page_of(_session(prompt="Where is my refund?", tool_output="refund sent"))
    assert "Where is my refund?" in _detail(page)  # the LLM call's prompt, as a transcript
    assert "assistant" in _detail(page).lower()
    page.focus("#slider")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#position") == "Step 2 of 3"
    detail = _detail(page)
    assert "tool · lookup" in detail and "refund sent" in detail and "call_1" in detail
    page.click("#viewport")  # arrows work anywhere outside text fields too
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#position") == "Step 3 of 3"
    expect(page).to_have_url(re.compile(r"#step-3$"))  # the address follows once the cursor rests
    page.keyboard.press("ArrowRight")  # stays on the last step
    assert page.inner_text("#position") == "Step 3 of 3"
    page.keyboard.press("ArrowLeft")
    assert "Step 2 ·" in _detail(page)
    assert page.locator(".row.current").inner_text().strip().endswith("lookup")


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
    assert payload in no_js.inner_text("#fallback")
    assert no_js.locator("#fallback img").count() == 0


def test_filtering_by_text_and_kind(page_of):
    page = page_of(_session())
    page.fill("#search", "customer_id")
    assert page.inner_text("#match-count") == "1 of 3 steps"
    assert "fetch_customer_data" in _detail(page)
    page.fill("#search", "")
    page.select_option("#kind-filter", "llm")
    assert page.locator(".row").count() == 1
    assert "llm" in _detail(page)


def test_ten_thousand_steps_load_scrub_and_render_only_what_is_visible(page_of):
    page = page_of(_session(extra_steps=10_000), "#step-9000")
    assert page.inner_text("#position") == "Step 9000 of 10003"
    assert "step_8997" in _detail(page)
    assert page.locator(".row").count() < 200
    page.click("#jump-failure")
    assert page.inner_text("#position") == "Step 10003 of 10003"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#position") == "Step 2 of 10003"
    page.fill("#search", "step_9999")
    assert page.inner_text("#match-count") == "1 of 10003 steps"


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
