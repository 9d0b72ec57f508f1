"""Switching the language: the choice applies at once, on every page, and belongs to the account
(it survives signing out and in, and wins over a Chinese browser elsewhere)."""
from __future__ import annotations

from .support import en, require_browser, zh

require_browser()

# After the check: without Playwright the module is skipped before these imports.
from playwright.sync_api import expect

from .steps import ENTERPRISE_ADMIN, go_to, menu_link, sign_in, sign_out


def test_language_switch_applies_everywhere_and_sticks_to_the_account(new_context):
    page = new_context().new_page()
    sign_in(page, ENTERPRISE_ADMIN)
    expect(menu_link(page, "Facilities", zh)).to_be_visible()

    page.get_by_label(zh("Language")).select_option("en")     # submits itself
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(menu_link(page, "Facilities", en)).to_be_visible()

    go_to(page, "Our bookings", en)
    expect(page.get_by_role("heading", name="Our bookings", level=1)).to_be_visible()

    sign_out(page, en)
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    sign_in(page, ENTERPRISE_ADMIN, en)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(menu_link(page, "Facilities", en)).to_be_visible()

    # Another device with a Chinese browser: Chinese until signed in, then the account's English.
    elsewhere = new_context(locale="zh-CN").new_page()
    elsewhere.goto("/login")
    expect(elsewhere.get_by_role("heading", name=zh("Sign in"), level=1)).to_be_visible()
    sign_in(elsewhere, ENTERPRISE_ADMIN, zh)
    expect(menu_link(elsewhere, "Facilities", en)).to_be_visible()

    page.get_by_label("Language").select_option("zh_CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(menu_link(page, "Facilities", zh)).to_be_visible()
    expect(page.get_by_label(zh("Language"))).to_have_value("zh_CN")
