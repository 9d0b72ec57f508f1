"""Chinese first, English second: every screen, message, export and e-mail speaks its reader's language.

The demo is loaded once. People act on it (a recurring request, a waiting list, a feed, decisions,
a correction, a closure, forms with mistakes), then each demo role crawls every page reachable from
the navigation, plus a booking in every state, in zh_CN and in English. Error pages, API errors, the
report's and the statement's exports and an e-mail of every kind are read too. In Chinese no English
word may show (brand names, units, codes, addresses and the users' own data aside); in English no
Chinese text may show but the users' data.

While these tests run, a message that is wrapped for translation but has no zh_CN translation yet
comes out as ``⟦the English msgid⟧``: a failure tells "not wrapped" (fix the code) from "not
translated yet" (run `make translations-update` and translate the catalogue).
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from babel.support import NullTranslations
from flask_babel import Domain, force_locale, get_locale
from openpyxl import load_workbook
from sqlalchemy import String, Text, select

from booking import create_app, i18n
from booking.accounts.models import User
from booking.bookings.models import Booking
from booking.demo import load
from booking.extensions import db
from booking.facilities.models import Facility
from booking.notifications import actions
from booking.notifications import models as kinds
from booking.notifications.mail import compose
from booking.notifications.services import notify
from booking.timeutil import iso, utcnow, zone

from .conftest import _config, empty_database
from .factories import Factory

ZH = "zh-CN,zh;q=0.9,en;q=0.8"
EN = "en-US,en;q=0.9"
LANGUAGES = {"zh_CN": ZH, "en": EN}
ROLES = {
    "admin": "admin@demo.local",
    "committee": "committee@demo.local",
    "manager": "manager@demo.local",
    "member": "member.a@demo.local",
    "enterprise_admin": "admin.a@demo.local",
}
PASSWORD = "demo1234"
PAGES_PER_ROLE = 120   # the crawl's safety net: the demo's navigation reaches fewer distinct pages
SHANGHAI = zone("Asia/Shanghai")

# English that a Chinese page may show: the brand, units, formats, standards and products' names.
ALLOWED_WORDS = {
    "lianxiang", "english", "cny", "ics", "csv", "xlsx", "api", "hhi", "gini", "rrule", "url", "https", "http",
    "smtp", "uscc", "wps", "excel", "iso", "utc", "gmt", "bearer", "authorization", "token", "json", "ical",
    "icalendar", "webcal", "outlook", "google", "apple", "thunderbird", "pdf", "iana", "ctrl", "mac",
    "openapi", "post", "rfc",
}
# Data rather than words: addresses, links, paths, time zones, command names (send-notifications)
# and the names of fields and scopes that an API error quotes (“start”).
NOT_WORDS = re.compile(r"\S+@\S+|\b(?:https?|webcal)://\S+|/[\w./?=&%-]*|\b[A-Za-z]+/[A-Za-z_]+\b"
                       r"|\b[a-z]+(?:-[a-z]+)+\b|“[A-Za-z_]+”")
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z'’]{2,}(?![A-Za-z0-9_])")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
ALLOWED_CHINESE = {"链享", "中文"}
MARKED = re.compile(r"⟦([^⟦⟧]*)⟧")
# The administration lists and edits both names of a chain, an enterprise and a facility.
BOTH_NAMES = re.compile(r"^/admin/")
SKIPPED_PATHS = re.compile(r"^/(static/|logout|act/|api/)|\.(ics|csv|xlsx)$|^/notifications/\d+/open$")


# --- What a reader sees -------------------------------------------------------------------------------

class _Visible(HTMLParser):
    """The text a person sees or hears: text nodes and the attributes shown or read aloud; the
    strings of JSON data blocks (chart labels); the links, for the crawl."""

    SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
    VOID = ("input", "br", "img", "meta", "link", "hr", "col", "source", "wbr", "area", "base")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.data: list[str] = []
        self.links: list[str] = []
        self._stack: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.texts += [attrs[name] for name in self.SHOWN_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.texts.append(attrs["value"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag not in self.VOID:
            self._stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._stack.pop()

    def handle_endtag(self, tag):
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not data.strip():
            return
        tag, attrs = self._stack[-1] if self._stack else ("", {})
        if tag == "script":
            if attrs.get("type") == "application/json":
                self.data.extend(_strings(json.loads(data)))
            return
        if tag not in ("style", "template") and not self._in_code():
            self.texts.append(data)

    def _in_code(self) -> bool:
        """Code (an API path, a field's name, a JSON example) is the same in every language."""
        return any(tag in ("code", "kbd", "samp") for tag, _attrs in self._stack)


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def read(html: str) -> _Visible:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser


class Findings:
    """What leaked, by where it was seen: English in Chinese (wrapped but not translated yet, or not
    wrapped at all) and Chinese in English that is not the users' data."""

    def __init__(self, data: DataTexts):
        self.known = data
        self.untranslated: dict[str, set[str]] = {}
        self.unwrapped: dict[str, set[str]] = {}
        self.chinese: dict[str, set[str]] = {}

    def check(self, where: str, texts: Iterable[str], locale: str, path: str = "") -> None:
        names = self.known.english_names if BOTH_NAMES.search(path) else set()
        for text in texts:
            text = " ".join(str(text).split())
            if locale == "en":
                self._chinese(where, text)
            else:
                self._english(where, text, names)

    def page(self, where: str, html: str, locale: str, path: str = "") -> _Visible:
        seen = read(html)
        self.check(where, seen.texts + seen.data, locale, path)
        return seen

    def _english(self, where: str, text: str, names: set[str]) -> None:
        while MARKED.search(text):   # innermost first: a translated template may hold marked values
            for msgid in MARKED.findall(text):
                self.untranslated.setdefault(msgid, set()).add(where)
            text = MARKED.sub(" ", text)
        words = [w for w in ENGLISH_WORD.findall(NOT_WORDS.sub(" ", text))
                 if w.lower() not in ALLOWED_WORDS and w not in self.known.words and w not in names]
        if words:
            self.unwrapped.setdefault(text[:200], set()).add(where)

    def _chinese(self, where: str, text: str) -> None:
        for run in CJK_RUN.findall(text):
            if run not in ALLOWED_CHINESE and run not in self.known.chinese:
                self.chinese.setdefault(text[:200], set()).add(where)

    def report(self) -> str:
        lines = []
        for title, found in (("Wrapped but not translated yet (translate these msgids)", self.untranslated),
                             ("English not wrapped for translation", self.unwrapped),
                             ("Chinese on an English page that is not the users' data", self.chinese)):
            if found:
                lines.append(f"{title}:")
                lines += [f"  {text!r}  ({', '.join(sorted(places)[:3])})" for text, places in sorted(found.items())]
        return "\n".join(lines)

    def assert_clean(self) -> None:
        assert not (self.untranslated or self.unwrapped or self.chinese), "\n" + self.report()


class DataTexts:
    """What people typed (names, purposes, reasons, addresses): the English words of free text
    (a code such as a status is no data), those of the English names (``*_en``: only the
    administration shows them to a Chinese reader) and every Chinese text."""

    def __init__(self):
        self.words: set[str] = set()
        self.english_names: set[str] = set()
        chinese = set()
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, (String, Text)):
                    continue
                for value in db.session.scalars(select(column).distinct()):
                    if not value:
                        continue
                    if CJK.search(value):
                        chinese.add(value)
                    if column.name.endswith("_en"):
                        self.english_names.update(ENGLISH_WORD.findall(value))
                    elif " " in value or CJK.search(value) or "@" in value:
                        self.words.update(ENGLISH_WORD.findall(value))
        self.chinese = "\n".join(chinese)   # a Chinese run of a page is data if it is part of one


# --- The demo, once ------------------------------------------------------------------------------------

class _Untranslated(NullTranslations):
    """The catalogue's fallback while these tests run: a message it lacks comes out marked."""

    def gettext(self, message):
        return f"⟦{message}⟧"

    def ngettext(self, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    def pgettext(self, context, message):
        return f"⟦{message}⟧"

    def npgettext(self, context, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    ugettext, ungettext, upgettext, unpgettext = gettext, ngettext, pgettext, npgettext


@pytest.fixture(scope="module")
def marked_catalogue():
    """zh_CN translations that mark what they lack, in a translation cache of this module's own
    (the process-wide one is left as it was)."""
    original, cache = Domain.get_translations, {}

    def get_translations(self):
        translations = original(self)
        if str(get_locale()).startswith("zh") and not getattr(translations, "marks_missing", False):
            translations.add_fallback(_Untranslated())
            translations.marks_missing = True
        return translations

    patch = pytest.MonkeyPatch()
    patch.setattr(Domain, "get_translations_cache", lambda self, ctx: cache)
    patch.setattr(Domain, "get_translations", get_translations)
    yield
    patch.undo()


@dataclass(frozen=True)
class Slot:
    id: int
    start_at: datetime
    end_at: datetime


def _slot(booking: Booking | None) -> Slot | None:
    return Slot(booking.id, booking.start_at, booking.end_at) if booking is not None else None


class Demo:
    """The loaded demo and what the tests look up in it once."""

    def __init__(self, app):
        self.app = app
        user = {email: db.session.scalars(select(User).where(User.email == email)).one()
                for email in ROLES.values()}
        member, manager = user[ROLES["member"]], user[ROLES["manager"]]
        self.enterprise_id = member.membership.enterprise_id
        self.line = db.session.scalars(select(Facility).where(Facility.name == "春雨共享生产线")).one().id
        self.studio = db.session.scalars(select(Facility).where(Facility.name == "春苗直播间 01")).one().id
        self.tokens = {"write": Factory().token(member, scopes="read write"),
                       "read": Factory().token(member, scopes="read")}
        own = select(Booking).where(Booking.enterprise_id == self.enterprise_id)
        self.samples = {status: _slot(db.session.scalars(own.where(Booking.status == status)
                                                         .order_by(Booking.id)).first())
                        for status in ("pending", "approved", "rejected", "cancelled", "completed", "no_show")}
        self.upcoming = _slot(db.session.scalars(own.where(Booking.status == "approved", Booking.start_at > utcnow())
                                                 .order_by(Booking.start_at)).first())
        self.pending = [_slot(b) for b in db.session.scalars(select(Booking).where(
            Booking.status == "pending", Booking.facility_id == self.line).order_by(Booking.start_at))]
        self.pending_elsewhere = _slot(db.session.scalars(select(Booking).where(
            Booking.status == "pending", Booking.facility_id != self.line).order_by(Booking.id)).first())
        self.other_enterprise_booking = db.session.scalars(select(Booking.id).where(
            Booking.enterprise_id != self.enterprise_id, Booking.status == "approved")).first()
        with self.app.test_request_context():
            self.approve_link = "/act/" + actions.make_token(manager, actions.APPROVE,
                                                             booking=db.session.get(Booking, self.pending[-1].id))
        self.member_id, self.manager_id = member.id, manager.id
        self.data = DataTexts()

    def booking_pages(self) -> list[str]:
        return [f"/bookings/{b.id}" for b in self.samples.values() if b is not None] + \
               [f"/bookings/{b.id}/history" for b in self.samples.values() if b is not None]

    def findings(self) -> Findings:
        return Findings(self.data)


@pytest.fixture(scope="module")
def demo(database_template, tmp_path_factory, marked_catalogue):
    app = create_app(_config(empty_database(database_template, tmp_path_factory.mktemp("i18n"))))
    with app.app_context():
        load()
        db.session.commit()
        found = Demo(app)
        db.session.commit()
        db.session.remove()
    yield found
    with app.app_context():
        db.engine.dispose()


def browser(app, locale: str, role: str | None = None):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LANGUAGES[locale]
    if role is not None:
        response = client.post("/login", data={"email": ROLES[role], "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def next_workday(weekday: int = 1, weeks: int = 2) -> date:
    today = utcnow().astimezone(SHANGHAI).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


# --- People act: flashes and forms with mistakes --------------------------------------------------------

@pytest.fixture(scope="module")
def acted(demo) -> list[tuple[str, int, str]]:
    """What people do in Chinese, each answer followed to the page that reports it; it also gives
    the crawls a series, a waiting list, a feed, decisions, a correction and a closure to show."""
    app, seen = demo.app, []

    def do(role, method, url, data=None, label=None, **kw):
        client = clients.get(role) or clients.setdefault(role, browser(app, "zh_CN", role))
        response = client.open(url, method=method, data=data, follow_redirects=True, **kw)
        assert response.status_code < 500, (url, response.status_code)
        seen.append((label or f"{role} {method} {url}", response.status_code, response.get_data(as_text=True)))
        return response

    clients: dict = {"anonymous": browser(app, "zh_CN")}
    day, later = next_workday(1), next_workday(3)
    # Forms with mistakes
    do("anonymous", "POST", "/login", {}, "empty sign-in")
    do("anonymous", "POST", "/login", {"email": ROLES["member"], "password": "wrong"}, "wrong password")
    do("member", "POST", "/account/password", {"current_password": "x", "new_password": "a", "confirm": "b"})
    do("member", "POST", f"/bookings/new?facility_id={demo.line}", {"start_date": "", "end_time": ""}, "empty request")
    do("member", "POST", f"/bookings/new?facility_id={demo.line}",
       {"start_date": day.isoformat(), "start_time": "03:00", "end_time": "04:00"}, "outside the hours")
    do("member", "POST", f"/bookings/new?facility_id={demo.line}",
       {"start_date": day.isoformat(), "start_time": "12:00", "end_time": "10:00"}, "end before start")
    do("member", "POST", f"/bookings/new?facility_id={demo.line}",
       {"start_date": "someday", "start_time": "9", "end_time": "10:00", "planned_output": "many",
        "repeat": "weekly", "interval": "0", "count": "x"}, "unreadable request")
    do("member", "POST", "/waitlist/join", {}, "waiting list without a slot")
    do("member", "POST", "/calendar/feeds", {"kind": "nonsense"}, "unknown feed")
    do("admin", "POST", "/admin/users/new", {"email": "", "name": "", "password": ""}, "empty user")
    do("admin", "POST", "/admin/enterprises/new", {"name": "测试企业", "uscc": "123"}, "bad credit code")
    do("admin", "POST", "/admin/chains/new", {"name": "", "timezone": "Mars/Base"}, "bad chain")
    do("admin", "POST", "/admin/facilities/new", {}, "empty facility")
    do("admin", "POST", "/admin/quotas", {"limit": "-1", "unit": "bookings"}, "bad quota")
    do("admin", "POST", f"/admin/facilities/{demo.line}/hours", {"mon": "25:00-26:00", "tue": "12-08"},
       "bad hours")
    do("admin", "POST", f"/admin/facilities/{demo.line}/closures", {"start_date": ""}, "empty closure")
    do("admin", "POST", f"/admin/facilities/{demo.line}/closures/import", {}, "no file")
    do("enterprise_admin", "POST", f"/admin/enterprises/{demo.enterprise_id}/members/new", {"email": "x"},
       "bad member")
    # Things done, and their flashes
    do("member", "POST", f"/bookings/new?facility_id={demo.studio}",
       {"start_date": day.isoformat(), "start_time": "09:00", "end_time": "10:00", "purpose": "每周例行直播",
        "repeat": "weekly", "interval": "1", "weekdays": [day.weekday()], "ends": "count", "count": "3",
        "skip_conflicts": "y"}, "a weekly request")
    taken = demo.pending[0]
    tz = SHANGHAI
    do("member", "POST", f"/bookings/new?facility_id={demo.line}",
       {"start_date": taken.start_at.astimezone(tz).date().isoformat(),
        "start_time": taken.start_at.astimezone(tz).strftime("%H:%M"),
        "end_time": taken.end_at.astimezone(tz).strftime("%H:%M")}, "a request for a requested slot")
    do("member", "POST", "/waitlist/join", {"wait-facility_id": demo.line, "wait-start": iso(taken.start_at),
                                             "wait-end": iso(taken.end_at), "wait-auto_request": "y"},
       "joining a waiting list")
    do("member", "POST", "/calendar/feeds", {"kind": "mine"}, "a calendar feed")
    do("member", "POST", f"/bookings/{demo.upcoming.id}/cancel", {"reason": "计划有变"}, "cancelling")
    do("member", "POST", f"/bookings/{demo.other_enterprise_booking}/cancel", {}, "cancelling another's")
    do("member", "POST", "/notifications/read", {}, "all read")
    do("manager", "POST", f"/bookings/{demo.pending[0].id}/approve", {}, "approving")
    do("manager", "POST", f"/bookings/{demo.pending_elsewhere.id}/reject", {"reason": ""}, "rejecting without reason")
    do("manager", "POST", f"/bookings/{demo.pending_elsewhere.id}/reject", {"reason": "设备检修"}, "rejecting")
    do("manager", "POST", f"/bookings/{demo.samples['completed'].id}/usage",
       {"output_quantity": "12", "reason": "补录产量"}, "correcting the use")
    do("manager", "POST", f"/bookings/{demo.samples['completed'].id}/usage",
       {"output_quantity": "lots", "reason": ""}, "a bad correction")
    do("admin", "POST", f"/admin/facilities/{demo.line}/closures",
       {"kind": "maintenance", "start_date": later.isoformat(), "start_time": "07:00",
        "end_date": later.isoformat(), "end_time": "09:00", "reason": "设备保养"}, "a closure")
    do("member", "GET", "/logout", label="sign-out needs POST")
    do("member", "POST", "/logout", {}, "signing out")
    with app.app_context():
        demo.data = DataTexts()   # what was typed above is data too
    return seen


# --- The tests -----------------------------------------------------------------------------------------

def test_forms_with_mistakes_and_flashes_speak_chinese(demo, acted):
    findings = demo.findings()
    for label, status, html in acted:
        findings.page(label, html, "zh_CN")
        if status in (200, 422):   # each answer says what happened: a flash or the fields' errors
            assert re.search(r'class="(flash[^"]*|error)"', html), label
    findings.assert_clean()


def _extra_pages(demo, role: str) -> list[str]:
    """Pages no link of the crawl's first choices leads to: a booking in every state, the series,
    the reports grouped every way, a one-click action, the waiting list of a facility."""
    pages = ["/reports?group=enterprise", "/reports?group=kind", "/reports?group=chain",
             "/reports?period=quarter&group=month", "/reports?period=year", "/reports/print?group=enterprise",
             "/notifications/preferences"]
    if role in ("member", "enterprise_admin"):
        pages += ["/bookings?when=past", "/bookings?status=no_show&when=all"]
    if role in ("member", "enterprise_admin", "admin"):
        pages += demo.booking_pages()
    if role == "manager":
        pages += [demo.approve_link, f"/waitlist/facility/{demo.line}", "/queue?facility=" + str(demo.line)]
        pages += [f"/bookings/{b.id}" for b in demo.pending[:3]]
    if role == "admin":
        pages += ["/admin/log?action=closure_added", "/admin/outbox", f"/admin/facilities/{demo.line}/hours"]
    return pages


def crawl(client, extra: Iterable[str] = ()) -> dict[str, str]:
    """The ``extra`` pages, then every page reachable by links from the home page, one per URL shape
    (ids and dates collapsed)."""
    pages, queue, shapes = {}, ["/"], set()
    for url in extra:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        pages[url] = response.get_data(as_text=True)
        queue += [href for href in read(pages[url]).links if href.startswith("/")]
    while queue and len(pages) < PAGES_PER_ROLE:
        url = queue.pop(0)
        shape = re.sub(r"\d+", "N", url)
        if shape in shapes or SKIPPED_PATHS.search(urlsplit(url).path):
            continue
        shapes.add(shape)
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code in (301, 302, 303):
            queue.append(urljoin(url, response.location))
            continue
        if response.mimetype != "text/html":
            continue
        pages[url] = response.get_data(as_text=True)
        for href in read(pages[url]).links:
            parts = urlsplit(urljoin(url, href))
            if not parts.netloc or parts.netloc == "localhost":
                queue.append(parts.path + ("?" + parts.query if parts.query else ""))
    return pages


# In English the pages of the enterprise admin and the committee add no template the others miss.
@pytest.mark.parametrize("role,locale", [(role, "zh_CN") for role in ROLES] + [
    (role, "en") for role in ("admin", "manager", "member")])
def test_every_page_speaks_the_readers_language(demo, acted, role, locale):
    findings = demo.findings()
    pages = crawl(browser(demo.app, locale, role), _extra_pages(demo, role))
    assert len(pages) > 15
    for url, html in pages.items():
        findings.page(f"{role} {url}", html, locale, url)
    findings.assert_clean()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_error_pages_speak_the_readers_language(demo, locale):
    findings = demo.findings()
    member = browser(demo.app, locale, "member")
    for url, status in (("/no/such/page", 404), ("/bookings/2000000000", 404), ("/admin/users", 403),
                        (f"/bookings/{demo.other_enterprise_booking}", 404)):   # another's: not even there
        response = member.get(url)
        assert response.status_code == status, url
        findings.page(f"{status} {url}", response.get_data(as_text=True), locale)
        assert bool(CJK.search(read(response.get_data(as_text=True)).texts[0])) == (locale == "zh_CN")
    anonymous = browser(demo.app, locale)
    findings.page("405", anonymous.get("/logout").get_data(as_text=True), locale)
    findings.page("sign-in", anonymous.get("/bookings", follow_redirects=True).get_data(as_text=True), locale)
    findings.assert_clean()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_api_errors_have_stable_codes_and_translated_messages(demo, locale):
    findings = demo.findings()
    client = demo.app.test_client()
    write = {"Authorization": f"Bearer {demo.tokens['write']}", "Accept-Language": LANGUAGES[locale]}
    read_only = {**write, "Authorization": f"Bearer {demo.tokens['read']}"}
    start = datetime.combine(next_workday(2), datetime.min.time(), SHANGHAI) + timedelta(hours=10)
    cases = [
        ("GET", "/api/v1/bookings/2000000000", write, None, 404, "unknown_booking"),
        ("GET", "/api/v1/resources", {"Accept-Language": LANGUAGES[locale]}, None, 401, "unauthorized"),
        ("GET", "/api/v1/resources", {**write, "Authorization": "Bearer nonsense"}, None, 401, "unauthorized"),
        ("POST", "/api/v1/bookings", read_only, {}, 403, "insufficient_scope"),
        ("POST", "/api/v1/bookings", write, {}, 422, "missing_field"),
        ("POST", "/api/v1/bookings", write, {"resource_id": demo.line, "start": "2030-01-07 10:00",
                                             "end": "2030-01-07 12:00"}, 422, "naive_datetime"),
        ("POST", "/api/v1/bookings", write, {"resource_id": demo.line, "start": start.isoformat(),
                                             "end": (start - timedelta(hours=1)).isoformat()}, 422, None),
        ("POST", "/api/v1/bookings", write, {"resource_id": demo.line, "start": start.replace(hour=2).isoformat(),
                                             "end": start.replace(hour=5).isoformat()}, 422, "outside_hours"),
        ("POST", f"/api/v1/bookings/{demo.other_enterprise_booking}/cancel", write, {}, 404, "unknown_booking"),
        ("POST", f"/api/v1/bookings/{demo.samples['pending'].id}/approve", write, {}, None, None),
        ("GET", "/api/v1/reports/utilization?start=last-year", write, None, 422, "invalid_date"),
        ("GET", "/api/v1/no-such-thing", write, None, 404, None),
    ]
    for method, url, headers, body, status, code in cases:
        response = client.open(url, method=method, headers=headers, json=body)
        error = response.get_json()["error"]
        assert status is None or response.status_code == status, (url, response.status_code, error)
        assert code is None or error["code"] == code, (url, error)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
        assert bool(CJK.search(MARKED.sub("", error["message"]))) == (locale == "zh_CN") or MARKED.search(
            error["message"]), (url, error)
        findings.check(f"API {method} {url}", [error["message"]], locale)
    findings.assert_clean()


def _sheets(body: bytes) -> list[list[str]]:
    book = load_workbook(io.BytesIO(body))
    return [[sheet.title for sheet in book.worksheets]] + [
        [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        for sheet in book.worksheets]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_exports_and_calendar_files_speak_the_readers_language(demo, locale):
    findings = demo.findings()
    last_month = (utcnow().astimezone(SHANGHAI).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    committee, member = browser(demo.app, locale, "committee"), browser(demo.app, locale, "member")
    downloads = {
        "report CSV": committee.get(f"/reports.csv?month={last_month}&group=enterprise"),
        "report XLSX": committee.get(f"/reports.xlsx?month={last_month}&group=facility"),
        "statement CSV": member.get(f"/enterprises/{demo.enterprise_id}/statement.csv?month={last_month}"),
        "statement XLSX": member.get(f"/enterprises/{demo.enterprise_id}/statement.xlsx?month={last_month}"),
        "booking .ics": member.get(f"/bookings/{demo.samples['completed'].id}.ics"),
    }
    for name, response in downloads.items():
        assert response.status_code == 200, name
        if name.endswith(".ics"):   # the words of the event: summary, location, description
            unfolded = response.get_data(as_text=True).replace("\r\n ", "")
            cells = [line.partition(":")[2].replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")
                     for line in unfolded.splitlines() if line.startswith(("SUMMARY", "LOCATION", "DESCRIPTION"))]
            header = []
        elif name.endswith("CSV"):
            rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
            header, cells = rows[0], [cell for row in rows for cell in row]
        else:
            sheets = _sheets(response.get_data())
            header, cells = sheets[1][:5], [cell for sheet in sheets for cell in sheet]
        assert not header or any(CJK.search(h) for h in header) == (locale == "zh_CN"), (name, header)
        findings.check(name, [line for cell in cells for line in str(cell).splitlines()], locale)
    findings.assert_clean()


def _mails(demo, locale: str) -> list[tuple[str, str, str]]:
    """(kind, subject, text + visible HTML) of an e-mail of every kind to a reader of ``locale``."""
    member, manager = db.session.get(User, demo.member_id), db.session.get(User, demo.manager_id)
    member.locale = manager.locale = locale
    pending = db.session.get(Booking, demo.pending[-1].id)
    approved = db.session.scalars(select(Booking).where(
        Booking.enterprise_id == demo.enterprise_id, Booking.status == "approved",
        Booking.start_at > utcnow()).order_by(Booking.start_at)).first()
    series = db.session.scalars(select(Booking).where(Booking.series_id.is_not(None))).first()
    lost = db.session.scalars(select(Booking.rejection_reason).where(Booking.rejection_reason.like("%#%"))).first()
    now = utcnow()
    messages = [
        (kinds.REQUEST_SUBMITTED, manager, {"booking": pending, "params": {"count": 1, "over_quota": True}}),
        (kinds.PENDING_EXPIRING, manager, {"booking": pending}),
        (kinds.APPROVED, member, {"booking": approved}),
        (kinds.REMINDER, member, {"booking": approved}),
        (kinds.REJECTED, member, {"booking": pending, "params": {"reason": "设备检修"}}),
        # the system's own reason, written in Chinese when the manager approved the winner
        (kinds.REJECTED, member, {"booking": pending, "params": {"reason": lost, "lost_to": approved.id}}),
        (kinds.CANCELLED, member, {"booking": approved, "params": {"reason": "停电", "by_manager": True,
                                                                    "late": True}}),
        (kinds.WAITLIST_FREED, member, {"params": {
            "facility_id": demo.line, "entry_id": 1, "position": 1, "start": iso(approved.start_at),
            "end": iso(approved.end_at)}}),
        (kinds.QUOTA_NEARLY_USED, member, {"params": {
            "quota_id": 1, "used": "20", "limit": 24, "unit": "hours", "facility_id": demo.line,
            "facility_name": "春雨共享生产线", "facility_name_en": "Chunyu Shared Production Line",
            "period_start": now.date().isoformat(), "period_end": (now.date() + timedelta(days=7)).isoformat()}}),
    ]
    if series is not None:
        messages += [
            (kinds.SERIES_ENDING, member, {"series": series.series, "params": {"last": iso(series.start_at),
                                                                                "count": 3}}),
            (kinds.APPROVED, member, {"series": series.series, "params": {"count": 3}})]
    mails = []
    for kind, user, what in messages:
        [notification] = notify(kind, [user], now=now, **what)
        db.session.flush()
        mail = compose(notification, now)
        seen = read(mail.html)
        mails.append((kind, mail.subject, "\n".join([mail.body] + seen.texts)))
    return mails


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_emails_speak_their_readers_language(demo, acted, locale):
    findings = demo.findings()
    with demo.app.app_context():
        try:
            mails = _mails(demo, locale)
        finally:
            db.session.rollback()
    assert len(mails) >= 9
    if locale == "en":   # the system's reason, stored in Chinese, reads in English
        assert any("given to another request (booking #" in text for kind, _s, text in mails if kind == "rejected")
    for kind, subject, text in mails:
        assert bool(CJK.search(MARKED.sub("", subject))) == (locale == "zh_CN") or "⟦" in subject, subject
        findings.check(f"e-mail {kind}", [subject, *text.splitlines()], locale)
    findings.assert_clean()


def test_reasons_the_system_wrote_read_in_the_readers_language(demo):
    """Stored in Chinese (the demo writes them as the system would), shown in the reader's words."""
    with demo.app.app_context():
        lost = db.session.scalars(select(Booking.id).where(Booking.rejection_reason.like("%#%"))).first()
        automatic = db.session.scalars(select(Booking.id).join(Booking.events).where(
            Booking.status == "approved", Booking.events.any(actor_id=None, to_status="approved"))).first()
    for locale, words in (("en", ("given to another request (booking #", "Approved automatically")),
                          ("zh_CN", ("该时段已批准给其他申请（预约 #", "自动批准"))):
        admin = browser(demo.app, locale, "admin")
        assert words[0] in admin.get(f"/bookings/{lost}").get_data(as_text=True)
        assert words[0] in admin.get(f"/bookings/{lost}/history").get_data(as_text=True)
        assert words[1] in admin.get(f"/bookings/{automatic}").get_data(as_text=True)


# --- The language: chosen, kept, defaulted --------------------------------------------------------------

@pytest.mark.parametrize("header,expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"), ("zh", "zh_CN"), ("zh-TW,zh;q=0.8", "zh_CN"),
    ("zh-Hant-HK,en;q=0.5", "zh_CN"), ("en-US,en;q=0.9,zh-CN;q=0.8", "en"), ("en-GB", "en"),
    ("fr-FR,fr;q=0.9", "zh_CN"), ("de,en;q=0.5", "en"), ("", "zh_CN"),
])
def test_browsers_get_their_language_and_chinese_by_default(demo, header, expected):
    client = demo.app.test_client()
    html = client.get("/login", headers={"Accept-Language": header} if header else {}).get_data(as_text=True)
    assert f'lang="{"zh-CN" if expected == "zh_CN" else "en"}"' in html


def test_the_language_choice_sticks(demo):
    client = demo.app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH
    client.post("/language", data={"locale": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)     # this browser, signed out
    client.post("/login", data={"email": "member.b@demo.local", "password": PASSWORD})
    assert 'lang="en"' in client.get("/").get_data(as_text=True)          # still, once signed in
    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    client.post("/language", data={"locale": "en", "next": "/"})
    with demo.app.app_context():
        assert db.session.scalars(select(User).where(User.email == "member.b@demo.local")).one().locale == "en"
    other = demo.app.test_client()                                       # another browser, in Chinese
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH
    other.post("/login", data={"email": "member.b@demo.local", "password": PASSWORD})
    assert 'lang="en"' in other.get("/").get_data(as_text=True)           # the account remembers
    api = other.get("/api/v1/bookings/2000000000", headers={"Authorization": "Bearer nonsense"})
    assert CJK.search(api.get_json()["error"]["message"])                 # no token: the header decides
    client.post("/language", data={"locale": "fr", "next": "/"})          # not offered: nothing changes
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


# --- Formats -------------------------------------------------------------------------------------------

MOMENT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # Tuesday 09:00 in Shanghai


@pytest.mark.parametrize("locale,expected", [
    ("zh_CN", {"datetime": "2026-11-24 09:00", "date": "2026-11-24", "day": "2026-11-24 周二", "time": "09:00",
               "short": "11-24 09:00", "month": "2026-11", "span": "2026-11-24 09:00–12:30",
               "to midnight": "2026-11-24 20:00–24:00", "across days": "2026-11-24 09:00 – 2026-11-26 09:00",
               "money": "¥1,234.50", "refund": "-¥12.00", "number": "1,200.5", "two places": "1,200.50"}),
    ("en", {"datetime": "24 Nov 2026, 09:00", "date": "24 Nov 2026", "day": "Tue 24 Nov 2026", "time": "09:00",
            "short": "24 Nov 09:00", "month": "Nov 2026", "span": "24 Nov 2026, 09:00–12:30",
            "to midnight": "24 Nov 2026, 20:00–24:00",
            "across days": "24 Nov 2026, 09:00 – 26 Nov 2026, 09:00",
            "money": "¥1,234.50", "refund": "-¥12.00", "number": "1,200.5", "two places": "1,200.50"}),
])
def test_dates_times_numbers_and_money_follow_the_locale(demo, locale, expected):
    with demo.app.test_request_context(), force_locale(locale):
        shown = {style: i18n.moment(MOMENT, SHANGHAI, style)
                 for style in ("datetime", "date", "day", "time", "short", "month")}
        shown["span"] = i18n.span(MOMENT, MOMENT + timedelta(hours=3, minutes=30), SHANGHAI)
        shown["to midnight"] = i18n.span(MOMENT + timedelta(hours=11), MOMENT + timedelta(hours=15), "Asia/Shanghai")
        shown["across days"] = i18n.span(MOMENT, MOMENT + timedelta(days=2), SHANGHAI)
        shown["money"], shown["refund"] = i18n.money(Decimal("1234.5")), i18n.money(Decimal(-12))
        shown["number"], shown["two places"] = i18n.number(Decimal("1200.50")), i18n.number(Decimal("1200.5"), 2)
    assert shown == expected


def test_machine_formats_do_not_follow_the_locale(demo):
    """CSV cells, API instants and .ics stay ISO 8601 whatever the reader's language."""
    member = browser(demo.app, "en", "member")
    last_month = (utcnow().astimezone(SHANGHAI).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    rows = list(csv.reader(io.StringIO(member.get(
        f"/enterprises/{demo.enterprise_id}/statement.csv?month={last_month}").get_data().decode("utf-8-sig"))))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[1][0]), rows[1]
    body = demo.app.test_client().get(f"/api/v1/bookings/{demo.samples['completed'].id}", headers={
        "Authorization": f"Bearer {demo.tokens['read']}", "Accept-Language": ZH}).get_json()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", body["start"]), body
    ics = member.get(f"/bookings/{demo.samples['completed'].id}.ics").get_data(as_text=True)
    assert re.search(r"DTSTART[^:]*:\d{8}T\d{6}Z?", ics)
