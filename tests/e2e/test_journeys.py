"""The main journey, in a real browser and in Chinese: a member requests a free slot in the week view,
the manager approves it from the queue, the member sees it approved and takes it into a calendar;
the committee downloads the report.

The tests run in this order and hand the request on; run on its own, a test makes what it needs
through the same steps.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from .support import require_browser, zh

require_browser()

# After the check: without Playwright the module is skipped before these imports.
from playwright.sync_api import expect

from .steps import (
    COMMITTEE,
    MEMBER,
    STUDIO,
    approve_in_queue,
    go_to,
    offered_slots,
    request_free_slot,
    sign_in,
)


@pytest.fixture(scope="module")
def handed_on() -> dict:
    return {}


def test_member_requests_a_free_slot_in_the_week_view_and_it_is_pending(page, handed_on):
    request = request_free_slot(page)
    # Back in the week view the slot is theirs now, no longer offered as free.
    page.get_by_role("link", name=STUDIO, exact=True).click()
    expect(page.get_by_role("table", name=zh("Week view of %(name)s", name=STUDIO))).to_be_visible()
    assert request.slot.start not in offered_slots(page)
    handed_on["requested"] = request


def test_manager_approves_the_request_from_the_queue(new_context, handed_on):
    request = handed_on.pop("requested", None) or request_free_slot(new_context().new_page())
    approve_in_queue(new_context().new_page(), request)
    handed_on["approved"] = request


def test_member_sees_the_booking_approved_and_downloads_its_ics(new_context, handed_on):
    request = handed_on.get("approved")
    if request is None:
        request = request_free_slot(new_context().new_page())
        approve_in_queue(new_context().new_page(), request)
    page = new_context().new_page()
    sign_in(page, MEMBER)
    go_to(page, "Our bookings")
    row = page.get_by_role("row").filter(has_text=request.purpose)
    expect(row).to_contain_text(zh("Approved"))
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Booking #%(id)d", id=request.id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Approved"))

    with page.expect_download() as info:
        page.get_by_role("link", name=zh("Download .ics")).click()
    download = info.value
    assert download.suggested_filename == f"booking-{request.id}.ics"
    calendar = Calendar.from_ical(Path(download.path()).read_bytes())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == request.slot.start
    assert event.decoded("DTEND") == request.slot.end
    assert str(event["STATUS"]) == "CONFIRMED"


def test_committee_opens_the_report_and_downloads_the_xlsx_in_chinese(page):
    sign_in(page, COMMITTEE)
    go_to(page, "Reports")
    expect(page.get_by_role("heading", name=zh("Utilization and savings report"), level=1)).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name=zh("Download Excel (XLSX)")).click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    try:
        assert book.sheetnames[0] == zh("Summary")
        assert {zh("By facility"), zh("Fairness"), zh("Heatmap")} <= set(book.sheetnames)
        summary = book[zh("Summary")]
        assert summary["A1"].value == zh("Lianxiang · shared facility report")
        assert summary["A4"].value == zh("Figure")
        assert book[zh("By facility")]["A4"].value == zh("Facility")
    finally:
        book.close()
