"""Keyboard only: the first Tab reaches the skip link, which jumps to the content; Tab reaches the
main menu and Enter follows it."""
from __future__ import annotations

import re

from .support import require_browser, zh

require_browser()

# After the check: without Playwright the module is skipped before these imports.
from playwright.sync_api import expect

from .steps import MEMBER, menu_link, sign_in


def focus_with_tab(page, target, presses: int = 15) -> bool:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return True
    return False


def test_skip_link_and_main_menu_are_reachable_with_the_keyboard(page):
    sign_in(page, MEMBER)
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=zh("Skip to content"))
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()        # shown when focused
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")          # the next stop is inside the content, not the menu
    assert page.evaluate("document.activeElement.closest('main') !== null")

    page.goto("/")
    facilities = menu_link(page, "Facilities")
    assert focus_with_tab(page, facilities), "Tab never reached the main menu"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=zh("Shared facilities"), level=1)).to_be_visible()
