"""The authorization matrix: every API operation and every page, for every role and an anonymous visitor.

One scene for the module (``World``): a chain with a member's enterprise (member, colleague, its
enterprise admin), a rival enterprise, a facility manager, the chain's committee, a platform
administrator, and an outsider whose enterprise is in another chain. Each table row names, for one
operation (its operationId) or one page (its Flask endpoint), the objects it is called on
(``ours``: the member's enterprise's, ``theirs``: the rival's, ``far``: the other chain's; ``own``
and ``member``: the caller's or the member's personal objects) and, for each, the status every role
gets: ``"200 member colleague | 404 *"`` (``*``: every role not named before). Reads reuse the
scene's objects; every write gets fresh objects, so that one role's success does not change what the
next one sees.

The design, as the services state it: an object the caller may not see answers 404, so that changing
an id never reveals another enterprise's data; one they see but may not act on answers 403; the API
answers 401 without a token, pages send an anonymous visitor to the sign-in page.

A new operation or page fails ``test_every_operation_has_a_row`` / ``test_every_page_has_a_row``
until it gets its row here.
"""
from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from booking import create_app
from booking.accounts.models import ApiToken, User
from booking.accounts.permissions import roles_of
from booking.accounts.services import create_api_token
from booking.api.spec import operations
from booking.bookings.models import Booking, Series
from booking.bookings.series import request_series
from booking.calendar.models import CalendarFeed
from booking.calendar.services import feed_token
from booking.db import set_read_only_transactions
from booking.extensions import db
from booking.facilities.models import Facility
from booking.notifications.actions import make_token
from booking.notifications.models import Notification
from booking.organisation.uscc import make_uscc
from booking.quotas.models import Quota
from booking.timeutil import utcnow
from booking.usage.models import UsageRecord
from booking.waitlist.models import WaitlistEntry

from ..conftest import IsolatedClient, _config, empty_database
from ..factories import Factory, local, next_weekday

ROLES = ("member", "colleague", "ent_admin", "rival", "manager", "committee", "admin", "outsider")
ADMIN_SCOPED = ("admin", "ent_admin")  # those who may hold a token with the admin scope


# --- the scene -------------------------------------------------------------------------------------

class World:
    """Everybody and their objects. ``fresh``: the next objects asked for are new ones (for writes)."""

    def __init__(self, app):
        self.app, self.make = app, Factory()
        self.api_client = app.test_client()
        self.page_clients: dict[str, object] = {}
        self.fresh = False
        self._cache: dict[tuple, object] = {}
        self._hours = itertools.count()       # one-hour slots on the single-booking facilities
        self._series_slots = itertools.count()
        self._numbers = itertools.count(1)
        self.labels: dict[str, dict[int, str]] = defaultdict(dict)  # kind → id → label, for the listings
        make = self.make
        self.chain, self.far_chain = make.chain(), make.chain()
        self.ours_enterprise = make.enterprise(self.chain)
        self.theirs_enterprise = make.enterprise(self.chain)
        self.far_enterprise = make.enterprise(self.far_chain)
        self.far_rival_enterprise = make.enterprise(self.far_chain)
        self.users = {
            "member": make.user(self.ours_enterprise),
            "colleague": make.user(self.ours_enterprise),
            "ent_admin": make.user(self.ours_enterprise, role="admin"),
            "rival": make.user(self.theirs_enterprise),
            "manager": make.user(),
            "committee": make.committee(self.chain),
            "admin": make.admin(),
            "outsider": make.user(self.far_enterprise),
        }
        self.far_rival = make.user(self.far_rival_enterprise)
        for label in ("ours", "theirs", "far", "far_rival"):
            self.labels["enterprise"][getattr(self, f"{label}_enterprise").id] = label
        # Bookings one hour each on ``facility``, series on ``series_facility``; both open day and night.
        self.facility = self.new_facility("ours")
        self.series_facility = self.new_facility("ours")
        self.far_facility = self.new_facility("far")
        self.far_series_facility = self.new_facility("far")
        self.base_day = next_weekday(0)
        self.tokens = {role: make.token(user, scopes="read write admin" if role in ADMIN_SCOPED else "read write")
                       for role, user in self.users.items()}
        for token in db.session.scalars(select(ApiToken)):
            self.labels["token"][token.id] = self.role_of(token.user_id)
        db.session.commit()

    # people and places

    def new_facility(self, place: str) -> Facility:
        """A facility of the chain (``ours``, managed by the manager) or of the other chain (``far``)."""
        facility = self.make.facility(self.chain if place != "far" else self.far_chain, hours="00:00-24:00",
                                      self_check_in=True, max_advance_days=365)
        if place != "far":
            facility.managers.append(self.users["manager"])
        db.session.flush()
        self.labels["resource"][facility.id] = "far" if place == "far" else "ours"
        return facility

    def role_of(self, user_id: int) -> str:
        return next((role for role, user in self.users.items() if user.id == user_id), "nobody")

    def enterprise(self, label: str):
        return {"ours": self.ours_enterprise, "theirs": self.theirs_enterprise, "far": self.far_enterprise}[label]

    def owner(self, label: str) -> User:
        """Who requests the label's objects: the member, the rival, the outsider."""
        return {"ours": self.users["member"], "theirs": self.users["rival"], "far": self.users["outsider"]}[label]

    def number(self) -> int:
        return 1000 + next(self._numbers)

    def _cached(self, key: tuple, build: Callable[[], object]):
        if self.fresh:
            made = build()
        else:
            if key not in self._cache:
                self._cache[key] = build()
            made = self._cache[key]
        db.session.commit()
        return made

    def resource(self, label: str) -> int:
        """``ours``: a facility of the chain; ``far``: of the other chain. Writes to them (rules, hours
        open day and night, closures far ahead) leave them as they were for the bookings."""
        return (self.facility if label != "far" else self.far_facility).id

    # bookings

    def slot(self):
        """The next free hour of the single-booking facilities (``facility``, ``far_facility``)."""
        hour = next(self._hours)
        start = local(self.base_day + timedelta(days=hour // 24), f"{hour % 24:02d}:00")
        return start, start + timedelta(hours=1)

    def booking(self, label: str, status: str = "pending") -> int:
        """A booking of the label's enterprise: pending or approved ahead; approved now (``now``),
        checked in now (``checked_in``) or completed yesterday (``completed``), with its use recorded."""
        def build():
            requester = self.owner(label)
            if status in ("now", "checked_in", "completed"):
                # Blocking bookings at the same time need places of their own; completed ones do not block.
                facility = (self.new_facility(label) if status != "completed"
                            else self.facility if label != "far" else self.far_facility)
                now = utcnow().replace(second=0, microsecond=0)
                start = {"now": now - timedelta(minutes=10), "checked_in": now - timedelta(minutes=20),
                         "completed": now - timedelta(days=1)}[status]
                booking = self.make.booking(facility, start, start + timedelta(hours=1), requester=requester,
                                            status="approved" if status == "now" else status)
                if status != "now":
                    db.session.add(UsageRecord(booking=booking, actual_start=start,
                                               actual_end=start + timedelta(hours=1) if status == "completed"
                                               else None, output_unit=""))
            else:
                facility = self.facility if label != "far" else self.far_facility
                start, end = self.slot()
                booking = self.make.booking(facility, start, end, requester=requester, status=status)
            db.session.flush()
            self.labels["booking"][booking.id] = label
            return booking
        return self._cached(("booking", label, status), build).id

    def series(self, label: str) -> int:
        """A pending series of two daily occurrences, requested through the workflow."""
        def build():
            facility = self.series_facility if label != "far" else self.far_series_facility
            n = next(self._series_slots)
            start = local(self.base_day + timedelta(days=2 * (n // 24)), f"{n % 24:02d}:00")
            requester = self.owner(label)
            series, bookings, _skipped = request_series(requester, roles_of(requester), facility, start,
                                                        start + timedelta(hours=1), "FREQ=DAILY;COUNT=2")
            db.session.flush()
            self.labels["booking"].update({b.id: label for b in bookings})
            return series
        return self._cached(("series", label), build).id

    def held_slot(self, holder: str) -> tuple[Facility, datetime, datetime]:
        """(facility, start, end) of an hour that ``holder`` (a label) holds with an approved booking:
        ``theirs`` and ``ours`` on the chain's facility, ``far_rival`` (a second enterprise of the other
        chain) on the other chain's."""
        facility = self.facility if holder != "far_rival" else self.far_facility
        start, end = self.slot()
        requester = self.far_rival if holder == "far_rival" else self.owner(holder)
        held = self.make.booking(facility, start, end, requester=requester, status="approved")
        self.labels["booking"][held.id] = holder
        db.session.commit()
        return facility, start, end

    def entry(self, label: str) -> int:
        """A waiting-list entry of the label's requester, for an hour another enterprise holds."""
        def build():
            facility, start, end = self.held_slot({"ours": "theirs", "theirs": "ours", "far": "far_rival"}[label])
            entry = WaitlistEntry(facility_id=facility.id, enterprise_id=self.enterprise(label).id,
                                  user_id=self.owner(label).id, start_at=start, end_at=end, status="waiting",
                                  created_at=utcnow())
            db.session.add(entry)
            db.session.flush()
            self.labels["entry"][entry.id] = label
            return entry
        return self._cached(("entry", label), build).id

    # the rest

    def quota(self, label: str) -> int:
        """A monthly quota on the chain's facility for every enterprise (``ours``), for the rival's
        enterprise only (``theirs``), or on the other chain's facility (``far``)."""
        def build():
            facility = self.facility if label != "far" else self.far_facility
            quota = Quota(facility_id=facility.id, period="month", limit_hours=9999, over_limit="flag",
                          enterprise_id=self.theirs_enterprise.id if label == "theirs" else None,
                          created_at=utcnow())
            db.session.add(quota)
            db.session.flush()
            self.labels["quota"][quota.id] = label
            return quota
        return self._cached(("quota", label), build).id

    def closure(self, label: str) -> tuple[int, int]:
        """(facility, closure) of a closure far ahead: on the chain's facility (``ours``), on the other
        chain's (``far``), or the chain's facility with the other chain's closure (``mixed``)."""
        def build(place):
            facility = self.facility if place != "far" else self.far_facility
            start = local(self.base_day + timedelta(days=300), "08:00")
            return self.make.closure(facility, start, start + timedelta(hours=2))
        if label == "mixed":
            return self.resource("ours"), self.closure("far")[1]
        closure = self._cached(("closure", label), lambda: build(label))
        return closure.facility_id, closure.id

    def feed(self, owner: str) -> int:
        def build():
            feed = CalendarFeed(user_id=self.users[owner].id, kind="mine", nonce=f"{self.number():032d}")
            db.session.add(feed)
            db.session.flush()
            self.labels["feed"][feed.id] = owner
            return feed
        return self._cached(("feed", owner), build).id

    def token(self, owner: str) -> int:
        def build():
            token = create_api_token(self.users[owner], name="matrix")[0]
            self.labels["token"][token.id] = owner
            return token
        return self._cached(("token", owner), build).id

    def person(self, label: str) -> tuple[int, int]:
        """(enterprise, user): the member's enterprise and a member of it (``ours``, a new one for writes),
        the rival's enterprise and the rival (``theirs``), the member's enterprise with the rival (``mixed``)."""
        if label == "ours":
            user = self._cached(("person",), lambda: self.make.user(self.ours_enterprise))
            return self.ours_enterprise.id, user.id
        if label == "theirs":
            return self.theirs_enterprise.id, self.users["rival"].id
        return self.ours_enterprise.id, self.users["rival"].id

    def notification(self, owner: str) -> int:
        def build():
            notice = Notification(user_id=self.users[owner].id, kind="approved", booking_id=self.booking("ours"),
                                  params={})
            db.session.add(notice)
            db.session.flush()
            return notice
        return self._cached(("notification", owner), build).id

    def page_client(self, role: str):
        """A browser signed in as ``role`` (kept for the module)."""
        if role not in self.page_clients:
            client = self.app.test_client()
            response = client.post("/login", data={"email": self.users[role].email, "password": Factory.PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            self.page_clients[role] = client
        return self.page_clients[role]

    def populate(self) -> None:
        """The objects every reader is asked about, each kind once per label."""
        for label in ("ours", "theirs", "far"):
            for make in (self.booking, self.series, self.entry, self.quota):
                make(label)
            self.booking(label, "completed")
        for label in ("ours", "far"):
            self.closure(label)
        for role in ROLES:
            self.feed(role)

    def live(self, kind: str, ids) -> set[int]:
        """Those of ``ids`` that a listing still shows: not retired quotas, not revoked feeds."""
        ids = set(ids)
        if kind == "quota":
            return set(db.session.scalars(select(Quota.id).where(Quota.id.in_(ids), Quota.deleted_at.is_(None))))
        if kind == "feed":
            return set(db.session.scalars(select(CalendarFeed.id).where(CalendarFeed.id.in_(ids),
                                                                        CalendarFeed.revoked_at.is_(None))))
        return ids

    # calling

    def api_call(self, role: str | None, method: str, path: str, call: Call):
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        headers.update(call.headers)
        return self.api_client.open(path, method=method.upper(), headers=headers, json=call.json,
                                    query_string=call.query)


@dataclass
class Call:
    path: dict = field(default_factory=dict)
    json: dict | None = None
    query: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


@dataclass
class Row:
    """How to call an operation on each target, and what each role gets there."""
    call: Callable[[World, str, str], Call] | None
    expect: dict[str, str]

    def statuses(self, target: str) -> dict[str, int]:
        return parse(self.expect[target])


def row(call=None, **expect) -> Row:
    """``row(call, target=expectation, ...)``; without targets, the operation needs no id and answers
    every role with its success status (a listing narrows what it shows: see LISTINGS)."""
    return Row(call, dict(expect) if expect else {"-": ""})


def parse(text: str) -> dict[str, int]:
    """``"200 member colleague | 404 *"`` → {"member": 200, "colleague": 200, every other role: 404}."""
    found: dict[str, int] = {}
    for part in text.split("|"):
        status, *roles = part.split()
        for role in roles:
            if role == "*":
                found.update({r: int(status) for r in ROLES if r not in found})
            else:
                assert role in ROLES, f"unknown role {role!r} in {text!r}"
                assert role not in found, f"{role} twice in {text!r}"
                found[role] = int(status)
    missing = set(ROLES) - set(found)
    assert not missing, f"{text!r} says nothing about {sorted(missing)}"
    return found


# --- what each operation does to whom ------------------------------------------------------------

SEE_OURS = "200 member colleague ent_admin manager committee admin | 404 *"
SEE_THEIRS = "200 rival manager committee admin | 404 *"
SEE_FAR = "200 outsider admin | 404 *"
DECIDE_OURS = "200 manager admin | 403 member colleague ent_admin committee | 404 *"
DECIDE_THEIRS = "200 manager admin | 403 rival committee | 404 *"
DECIDE_FAR = "200 admin | 403 outsider | 404 *"
ACT_OURS = "200 member colleague ent_admin manager admin | 403 committee | 404 *"
ACT_THEIRS = "200 rival manager admin | 403 committee | 404 *"
ACT_FAR = "200 outsider admin | 404 *"
IN_CHAIN = "200 member colleague ent_admin rival manager committee admin | 404 *"
REASON = {"reason": "matrix"}


def on_booking(status: str = "pending", json: dict | None = None):
    return lambda w, target, role: Call({"booking_id": w.booking(target, status)}, json=json)


def on_series(json: dict | None = None):
    return lambda w, target, role: Call({"series_id": w.series(target)}, json=json)


def _reschedule(w: World, target: str, role: str) -> Call:
    series_id = w.series(target)
    series = db.session.get(Series, series_id)
    start = series.dtstart.astimezone(series.facility.tz)
    return Call({"series_id": series_id}, json={"start_time": f"{start:%H:%M}", "duration_minutes": 30})


def _new_booking(w: World, target: str, role: str) -> Call:
    facility = w.far_facility if target == "far" else w.facility
    start, end = w.slot()
    body = {"resource_id": facility.id, "start": start.isoformat(), "end": end.isoformat()}
    if target == "for_ours":
        body["enterprise_id"] = w.ours_enterprise.id
    return Call(json=body)


def _join(w: World, target: str, role: str) -> Call:
    facility, start, end = w.held_slot("theirs" if target == "ours" else "far_rival")
    return Call(json={"resource_id": facility.id, "start": start.isoformat(), "end": end.isoformat()})


def _window(w: World, target: str, role: str) -> Call:
    start = local(w.base_day, "00:00")
    return Call({"resource_id": w.resource(target)},
                query={"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()})


def _closure(json: dict | None = None):
    def call(w: World, target: str, role: str) -> Call:
        resource_id, closure_id = w.closure(target)
        return Call({"resource_id": resource_id, "closure_id": closure_id}, json=json)
    return call


def _new_closure(w: World, target: str, role: str) -> Call:
    start = local(w.base_day + timedelta(days=200), "08:00")
    return Call({"resource_id": w.resource(target)},
                json={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()})


def _hours(w: World, target: str, role: str) -> Call:
    return Call({"resource_id": w.resource(target)},
                json={day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})


def _new_quota(w: World, target: str, role: str) -> Call:
    facility = w.facility if target == "ours" else w.far_facility
    return Call(json={"resource_id": facility.id, "period": "month", "limit_hours": "9999", "over_limit": "flag"})


def _feed_of(w: World, target: str, role: str) -> Call:
    return Call({"feed_id": w.feed(role if target == "own" else "member")})


def _token_of(w: World, target: str, role: str) -> Call:
    return Call({"token_id": w.token(role if target == "own" else "member")})


def _new_enterprise(w: World, target: str, role: str) -> Call:
    n = w.number()
    return Call(json={"name": f"矩阵企业{n}", "uscc": make_uscc(n), "chain_ids": [w.chain.id]})


def _enterprise(json: dict | None = None):
    return lambda w, target, role: Call({"enterprise_id": w.enterprise(target).id}, json=json)


def _new_member(w: World, target: str, role: str) -> Call:
    n = w.number()
    return Call({"enterprise_id": w.enterprise(target).id},
                json={"email": f"matrix{n}@example.test", "name": f"Matrix {n}", "password": "matrix-2026"})


def _person(json: dict | None = None):
    def call(w: World, target: str, role: str) -> Call:
        enterprise_id, user_id = w.person(target)
        return Call({"enterprise_id": enterprise_id, "user_id": user_id}, json=json)
    return call


API: dict[str, Row] = {
    # bookings
    "list_bookings": row(),
    "create_booking": row(
        _new_booking,
        own="201 member colleague ent_admin rival | 422 manager admin outsider | 403 committee",
        for_ours="201 member colleague ent_admin manager admin | 403 rival committee | 422 outsider",
        far="201 outsider | 422 *"),
    "get_booking": row(on_booking(), ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    "approve_booking": row(on_booking(), ours=DECIDE_OURS, theirs=DECIDE_THEIRS, far=DECIDE_FAR),
    "reject_booking": row(on_booking(json=REASON), ours=DECIDE_OURS, theirs=DECIDE_THEIRS, far=DECIDE_FAR),
    "cancel_booking": row(on_booking(json=REASON), ours=ACT_OURS, theirs=ACT_THEIRS, far=ACT_FAR),
    "booking_ics": row(on_booking(), ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    # actual use (the facilities let enterprises check themselves in)
    "check_in": row(on_booking("now"), ours=ACT_OURS, theirs=ACT_THEIRS, far=ACT_FAR),
    "check_out": row(on_booking("checked_in"), ours=ACT_OURS, theirs=ACT_THEIRS, far=ACT_FAR),
    "get_usage": row(on_booking("completed"), ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    "correct_usage": row(on_booking("completed", {"notes": "corrected", "reason": "matrix"}),
                         ours=DECIDE_OURS, theirs=DECIDE_THEIRS, far=DECIDE_FAR),
    # series
    "get_series": row(on_series(), ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    "approve_series": row(on_series(), ours=DECIDE_OURS, theirs=DECIDE_THEIRS, far=DECIDE_FAR),
    "reject_series": row(on_series(REASON), ours=DECIDE_OURS, theirs=DECIDE_THEIRS, far=DECIDE_FAR),
    "cancel_series": row(on_series(REASON), ours=ACT_OURS, theirs=ACT_THEIRS, far=ACT_FAR),
    "reschedule_series": row(_reschedule, ours=ACT_OURS, theirs=ACT_THEIRS, far=ACT_FAR),
    # waiting lists: an entry is its enterprise's and its facility's managers'; only the member who
    # waits or their enterprise's admin withdraws it
    "list_waitlist": row(),
    "join_waitlist": row(
        _join,
        ours="201 member colleague ent_admin | 422 rival manager admin outsider | 403 committee",
        far="201 outsider | 422 *"),
    "get_waitlist_entry": row(
        lambda w, target, role: Call({"entry_id": w.entry(target)}),
        ours="200 member colleague ent_admin manager admin | 404 *",
        theirs="200 rival manager admin | 404 *",
        far="200 outsider admin | 404 *"),
    "withdraw_waitlist_entry": row(
        lambda w, target, role: Call({"entry_id": w.entry(target)}),
        ours="200 member ent_admin | 403 colleague manager admin | 404 *",
        theirs="200 rival | 403 manager admin | 404 *",
        far="200 outsider | 403 admin | 404 *"),
    # quotas: seen by the enterprises they apply to and the facility's managers; set and retired by them
    "list_quotas": row(),
    "create_quota": row(_new_quota, ours="201 manager admin | 403 *", far="201 admin | 403 *"),
    "get_quota": row(
        lambda w, target, role: Call({"quota_id": w.quota(target)}),
        ours="200 member colleague ent_admin rival manager admin | 404 *",
        theirs="200 rival manager admin | 404 *",
        far="200 outsider admin | 404 *"),
    "retire_quota": row(
        lambda w, target, role: Call({"quota_id": w.quota(target)}),
        ours="204 manager admin | 403 member colleague ent_admin rival | 404 *",
        theirs="204 manager admin | 403 rival | 404 *",
        far="204 admin | 403 outsider | 404 *"),
    # calendar feeds: the caller's own
    "list_feeds": row(),
    "create_feed": row(lambda w, target, role: Call(json={"kind": "mine"}), own="201 *"),
    "renew_feed": row(_feed_of, own="200 *", member="200 member | 404 *"),
    "revoke_feed": row(_feed_of, own="204 *", member="204 member | 404 *"),
    # API tokens: the caller's own; the admin scope only for those who administer something
    "list_tokens": row(),
    "create_token": row(
        lambda w, target, role: Call(json={"name": "matrix", "scopes": [target]}),
        read="201 *", admin="201 admin ent_admin | 422 *"),
    "get_token": row(_token_of, own="200 *", member="200 member | 404 *"),
    "revoke_token": row(_token_of, own="204 *", member="204 member | 404 *"),
    # enterprises: administrators all, the committee its chain's, an enterprise admin their own;
    # members managed by the enterprise's admins and the administrators; changes need the admin scope
    "list_enterprises": row(),
    "create_enterprise": row(_new_enterprise, new="201 admin | 403 *"),
    "get_enterprise": row(
        _enterprise(),
        ours="200 ent_admin committee admin | 404 *",
        theirs="200 committee admin | 404 *",
        far="200 admin | 404 *"),
    "update_enterprise": row(
        _enterprise({"contact_name": "Matrix"}),
        ours="200 admin | 403 *",
        theirs="200 admin | 404 ent_admin | 403 *",
        far="200 admin | 404 ent_admin | 403 *"),
    "list_members": row(
        _enterprise(),
        ours="200 ent_admin admin | 403 committee | 404 *",
        theirs="200 admin | 403 committee | 404 *"),
    "add_member": row(
        _new_member,
        ours="201 ent_admin admin | 403 *",
        theirs="201 admin | 404 ent_admin | 403 *"),
    "get_member": row(
        _person(),
        ours="200 ent_admin admin | 403 committee | 404 *",
        theirs="200 admin | 403 committee | 404 *",
        mixed="403 committee | 404 *"),
    "update_member": row(
        _person({"role": "member"}),
        ours="200 ent_admin admin | 403 *",
        theirs="200 admin | 404 ent_admin | 403 *",
        mixed="404 ent_admin admin | 403 *"),
    # resources: seen by their chain's enterprises and committee, run by their managers
    "list_resources": row(),
    "get_resource": row(lambda w, target, role: Call({"resource_id": w.resource(target)}),
                        ours=IN_CHAIN, far=SEE_FAR),
    "resource_availability": row(_window, ours=IN_CHAIN, far=SEE_FAR),
    "list_availability": row(lambda w, target, role: Call(query={**_window(w, target, role).query,
                                                                 "resource_ids": str(w.resource(target))}),
                             ours=IN_CHAIN, far=SEE_FAR),
    "update_resource": row(
        lambda w, target, role: Call({"resource_id": w.resource(target)}, json={"buffer_minutes": 0}),
        ours="200 admin | 403 *",
        far="200 admin | 404 ent_admin | 403 *"),
    "set_resource_hours": row(
        _hours,
        ours="200 manager admin | 403 member colleague ent_admin rival committee | 404 *",
        far="200 admin | 403 outsider | 404 *"),
    "list_closures": row(lambda w, target, role: Call({"resource_id": w.resource(target)}),
                         ours=IN_CHAIN, far=SEE_FAR),
    "create_closure": row(
        _new_closure,
        ours="201 manager admin | 403 member colleague ent_admin rival committee | 404 *",
        far="201 admin | 403 outsider | 404 *"),
    "get_closure": row(_closure(), ours=IN_CHAIN, far=SEE_FAR, mixed="404 *"),
    "delete_closure": row(
        _closure(),
        ours="204 manager admin | 403 member colleague ent_admin rival committee | 404 *",
        far="204 admin | 403 outsider | 404 *"),
    # reports: everyone with a role reads them, narrowed to what they may see
    "utilization_report": row(),
    "fairness_report": row(),
}


# --- pages ------------------------------------------------------------------------------------------------

def page(values=None, anonymous: int = 302, **expect) -> PageRow:
    """A page's row: ``values(world, target, role)`` gives its URL's variables; an anonymous visitor is
    sent to sign in (302 to /login) unless ``anonymous`` says otherwise."""
    expect = {("-" if name == "_" else name): text for name, text in expect.items()} or {"-": "200 *"}
    return PageRow(values or (lambda w, target, role: {}), anonymous, expect)


@dataclass
class PageRow:
    values: Callable[[World, str, str], dict]
    anonymous: int
    expect: dict[str, str]


def _ids(name: str, get: Callable[[World, str], int]):
    return lambda w, target, role: {name: get(w, target)}


BOOKING_PAGE = _ids("booking_id", lambda w, target: w.booking(target))
FACILITY_PAGE = _ids("facility_id", lambda w, target: w.resource(target))
ENTERPRISE_PAGE = _ids("enterprise_id", lambda w, target: w.enterprise(target).id)
ADMINS_ONLY = "200 admin | 403 *"


def _chain(w: World, target: str, role: str) -> dict:
    return {"chain_id": (w.chain if target == "ours" else w.far_chain).id}


def _feed_token(w: World, target: str, role: str) -> dict:
    return {"token": feed_token(db.session.get(CalendarFeed, w.feed("member")))}


def _action_token(w: World, target: str, role: str) -> dict:
    booking = db.session.get(Booking, w.booking("ours"))
    return {"token": make_token(w.users["member"], "cancel", booking=booking)}


def _notification(w: World, target: str, role: str) -> dict:
    return {"notification_id": w.notification(role if target == "own" else "member")}


STATEMENT = {"ours": "200 member colleague ent_admin admin | 404 *", "theirs": "200 rival admin | 404 *",
             "far": SEE_FAR}
ADMINISTERED = {"ours": "200 ent_admin admin | 403 *", "theirs": ADMINS_ONLY, "far": ADMINS_ONLY}

PAGES: dict[str, PageRow] = {
    "accounts.login": page(anonymous=200, _="302 *"),
    "accounts.change_password": page(),
    "accounts.tokens": page(),
    "api_docs.reference": page(anonymous=200),
    "health.healthz": page(anonymous=200),  # load balancers probe it; it tells nothing about the data
    "schedule.facilities": page(),
    "schedule.facility": page(FACILITY_PAGE, ours=IN_CHAIN, far=SEE_FAR),
    "schedule.chain_day": page(_chain, ours=IN_CHAIN, far=SEE_FAR),
    "bookings.home": page(),
    "bookings.mine": page(_="200 member colleague ent_admin rival outsider | 404 *"),  # an enterprise's
    "bookings.new": page(FACILITY_PAGE, ours=IN_CHAIN, far=SEE_FAR),  # ?facility_id=
    "bookings.detail": page(BOOKING_PAGE, ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    "bookings.queue": page(_="200 manager admin | 403 *"),
    "billing.statement": page(ENTERPRISE_PAGE, **STATEMENT),
    "billing.statement_csv": page(ENTERPRISE_PAGE, **STATEMENT),
    "billing.statement_xlsx": page(ENTERPRISE_PAGE, **STATEMENT),
    "calendar.feed": page(_feed_token, anonymous=200, member="200 *"),  # the token in the address is the key
    "calendar.booking_ics": page(BOOKING_PAGE, ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    "calendar.index": page(),
    "reports.index": page(),
    "reports.printable": page(),
    "reports.export_csv": page(),
    "reports.export_xlsx": page(),
    # administration: the platform's administrators; an enterprise's admin its members and baselines;
    # a facility's managers its hours and quotas. Others are refused before any lookup (403).
    "admin.index": page(_="200 ent_admin manager admin | 403 *"),
    "admin.chains": page(_=ADMINS_ONLY),
    "admin.chain_new": page(_=ADMINS_ONLY),
    "admin.chain_edit": page(_chain, ours=ADMINS_ONLY, far=ADMINS_ONLY),
    "admin.enterprises": page(_=ADMINS_ONLY),
    "admin.enterprise_new": page(_=ADMINS_ONLY),
    "admin.enterprise_edit": page(ENTERPRISE_PAGE, ours=ADMINS_ONLY, theirs=ADMINS_ONLY, far=ADMINS_ONLY),
    "admin.baselines": page(ENTERPRISE_PAGE, **ADMINISTERED),
    "admin.members": page(ENTERPRISE_PAGE, **ADMINISTERED),
    "admin.member_new": page(ENTERPRISE_PAGE, **ADMINISTERED),
    "admin.facilities": page(_=ADMINS_ONLY),
    "admin.facility_new": page(_=ADMINS_ONLY),
    "admin.facility_edit": page(FACILITY_PAGE, ours=ADMINS_ONLY, far=ADMINS_ONLY),
    # get_managed: 404 unknown, 403 not the caller's
    "admin.facility_hours": page(FACILITY_PAGE, ours="200 manager admin | 403 *", far=ADMINS_ONLY),
    "admin.quotas": page(_="200 manager admin | 403 *"),
    "admin.users": page(_=ADMINS_ONLY),
    "admin.user_new": page(_=ADMINS_ONLY),
    "admin.user_edit": page(lambda w, target, role: {"user_id": w.users["member"].id}, member=ADMINS_ONLY),
    "outbox.index": page(_=ADMINS_ONLY),
    "audit.log": page(_=ADMINS_ONLY),
    "audit.booking": page(BOOKING_PAGE, ours=SEE_OURS, theirs=SEE_THEIRS, far=SEE_FAR),
    # get_facility_for_history: its managers, its chain's committee and the administrators; others 403
    "audit.facility": page(FACILITY_PAGE, ours="200 manager committee admin | 403 *", far=ADMINS_ONLY),
    "notifications.index": page(),
    "notifications.preferences": page(),
    "notifications.open": page(_notification, own="302 *", member="302 member | 404 *"),  # to its subject
    "notifications.series": page(_ids("series_id", lambda w, target: w.series(target)),  # to an occurrence
                                 ours=SEE_OURS.replace("200", "302"), theirs=SEE_THEIRS.replace("200", "302"),
                                 far=SEE_FAR.replace("200", "302")),
    "actions.confirm": page(_action_token, anonymous=200, member="200 *"),  # the signed token is the key
    # an enterprise's entries, or the lines of the facilities one manages
    "waitlist.index": page(_="200 member colleague ent_admin rival manager admin outsider | 404 *"),
    "waitlist.facility": page(FACILITY_PAGE, ours="200 manager admin | 403 member colleague ent_admin rival committee "
                                                  "| 404 *", far="200 admin | 403 outsider | 404 *"),
}


# --- what each listing shows to whom (labels as above; personal objects: their owner alone) -------------

OWNER = None
LISTINGS: dict[str, tuple[str, str, dict[str, str] | None]] = {
    # operationId: (the list in the answer, the kind of object, who sees which label)
    "list_bookings": ("bookings", "booking", {**API["get_booking"].expect, "far_rival": "200 admin | 404 *"}),
    # the caller's enterprise's entries, not those of the facilities they manage
    "list_waitlist": ("entries", "entry", {"ours": "200 member colleague ent_admin | 404 *",
                                           "theirs": "200 rival | 404 *", "far": "200 outsider | 404 *"}),
    "list_quotas": ("quotas", "quota", API["get_quota"].expect),
    "list_resources": ("resources", "resource", {"ours": IN_CHAIN, "far": SEE_FAR}),
    "list_enterprises": ("enterprises", "enterprise", {**API["get_enterprise"].expect,
                                                       "far_rival": "200 admin | 404 *"}),
    "list_feeds": ("feeds", "feed", OWNER),
    "list_tokens": ("tokens", "token", OWNER),
}
# Whose numbers each role reads in the reports, whatever enterprise it filters by.
REPORTED = {"member": {"ours"}, "colleague": {"ours"}, "ent_admin": {"ours"}, "rival": {"theirs"},
            "manager": {"ours", "theirs"}, "committee": {"ours", "theirs"},
            "admin": {"ours", "theirs", "far", "far_rival"}, "outsider": {"far"}}


# --- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(database_template, tmp_path_factory):
    url = empty_database(database_template, tmp_path_factory.mktemp("matrix"))
    app = create_app(_config(url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        set_read_only_transactions(True)
        yield World(app)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def declared(world):
    """operationId → (method, path template) of every declared API operation."""
    found = {}
    for path, method, endpoint, _op, _rule in operations(world.app):
        op_id = endpoint.removeprefix("api.") + ("" if method in ("get", "post") else f"_{method}")
        found[op_id] = (method, path, _op)
    return found


def _api_key(op_id: str) -> str:
    """The table's key: the view's name (the operationId without its method suffix)."""
    for suffix in ("_patch", "_put", "_delete"):
        if op_id.endswith(suffix):
            return op_id.removesuffix(suffix)
    return op_id


# --- the tests -----------------------------------------------------------------------------------------

def test_every_operation_has_a_row(declared):
    missing = sorted({_api_key(op_id) for op_id in declared} - set(API))
    stale = sorted(set(API) - {_api_key(op_id) for op_id in declared})
    assert not missing, f"operations without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for operations that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_listings_show_each_role_what_it_may_see_and_nothing_else(world, name):
    key, kind, expect = LISTINGS[name]
    world.populate()
    path = next(path for path, method, endpoint, _op, _rule in operations(world.app)
                if endpoint == f"api.{name}" and method == "get")
    wrong = []
    for role in ROLES:
        seen = set()
        url, query = path, {"per_page": 200}
        while url:
            response = world.api_call(role, "get", url, Call(query=query))
            assert response.status_code == 200, (role, response.get_json())
            seen |= {item["id"] for item in response.get_json()[key]}
            url, query = _next_page(response), {}
        labelled = world.live(kind, world.labels[kind])
        if expect is OWNER:
            wanted = {i for i in labelled if world.labels[kind][i] == role}
        else:
            wanted = {i for i in labelled if parse(expect[world.labels[kind][i]])[role] == 200}
        if seen & labelled != wanted:
            leaked = sorted(world.labels[kind][i] for i in (seen & labelled) - wanted)
            hidden = sorted(world.labels[kind][i] for i in wanted - seen)
            wrong.append(f"{role}: shown {leaked}, missing {hidden}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("report", ["utilization_report", "fairness_report"])
def test_reports_show_each_role_only_the_enterprises_it_may_see_whatever_the_filter(world, report):
    world.populate()
    path = next(path for path, _method, endpoint, _op, _rule in operations(world.app) if endpoint == f"api.{report}")
    period = {"start": (world.base_day - timedelta(days=14)).isoformat(),
              "end": (world.base_day + timedelta(days=60)).isoformat(), "group_by": "enterprise"}
    wrong = []
    for role in ROLES:
        for asked in (None, "ours", "theirs", "far"):
            query = {**period, **({"enterprise_id": world.enterprise(asked).id} if asked else {})}
            response = world.api_call(role, "get", path, Call(query=query))
            assert response.status_code == 200, (role, response.get_json())
            body = response.get_json()
            rows = body["groups"] if report == "utilization_report" else body["enterprises"]
            shown = {world.labels["enterprise"].get(r["enterprise_id"], "?") for r in rows}
            # Narrowed, not refused: an enterprise's member asking for another enterprise reads their own.
            if not shown <= REPORTED[role] or (asked is None and shown != REPORTED[role]):
                wrong.append(f"{role} asking for {asked or 'all'}: {sorted(shown)}")
    assert not wrong, "\n".join(wrong)


def _next_page(response) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
    return found.group(1) if found else None


def test_anonymous_callers_get_401_from_every_operation(world, declared):
    wrong = {}
    for op_id, (method, path, op) in declared.items():
        if op.public:
            continue
        url = path.format_map(_Ones())
        response = world.api_call(None, method, url, Call())
        if response.status_code != 401:
            wrong[op_id] = response.status_code
    assert not wrong


def test_the_api_routes_outside_the_matrix_are_public_and_need_no_token(world):
    undeclared = [rule for rule in world.app.url_map.iter_rules() if rule.rule.startswith("/api/")
                  and not hasattr(world.app.view_functions[rule.endpoint], "operation")]
    assert [rule.rule for rule in undeclared] == ["/api/v1/openapi.json"]
    for rule in undeclared:
        assert getattr(world.app.view_functions[rule.endpoint], "public", False), rule.rule
        assert world.api_client.get(rule.rule).status_code == 200


def test_unknown_ids_answer_404_like_invisible_objects(world, declared):
    """An id that exists nowhere answers as another enterprise's object does: 404 (403 first where the
    token lacks the operation's scope, which reveals nothing about the id)."""
    wrong = []
    for op_id, (method, path, op) in declared.items():
        table = API.get(_api_key(op_id))
        if "{" not in path or table is None:
            continue
        target = next(iter(table.expect))
        for role in ROLES:
            call = table.call(world, target, role) if table.call else Call()  # its body; the ids are replaced
            response = world.api_call(role, method, path.format_map(_Unknown()), call)
            scopes = "read write admin" if role in ADMIN_SCOPED else "read write"
            want = 404 if op.needed_scope(method.upper()) in scopes.split() else 403
            if response.status_code != want:
                wrong.append(f"{method.upper()} {path} {role}: {response.status_code} (expected {want})")
    assert not wrong, "\n".join(wrong)


def test_ids_beyond_the_databases_range_answer_404_whatever_the_method(world, declared):
    """Werkzeug would say 405 where another method shares the path (e.g. PATCH beside GET .../usage)."""
    wrong = {}
    for op_id, (method, path, _op) in declared.items():
        if "{" in path:
            response = world.api_call("admin", method, path.format_map(_Beyond()), Call())
            if response.status_code != 404:
                wrong[op_id] = response.status_code
    assert not wrong
    refused = world.api_call("admin", "put", "/api/v1/bookings", Call())
    assert refused.status_code == 405 and "POST" in refused.headers["Allow"]


class _Beyond(dict):
    def __missing__(self, key):
        return 2**31


class _Unknown(dict):
    def __missing__(self, key):
        return 2_000_000_000


class _Ones(dict):
    def __missing__(self, key):
        return 1


@pytest.mark.parametrize("name", sorted(API))
def test_api_operation_answers_each_role_as_designed(world, declared, name):
    entries = [(op_id, spec) for op_id, spec in declared.items() if _api_key(op_id) == name]
    assert entries, f"a row for {name}, which no operation declares"
    [(op_id, (method, path, op))] = entries
    table = API[name]
    wrong = []
    for number, target in enumerate(table.expect):
        expected = table.statuses(target) if table.expect[target] else {r: op.status for r in ROLES}
        for role in ((None,) if number == 0 else ()) + ROLES:  # anonymous: 401 whatever the id
            world.fresh = method != "get"
            call = table.call(world, target, role or "member") if table.call else Call()
            world.fresh = False
            response = world.api_call(role, method, path.format_map(call.path), call)
            want = 401 if role is None else expected[role]
            if response.status_code != want:
                body = response.get_json(silent=True) or {}
                wrong.append(f"{target:>8} {role or 'anonymous':>10}: {response.status_code} "
                             f"(expected {want}) {body.get('error', {}).get('code', '')}")
    assert not wrong, f"{method.upper()} {path}\n" + "\n".join(wrong)


def _pages(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/static/"))}


def test_every_page_has_a_row(world):
    pages = _pages(world.app)
    assert not sorted(pages - set(PAGES)), "pages without a row in the authorization matrix"
    assert not sorted(set(PAGES) - pages), "rows for pages that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_page_answers_each_role_as_designed(world, endpoint):
    assert endpoint in _pages(world.app), f"a row for {endpoint}, which is no page"
    table = PAGES[endpoint]
    wrong = []
    for number, (target, text) in enumerate(table.expect.items()):
        expected = parse(text)
        for role in ((None,) if number == 0 else ()) + ROLES:
            values = table.values(world, target, role or "member")
            with world.app.test_request_context():
                path = url_for(endpoint, **values)
            client = world.page_client(role) if role else world.app.test_client()
            response = client.get(path)
            want = table.anonymous if role is None else expected[role]
            if response.status_code != want:
                wrong.append(f"{target:>7} {role or 'anonymous':>10}: {response.status_code} (expected {want})")
            elif role is None and want == 302 and not response.headers["Location"].startswith("/login"):
                wrong.append(f"{target:>7}  anonymous: sent to {response.headers['Location']}, not to sign in")
    assert not wrong, f"GET {endpoint}\n" + "\n".join(wrong)
