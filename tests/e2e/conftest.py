"""Browser journeys: the demo served by a real server on 127.0.0.1, driven by Debian's Chromium.

Once for the package: a migrated database with the demo loaded (SQLite, or the PostgreSQL test
database with TEST_DATABASE_URL), the app on a free port in a background thread, one headless
Chromium. Each test gets fresh browser contexts (cookies, viewport, language) from ``new_context``.
CSRF stays on: the browser posts the real forms with their tokens.
"""
from __future__ import annotations

import pytest

from ..live_server import demo_server
from .support import CHROMIUM, missing_browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def live_server(database_template, tmp_path_factory):
    if missing_browser():   # the test modules skip themselves; this fixture is then never reached
        pytest.skip(missing_browser())
    server = demo_server(database_template, tmp_path_factory.mktemp("e2e"), SECRET_KEY="e2e",
                         WTF_CSRF_ENABLED=True)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def new_context(browser, live_server, request, tmp_path):
    """``new_context(**options)``: a fresh browser context (its own cookies) on the live server; a
    Chinese desktop browser in Shanghai unless told otherwise. Closed after the test; when the test
    failed, what each page showed is saved first (the paths are in the report)."""
    contexts = []

    def make(**options):
        settings = {"base_url": live_server.url, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
                    "viewport": DESKTOP, "accept_downloads": True}
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for number, context in enumerate(contexts, start=1):
        if getattr(request.node, "e2e_failed", False):
            for index, page in enumerate(context.pages, start=1):
                path = tmp_path / f"failure-{number}-{index}.png"
                page.screenshot(path=path, full_page=True)
                print(f"{page.url} → {path}")
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
