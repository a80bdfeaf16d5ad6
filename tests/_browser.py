"""Debian's chromium driven by Playwright, allowed to reach only file:// and 127.0.0.1 (test helper).

with open_browser() as browser:
    with guarded_page(browser) as (page, guard):
        page.goto(url)
    assert guard.blocked == [] and guard.errors == []
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Guard:
    blocked: list[str] = field(default_factory=list)  # requests to anywhere but file:// and 127.0.0.1
    errors: list[str] = field(default_factory=list)  # uncaught page errors

    def route(self, route: Any) -> None:
        url = route.request.url
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme in ("file", "data", "about") or parsed.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


@contextmanager
def open_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def guarded_page(browser: Any, **context_options: Any) -> Iterator[tuple[Any, Guard]]:
    guard = Guard()
    context = browser.new_context(**context_options)
    try:
        context.route("**/*", guard.route)
        page = context.new_page()
        page.on("pageerror", lambda error: guard.errors.append(str(error)))
        yield page, guard
    finally:
        context.close()
