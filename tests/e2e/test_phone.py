"""On a phone (375 × 812, touch): a member books through the menu and the week view by tapping, and
the main screens fit the width (only wide tables scroll, inside their own box)."""
from __future__ import annotations

import re

from .support import require_browser, zh

require_browser()

# After the check: without Playwright the module is skipped before these imports.
from playwright.sync_api import expect

from .steps import (
    COMMITTEE,
    MANAGER,
    PHONE,
    PHONE_MEMBER,
    PHONE_STUDIO,
    STUDIO,
    go_to,
    offered_slots,
    open_menu,
    request_free_slot,
    sign_in,
)

WIDTH = PHONE["viewport"]["width"]


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (it should scroll only up and down)."""
    return page.evaluate("document.documentElement.scrollWidth") - WIDTH


def test_member_books_a_slot_on_a_phone_by_tapping(new_context):
    page = new_context(**PHONE).new_page()
    request = request_free_slot(page, PHONE_MEMBER, PHONE_STUDIO, tap=True)
    expect(page.get_by_text(request.purpose)).to_be_visible()
    go_to(page, "Our bookings", tap=True)
    row = page.get_by_role("row").filter(has_text=request.purpose)
    expect(row).to_contain_text(zh("Pending"))


def test_main_screens_fit_a_phone_screen(new_context):
    too_wide = {}

    def measure(page, name: str) -> None:
        if overflow(page) > 0:
            too_wide[name] = overflow(page)

    member = new_context(**PHONE).new_page()
    sign_in(member, PHONE_MEMBER)
    for path in ("/", "/facilities", "/bookings", "/waitlist", "/notifications"):
        member.goto(path)
        measure(member, path)
    member.goto("/facilities")
    member.get_by_role("link", name=STUDIO, exact=True).tap()
    member.wait_for_url(re.compile(r"/facilities/\d+"))
    measure(member, "week view")
    member.get_by_role("link", name=min(offered_slots(member).items())[1], exact=True).tap()
    member.wait_for_url(re.compile(r"/bookings/new"))
    measure(member, "request form")
    for email, path in ((MANAGER, "/queue"), (COMMITTEE, "/reports")):
        page = new_context(**PHONE).new_page()
        sign_in(page, email)
        page.goto(path)
        measure(page, path)
    assert not too_wide, f"wider than {WIDTH}px (pixels too wide): {too_wide}"


LINES = """element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set(Array.from(range.getClientRects(), rect => Math.round(rect.top))).size;
}"""


def test_menu_entries_are_one_line_and_big_enough_to_tap_on_a_phone(new_context):
    page = new_context(**PHONE).new_page()
    sign_in(page, PHONE_MEMBER)
    open_menu(page, tap=True)
    problems = []
    for link in page.get_by_role("navigation", name=zh("Main")).get_by_role("link").all():
        name, box = link.inner_text().strip(), link.bounding_box()
        if link.evaluate(LINES) > 1:
            problems.append(f"{name}: label broken over {link.evaluate(LINES)} lines")
        if box["width"] < 24 or box["height"] < 24:      # WCAG 2.2 target size (minimum)
            problems.append(f"{name}: {box['width']:.0f}×{box['height']:.0f}px to tap")
    assert not problems, "; ".join(problems)
