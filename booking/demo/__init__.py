"""Demo data from DESIGN.md: chains, firms, facilities, accounts and a few months of bookings and charges.

``load()`` adds everything to the session and flushes; the caller commits. The bookings are placed
around today (Asia/Shanghai) with a fixed seed, so the demo always looks current and is the same
on every run of the same day.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from ..accounts.models import User
from ..accounts.permissions import forget_roles
from ..accounts.services import hash_password
from ..billing.models import EnterpriseBaseline
from ..extensions import db
from ..facilities.models import BookableHours, Closure, Facility
from ..organisation.models import Chain, Enterprise, Membership
from ..organisation.uscc import make_uscc
from ..notifications import models as notices
from ..notifications.models import Notification
from ..quotas.models import Quota
from ..timeutil import local_at, utcnow
from . import data
from .schedule import Scheduler

SEED = 2024
DAYS_BACK, DAYS_AHEAD = 91, 27
NOT_FACILITY_FIELDS = ("key", "chain", "host", "hours", "plans", "busy")


def load(now: datetime | None = None) -> dict:
    """Add the demo to the session around ``now`` (default: this minute) and count what was added."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    rng = random.Random(SEED)
    chains = _chains()
    enterprises = _enterprises(chains)
    users = _users(chains, enterprises)
    facilities = _facilities(chains, enterprises, users)
    baselines = [EnterpriseBaseline(enterprise=enterprises[key], kind=kind, output_per_hour=per_hour,
                                    output_unit=unit) for key, kind, per_hour, unit in data.BASELINES]
    quotas = _quotas(chains, facilities, users["admin@demo.local"], now)
    db.session.add_all([*chains.values(), *enterprises.values(), *users.values(), *facilities.values(),
                        *baselines, *quotas])
    db.session.flush()

    today = now.astimezone(facilities["chunyu"].tz).date()
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    closures = _closures(facilities, now, first, last)
    db.session.add_all([c for group in closures.values() for c in group])
    scheduler = Scheduler(rng, now, facilities, closures, enterprises, users)
    bookings = scheduler.bookings(scheduler.plan(first, last))
    db.session.add_all(bookings)
    db.session.flush()
    events, usage, charges = scheduler.attach()
    db.session.add_all(events)
    db.session.add_all(usage)
    db.session.add_all(charges)
    inbox = _notifications(bookings, now)
    db.session.add_all(inbox)
    db.session.flush()
    forget_roles()
    return {
        "chains": len(chains), "enterprises": len(enterprises), "facilities": len(facilities),
        "users": len(users), "closures": sum(map(len, closures.values())), "bookings": len(bookings),
        "booking_events": len(events), "usage_records": len(usage), "charges": len(charges),
        "baselines": len(baselines), "quotas": len(quotas), "notifications": len(inbox),
    }


def _quotas(chains: dict[str, Chain], facilities: dict[str, Facility], admin: User, now: datetime) -> list[Quota]:
    """The chains' fair-sharing rules, set by the administrator when the demo's history begins."""
    return [Quota(facility=facilities[q["facility"]] if q["facility"] else None, kind=q["kind"],
                  chain=chains[q["chain"]] if q["chain"] else None, period=q["period"],
                  limit_hours=q["limit_hours"], limit_bookings=q["limit_bookings"], peak_only=q["peak_only"],
                  over_limit=q["over_limit"], created_by=admin, created_at=now - timedelta(days=DAYS_BACK))
            for q in data.QUOTAS]


def _notifications(bookings, now: datetime) -> list[Notification]:
    """What the last fortnight's workflow told people in the app: requests waiting for the managers,
    decisions for the requesters; those older than two days have been read. (No e-mail: the demo's
    history was never sent.)"""
    since, read_before = now - timedelta(days=14), now - timedelta(days=2)
    made = []

    def tell(kind, user, booking, at, **params):
        made.append(Notification(user_id=user.id, kind=kind, created_at=at, booking=booking, params=params,
                                 read_at=at + timedelta(hours=3) if at < read_before else None))

    for booking in bookings:
        if booking.series_id is not None or booking.created_at < since:
            continue
        if booking.status == "pending" and booking.end_at > now:
            for manager in booking.facility.managers:
                tell(notices.REQUEST_SUBMITTED, manager, booking, booking.created_at, count=1)
        elif booking.decided_at and booking.decided_by_id and booking.status in ("approved", "rejected"):
            kind = notices.APPROVED if booking.status == "approved" else notices.REJECTED
            tell(kind, booking.requester, booking, booking.decided_at, count=1, reason=booking.rejection_reason)
    return made


def _chains() -> dict[str, Chain]:
    return {key: Chain(name=spec["name"], name_en=spec["name_en"], description=spec["description"],
                       timezone="Asia/Shanghai", show_booker_names=spec["show_booker_names"])
            for key, spec in data.CHAINS.items()}


def _enterprises(chains: dict[str, Chain]) -> dict[str, Enterprise]:
    enterprises = {}
    for n, (key, chain, _trade, name, name_en, contact) in enumerate(data.ENTERPRISES, start=1):
        enterprises[key] = Enterprise(
            name=name, name_en=name_en, uscc=make_uscc(n, data.CHAINS[chain]["region"]), contact_name=contact,
            contact_email=data.CONTACT_EMAILS.get(key, f"{key}@demo.local"), chains=[chains[chain]])
    return enterprises


def _users(chains: dict[str, Chain], enterprises: dict[str, Enterprise]) -> dict[str, User]:
    """The documented accounts, then one contact per firm (its enterprise admin); one password hash."""
    password_hash = hash_password(data.PASSWORD)
    users = {}
    for email, name, what in data.ACCOUNTS:
        user = users[email] = User(email=email, name=name, password_hash=password_hash,
                                   is_admin=what.get("is_admin", False))
        for chain in what.get("committee", ()):
            chains[chain].committee.append(user)
        if "enterprise" in what:
            Membership(user=user, enterprise=enterprises[what["enterprise"]], role=what.get("role", "member"))
    for key, _chain, _trade, _name, _name_en, contact in data.ENTERPRISES:
        email = data.CONTACT_EMAILS.get(key, f"{key}@demo.local")
        if email not in users:
            user = users[email] = User(email=email, name=contact, password_hash=password_hash)
            Membership(user=user, enterprise=enterprises[key], role="admin")
    return users


def _facilities(chains: dict[str, Chain], enterprises: dict[str, Enterprise],
                users: dict[str, User]) -> dict[str, Facility]:
    managers = {what["manages"]: users[email] for email, _name, what in data.ACCOUNTS if "manages" in what}
    facilities = {}
    for spec in data.FACILITIES:
        fields = {k: v for k, v in spec.items() if k not in NOT_FACILITY_FIELDS}
        facilities[spec["key"]] = Facility(
            chain=chains[spec["chain"]], host_enterprise=enterprises.get(spec.get("host")),
            hours=[BookableHours(weekday=d, start_minute=s, end_minute=e) for d, s, e in spec["hours"]],
            managers=[managers[spec["chain"]]], **fields)
    return facilities


def _closures(facilities: dict[str, Facility], now: datetime, first: date, last: date) -> dict[str, list[Closure]]:
    """Monthly line maintenance, a studio upgrade, and the committee's meetings in the negotiation room."""
    closures: dict[str, list[Closure]] = {key: [] for key in facilities}

    def close(key: str, day: date, start: int, end_day: date, end: int, kind: str, reason: str) -> None:
        facility = facilities[key]
        start_at = local_at(day, start, facility.tz)
        closures[key].append(Closure(
            facility_id=facility.id, start_at=start_at, end_at=local_at(end_day, end, facility.tz), kind=kind,
            reason=reason, created_by_id=facility.managers[0].id,
            created_at=min(start_at - timedelta(days=14), now - timedelta(days=1))))

    month = first.replace(day=1)
    while month <= last:
        saturday = month + timedelta(days=(5 - month.weekday()) % 7)
        close("chunyu", saturday, 7 * 60, saturday, 23 * 60, "maintenance",
              "月度停线保养：成型线清洁、润滑与精度校准")
        close("negotiation", month.replace(day=5), 14 * 60, month.replace(day=5), 17 * 60, "closure",
              "链委会月度例会（一月一议）")
        if month.month in (1, 4, 7, 10):
            close("negotiation", month.replace(day=15), 9 * 60, month.replace(day=15), 17 * 60, "closure",
                  "链委会季度座谈会")
        month = (month + timedelta(days=32)).replace(day=1)
    upgrade = now.astimezone(facilities["studio07"].tz).date() + timedelta(days=8)
    close("studio07", upgrade, 9 * 60, upgrade + timedelta(days=2), 24 * 60, "maintenance", "灯光与推流设备升级")
    return closures
