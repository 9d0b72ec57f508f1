"""Steps the journeys share: sign in and out, the main menu, finding and requesting a free slot,
approving from the queue. Selectors are roles, labels and texts, as a person finds things."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from .support import zh

PASSWORD = "demo1234"
MEMBER = "member.a@demo.local"          # 温岭市鸿达鞋业, reads Chinese
PHONE_MEMBER = "member.b@demo.local"    # another Zeguo shoe firm
ENTERPRISE_ADMIN = "admin.a@demo.local"
MANAGER = "manager@demo.local"          # manages the Zeguo facilities
COMMITTEE = "committee@demo.local"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Chunmiao studios 01-14 need a manager's approval. Daytime slots stay clear of the evening peak,
# where a quota refuses what is over 20 hours a week.
STUDIO = "春苗直播间 01"
PHONE_STUDIO = "春苗直播间 02"
DAYTIME = [time(h, m) for h in range(9, 17) for m in (0, 30)]
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def press(locator: Locator, tap: bool) -> None:
    locator.tap() if tap else locator.click()


def sign_in(page: Page, email: str, t=zh) -> None:
    page.goto("/login")
    page.get_by_label(t("E-mail")).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def sign_out(page: Page, t=zh) -> None:
    open_menu(page, t)
    page.get_by_role("button", name=t("Sign out"), exact=True).click()
    page.wait_for_url(re.compile(r"/login"))


def menu_link(page: Page, name: str, t=zh) -> Locator:
    return page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t(name), exact=True)


def open_menu(page: Page, t=zh, tap: bool = False) -> None:
    """On a narrow screen the main menu may sit behind a toggle (a button with aria-expanded in the
    banner): open it when the menu's links are hidden."""
    if menu_link(page, "Facilities", t).is_visible():
        return
    press(page.get_by_role("banner").get_by_role("button", expanded=False).first, tap)
    expect(menu_link(page, "Facilities", t)).to_be_visible()


def go_to(page: Page, name: str, t=zh, tap: bool = False) -> None:
    """Follow a link of the main menu, to the end of loading: the page's script (which makes some
    selects submit themselves) has run by then."""
    open_menu(page, t, tap)
    link = menu_link(page, name, t)
    target = urlsplit(link.get_attribute("href")).path
    press(link, tap)
    page.wait_for_url(lambda url: urlsplit(url).path == target)


@dataclass(frozen=True)
class Slot:
    start: datetime          # aware, in the facility's time zone (Asia/Shanghai)
    end: datetime
    link: str                # the accessible name of the week view's link that offers it


def offered_slots(page: Page) -> dict[datetime, str]:
    """The slots the week view on screen offers as free: their start (UTC) → the link's name.
    Starts are read from the links' targets, so that no date format is assumed."""
    page.wait_for_load_state()   # the whole table
    prefix = zh("Free: request %(when)s").split("%(when)s")[0]
    links = page.get_by_role("table").get_by_role("link", name=re.compile("^" + re.escape(prefix)))
    offered = {}
    for name, href in links.evaluate_all(
            "links => links.map(a => [a.getAttribute('aria-label') || a.textContent.trim(), a.href])"):
        start = parse_qs(urlsplit(href).query).get("start")
        if start:
            offered[datetime.fromisoformat(start[0])] = name
    return offered


def free_slot(page: Page, minutes: int = 60) -> Slot:
    """The first daytime slot of the week on screen (at least two days ahead) that the week view
    offers as free, with the half-hours around it free too: no neighbour within a changeover buffer,
    so that approving it rejects nobody else's request."""
    offered = offered_slots(page)
    not_before = datetime.now(SHANGHAI).date() + timedelta(days=2)
    for start in sorted(offered):
        local = start.astimezone(SHANGHAI)
        if local.date() < not_before or local.time() not in DAYTIME:
            continue
        if all(start + timedelta(minutes=m) in offered for m in range(-30, minutes + 30, 30)):
            return Slot(local, local + timedelta(minutes=minutes), offered[start])
    raise AssertionError(f"no free daytime slot on {page.url}")


def booking_id(page: Page) -> int:
    match = re.search(r"/bookings/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


@dataclass(frozen=True)
class Request:
    id: int
    slot: Slot
    purpose: str


def request_free_slot(page: Page, email: str = MEMBER, facility: str = STUDIO, tap: bool = False) -> Request:
    """Sign in; menu → facilities → the facility → next week; pick a free slot; fill in the form; send.
    The facility needs approval, so the request ends pending."""
    sign_in(page, email)
    go_to(page, "Facilities", tap=tap)
    expect(page.get_by_role("heading", name=zh("Shared facilities"), level=1)).to_be_visible()
    press(page.get_by_role("link", name=facility, exact=True), tap)
    expect(page.get_by_role("heading", name=facility, level=1)).to_be_visible()
    press(page.get_by_role("link", name=re.compile(re.escape(zh("Next week")))), tap)
    page.wait_for_url(re.compile(r"week="))
    expect(page.get_by_role("table", name=zh("Week view of %(name)s", name=facility))).to_be_visible()

    slot = free_slot(page)
    press(page.get_by_role("link", name=slot.link, exact=True), tap)
    expect(page.get_by_role("heading", name=zh("Request a booking"), level=1)).to_be_visible()
    expect(page.get_by_label(zh("Date"), exact=True)).to_have_value(slot.start.date().isoformat())
    expect(page.get_by_label(zh("From"), exact=True)).to_have_value(f"{slot.start:%H:%M}")
    page.get_by_label(zh("Until"), exact=True).fill(f"{slot.end:%H:%M}")
    purpose = f"直播带货：童鞋专场（{slot.start:%m-%d %H:%M}）"
    page.get_by_label(zh("Purpose")).fill(purpose)
    page.get_by_label(zh("Planned output")).fill("1")
    press(page.get_by_role("button", name=zh("Send request"), exact=True), tap)

    expect(page.get_by_role("status").filter(has_text=zh("Your request has been sent to the facility's managers."))
           ).to_be_visible()
    request = Request(booking_id(page), slot, purpose)
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Booking #%(id)d", id=request.id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Pending"))
    return request


def approve_in_queue(page: Page, request: Request, facility: str = STUDIO) -> None:
    sign_in(page, MANAGER)
    go_to(page, "Approvals")
    expect(page.get_by_role("heading", name=zh("Approval queue"), level=1)).to_be_visible()
    page.get_by_label(zh("Facility"), exact=True).select_option(label=facility)   # submits itself
    page.wait_for_url(re.compile(r"facility_id="))
    card = page.get_by_role("article").filter(has_text=request.purpose)
    expect(card).to_have_count(1)
    card.get_by_role("button", name=zh("Approve"), exact=True).click()
    # "Approved." or, where another enterprise had asked for the same time, "Approved; 1 overlapping
    # request was rejected.": both say approved.
    expect(page.get_by_role("status").filter(has_text=zh("Approved"))).to_be_visible()
    expect(page.get_by_text(request.purpose)).to_have_count(0)
    page.goto(f"/bookings/{request.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Approved"))
