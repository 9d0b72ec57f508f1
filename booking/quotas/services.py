"""Pooled quotas: checked on every request, counted across the enterprise's members.

A quota applies to a request when it names the booked facility, or the facility's kind (in its
chain or in every chain), and names the requesting enterprise or none (then every enterprise is
counted on its own, never pooled with another). Pending, approved, checked-in, completed and
missed bookings count; rejected and cancelled ones do not. Periods start at local midnight in
the booked facility's chain's time zone (weeks on Monday).

``enforce`` raises ``QuotaExceeded`` (422, code ``quota_exceeded``, details with the remaining
allowance) when a refusing quota would be overrun, and returns, per requested slot, the list of
overruns of flagging quotas (empty: within every quota). It runs a fixed number of queries
whatever the number of slots, quotas and bookings counted.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, event, false, or_, select
from sqlalchemy.orm import Session, joinedload

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..accounts.services import record
from ..bookings.models import APPROVED, CHECKED_IN, COMPLETED, NO_SHOW, PENDING, Booking, BookingEvent
from ..bookings.spans import current_longest_block, meets
from ..errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..i18n import moment
from ..notifications import models as notification_kinds
from ..notifications.services import notify
from ..organisation.models import Chain, Enterprise, Membership, chain_enterprises
from ..timeutil import iso, local_at, utcnow, zone
from .models import OVER_LIMIT, PERIODS, Quota

# A no-show consumed its slot; rejected and cancelled requests never held one.
COUNTED = (PENDING, APPROVED, CHECKED_IN, COMPLETED, NO_SHOW)
HOURS, BOOKINGS = "hours", "bookings"
NEARLY_USED = Decimal("0.8")
CENT = Decimal("0.01")
MAX_LIMIT_HOURS = Decimal("1e8")  # Numeric(10, 2)
MAX_LIMIT_BOOKINGS = 2**31 - 1
DEFAULT_ZONE = "Asia/Shanghai"


class QuotaExceeded(InvalidInput):
    code = "quota_exceeded"


# --- what a quota covers and how much a booking uses of it ------------------------------------

@dataclass(frozen=True)
class Place:
    """What counting needs of a booked facility: which quotas cover it and its peak hours."""
    facility_id: int
    kind: str
    chain_id: int
    tzname: str
    peak_start: int | None
    peak_end: int | None
    peak_weekdays: str

    @classmethod
    def of(cls, facility: Facility) -> Place:
        return cls(facility.id, facility.kind, facility.chain_id, facility.tzname, facility.peak_start_minute,
                   facility.peak_end_minute, facility.peak_weekdays or "")


def covers(quota: Quota, place: Place) -> bool:
    if quota.facility_id is not None:
        return quota.facility_id == place.facility_id
    return quota.kind == place.kind and quota.chain_id in (None, place.chain_id)


def unit(quota: Quota) -> str:
    return HOURS if quota.limit_hours is not None else BOOKINGS


def period_of(moment: datetime, period: str, tzname: str) -> tuple[datetime, datetime]:
    """The period containing ``moment``: from local midnight to local midnight, as UTC."""
    tz = zone(tzname)
    day = moment.astimezone(tz).date()
    if period == "day":
        first, after = day, day + timedelta(days=1)
    elif period == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    elif period == "month":
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    else:
        first, after = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    return local_at(first, 0, tz), local_at(after, 0, tz)


def periods_between(start: datetime, end: datetime, period: str, tzname: str) -> list[tuple[datetime, datetime]]:
    """Every period that [start, end) touches, in order."""
    found = [period_of(start, period, tzname)]
    while found[-1][1] < end:
        found.append(period_of(found[-1][1], period, tzname))
    return found


def peak_seconds(place: Place, start: datetime, end: datetime) -> int:
    """Seconds of [start, end) inside the facility's peak hours (none without peak hours)."""
    if place.peak_start is None or place.peak_end is None or start >= end:
        return 0
    tz = zone(place.tzname)
    day, last = start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date()
    total = 0
    while day <= last:
        if str(day.weekday()) in place.peak_weekdays:
            low = max(start, local_at(day, place.peak_start, tz))
            high = min(end, local_at(day, place.peak_end, tz))
            if high > low:
                total += int((high - low).total_seconds())
        day += timedelta(days=1)
    return total


def amount(quota: Quota, place: Place, start: datetime, end: datetime, period_start: datetime,
           period_end: datetime) -> int:
    """What one booking uses of ``quota`` in one period: seconds (hours quotas) or 0/1 (bookings quotas)."""
    if unit(quota) == HOURS:
        low, high = max(start, period_start), min(end, period_end)
        if high <= low:
            return 0
        return peak_seconds(place, low, high) if quota.peak_only else int((high - low).total_seconds())
    if not period_start <= start < period_end:
        return 0
    return int(not quota.peak_only or peak_seconds(place, start, end) > 0)


def limit_of(quota: Quota) -> Decimal | int:
    """The limit in counting units: seconds or bookings."""
    return quota.limit_hours * 3600 if unit(quota) == HOURS else quota.limit_bookings


def shown(quota: Quota, value) -> str | int:
    """A counted value as people and clients read it: hours as "2.50", bookings as a number."""
    if unit(quota) == HOURS:
        return str((Decimal(value) / 3600).quantize(CENT, rounding=ROUND_DOWN))
    return int(value)


def _hours_text(value) -> str:
    text = f"{Decimal(value).quantize(CENT):f}".rstrip("0").rstrip(".")
    return ngettext("%(hours)s hour", "%(hours)s hours", 1 if text == "1" else 2, hours=text)


def amount_text(quota: Quota, value) -> str:
    """``value`` in counting units, in words: "2.5 hours", "3 bookings"."""
    if unit(quota) == HOURS:
        return _hours_text(Decimal(value) / 3600)
    return ngettext("%(num)d booking", "%(num)d bookings", int(value))


def limit_text(quota: Quota) -> str:
    """"16 hours per week", "3 bookings per month" (at peak hours only, where so)."""
    text = _("%(amount)s %(period)s", amount=amount_text(quota, limit_of(quota)),
             period=PERIODS.get(quota.period, quota.period))
    return _("%(limit)s at peak hours", limit=text) if quota.peak_only else text


def scope_text(quota: Quota) -> str:
    """What the quota covers: a facility's name, or a kind of facility (in a chain)."""
    if quota.facility is not None:
        return quota.facility.display_name
    kind = KINDS.get(quota.kind, quota.kind)
    if quota.chain is not None:
        return _("every facility of the kind “%(kind)s” in %(chain)s", kind=kind, chain=quota.chain.display_name)
    return _("every facility of the kind “%(kind)s”", kind=kind)


def _left_text(quota: Quota, left, period_start: datetime, period_end: datetime, tzname: str,
               now: datetime) -> str:
    what = amount_text(quota, left)
    if period_start <= now < period_end:
        phrases = {"day": _("%(left)s left today", left=what), "week": _("%(left)s left this week", left=what),
                   "month": _("%(left)s left this month", left=what), "year": _("%(left)s left this year", left=what)}
        return phrases[quota.period]
    first = period_start.astimezone(zone(tzname)).date()
    if quota.period == "day":
        return _("%(left)s left on %(date)s", left=what, date=moment(first, style="date"))
    if quota.period == "week":
        return _("%(left)s left in the week from %(date)s", left=what, date=moment(first, style="date"))
    return _("%(left)s left in %(date)s", left=what,
             date=moment(first, style="month") if quota.period == "month" else str(first.year))


def quota_dict(quota: Quota) -> dict:
    """A quota as data: the API's shape, also held in refusals."""
    hours = unit(quota) == HOURS
    return {
        "id": quota.id,
        "resource_id": quota.facility_id,
        "resource_name": quota.facility.name if quota.facility is not None else None,
        "kind": quota.kind,
        "chain_id": quota.chain_id,
        "enterprise_id": quota.enterprise_id,
        "period": quota.period,
        "unit": unit(quota),
        "limit_hours": str(quota.limit_hours.quantize(CENT)) if hours else None,
        "limit_bookings": None if hours else quota.limit_bookings,
        "peak_only": quota.peak_only,
        "over_limit": quota.over_limit,
        "description": _("%(limit)s on %(scope)s", limit=limit_text(quota), scope=scope_text(quota)),
        "created_at": iso(quota.created_at),
        "created_by_id": quota.created_by_id,
        "retired_at": iso(quota.deleted_at),
    }


# --- loading ---------------------------------------------------------------------------------

def _with_scope(query):
    return query.options(joinedload(Quota.facility), joinedload(Quota.chain), joinedload(Quota.enterprise))


def applicable(facility: Facility, enterprise: Enterprise) -> list[Quota]:
    """The active quotas that count a request of ``enterprise`` on ``facility`` (one query)."""
    query = select(Quota).where(
        Quota.deleted_at.is_(None),
        or_(Quota.facility_id == facility.id,
            and_(Quota.kind == facility.kind, or_(Quota.chain_id.is_(None), Quota.chain_id == facility.chain_id))),
        or_(Quota.enterprise_id.is_(None), Quota.enterprise_id == enterprise.id),
    ).order_by(Quota.id)
    with db.session.no_autoflush:
        return list(db.session.scalars(_with_scope(query)).unique())


def _counted(enterprise_id: int, quotas: list[Quota], low: datetime, high: datetime,
             exclude_ids: set[int] | None = None) -> list[tuple[Place, datetime, datetime]]:
    """The enterprise's bookings that count against any of ``quotas`` and meet [low, high) (one query)."""
    by_facility = {q.facility_id for q in quotas if q.facility_id is not None}
    by_kind = [and_(Facility.kind == q.kind, Facility.chain_id == q.chain_id if q.chain_id else True)
               for q in quotas if q.facility_id is None]
    query = (select(Booking.start_at, Booking.end_at, Facility.id, Facility.kind, Facility.chain_id,
                    Facility.timezone, Chain.timezone, Facility.peak_start_minute, Facility.peak_end_minute,
                    Facility.peak_weekdays)
             .join(Facility, Booking.facility_id == Facility.id).join(Chain, Facility.chain_id == Chain.id)
             .where(Booking.enterprise_id == enterprise_id, Booking.status.in_(COUNTED),
                    meets(low, high, current_longest_block(), until=Booking.end_at),
                    or_(Booking.facility_id.in_(by_facility) if by_facility else false(), *by_kind)))
    if exclude_ids:
        query = query.where(Booking.id.not_in(exclude_ids))
    with db.session.no_autoflush:
        rows = db.session.execute(query).all()
    return [(Place(fid, kind, chain_id, own_zone or chain_zone, peak_start, peak_end, weekdays or ""), start, end)
            for start, end, fid, kind, chain_id, own_zone, chain_zone, peak_start, peak_end, weekdays in rows]


class Tally:
    """How much the enterprise uses of each quota in each period, counted once from one query."""

    def __init__(self, quotas: list[Quota], counted: list[tuple[Place, datetime, datetime]]):
        self.quotas = quotas
        # Per quota, its bookings by start, and how far back a booking may start and still reach a period.
        self.rows = {q.id: sorted(((s, e, p) for p, s, e in counted if covers(q, p)), key=lambda r: r[0])
                     for q in quotas}
        self.longest = max((e - s for _p, s, e in counted), default=timedelta(0))
        self.used: dict[tuple[int, datetime], Decimal | int] = {}
        self.before: dict[tuple[int, datetime], Decimal | int] = {}

    def get(self, quota: Quota, period_start: datetime, period_end: datetime):
        key = (quota.id, period_start)
        if key not in self.used:
            rows = self.rows[quota.id]
            first = bisect_left(rows, period_start - self.longest, key=lambda r: r[0])
            last = bisect_left(rows, period_end, key=lambda r: r[0])
            self.used[key] = self.before[key] = sum(
                amount(quota, place, start, end, period_start, period_end) for start, end, place in rows[first:last])
        return self.used[key]

    def add(self, quota: Quota, period_start: datetime, value) -> None:
        self.used[(quota.id, period_start)] += value


# --- the check -------------------------------------------------------------------------------

def _lock(enterprise: Enterprise) -> None:
    """Serialize the requests of one enterprise, so two members never both take the last hour.

    PostgreSQL: a row lock (that still lets bookings reference the enterprise); SQLite's
    BEGIN IMMEDIATE already serializes every write.
    """
    db.session.execute(select(Enterprise.id).where(Enterprise.id == enterprise.id)
                       .with_for_update(key_share=True))


def enforce(actor: User, roles: Roles, facility: Facility, enterprise: Enterprise,
            slots: list[tuple[datetime, datetime]], now: datetime, *, override: bool = False,
            exclude_ids: set[int] | None = None) -> list[list[dict]]:
    """Check the requested slots against every quota, cumulatively (a series counts its own earlier dates).

    ``exclude_ids``: bookings being moved, which stop counting where they were. A manager's
    ``override`` is never refused nor flagged; each overrun it skips is recorded instead.
    """
    result: list[list[dict]] = [[] for _slot in slots]
    if not slots:
        return result
    quotas = applicable(facility, enterprise)
    if not quotas:
        return result
    _lock(enterprise)
    tzname = facility.chain.timezone
    windows = [p for q in quotas for s, e in slots for p in periods_between(s, e, q.period, tzname)]
    tally = Tally(quotas, _counted(enterprise.id, quotas, min(p[0] for p in windows), max(p[1] for p in windows),
                                   exclude_ids))
    place = Place.of(facility)
    overriding = override and roles.manages(facility.id)
    for index, (start, end) in enumerate(slots):
        adds = []
        for quota in quotas:
            for period_start, period_end in periods_between(start, end, quota.period, tzname):
                wanted = amount(quota, place, start, end, period_start, period_end)
                if not wanted:
                    continue
                used = tally.get(quota, period_start, period_end)
                adds.append((quota, period_start, wanted))
                if used + wanted <= limit_of(quota):
                    continue
                overrun = _overrun(quota, used, wanted, period_start, period_end)
                if overriding:
                    record(actor, "quota_exception", "quota", quota.id, enterprise_id=enterprise.id,
                           facility_id=facility.id, start=iso(start), end=iso(end), used=overrun["used"],
                           requested=overrun["requested"], limit=overrun["limit"],
                           period_start=overrun["period_start"], period_end=overrun["period_end"])
                elif quota.over_limit == "refuse":
                    raise _refusal(quota, used, period_start, period_end, tzname, now, start, end)
                else:
                    result[index].append(overrun)
        for quota, period_start, wanted in adds:
            tally.add(quota, period_start, wanted)
    _warn_nearly_used(actor, enterprise, tally, tzname, now)
    return result


def _overrun(quota: Quota, used, wanted, period_start: datetime, period_end: datetime) -> dict:
    return {"quota_id": quota.id, "unit": unit(quota), "period": quota.period,
            "limit": shown(quota, limit_of(quota)), "used": shown(quota, used), "requested": shown(quota, wanted),
            "period_start": iso(period_start), "period_end": iso(period_end)}


def _refusal(quota: Quota, used, period_start: datetime, period_end: datetime, tzname: str, now: datetime,
             start: datetime, end: datetime) -> QuotaExceeded:
    left = max(limit_of(quota) - used, 0)
    if unit(quota) == HOURS:  # never promise a part of a minute that is not there
        left = Decimal(int(left) // 60 * 60)
    message = _("This request would exceed your enterprise's quota of %(limit)s on %(scope)s: %(left)s.",
                limit=limit_text(quota), scope=scope_text(quota),
                left=_left_text(quota, left, period_start, period_end, tzname, now))
    details = {"quota": quota_dict(quota), f"remaining_{unit(quota)}": shown(quota, left),
               "used": shown(quota, used), "limit": shown(quota, limit_of(quota)),
               "period_start": iso(period_start), "period_end": iso(period_end),
               "start": iso(start), "end": iso(end)}
    return QuotaExceeded(message, details=details)


def _warn_nearly_used(actor: User, enterprise: Enterprise, tally: Tally, tzname: str, now: datetime) -> None:
    """Tell the enterprise when its use of a quota crosses 80 % of the limit: once per period (the
    dedupe key keeps it so when the use drops and crosses again, or two requests cross at once)."""
    quotas = {q.id: q for q in tally.quotas}
    reached = [(quotas[quota_id], period_start, used) for (quota_id, period_start), used in tally.used.items()
               if tally.before[(quota_id, period_start)] < limit_of(quotas[quota_id]) * NEARLY_USED <= used
               and limit_of(quotas[quota_id]) > 0]
    if not reached:
        return
    with db.session.no_autoflush:
        admins = list(db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.enterprise_id == enterprise.id, Membership.role == "admin").order_by(User.id)))
    member = actor.membership is not None and actor.membership.enterprise_id == enterprise.id
    recipients = ([actor] if member else []) + admins
    for quota, period_start, used in reached:
        period_end = period_of(period_start, quota.period, tzname)[1]
        named = quota.facility  # None for a kind of facility
        params = {"quota_id": quota.id, "enterprise_id": enterprise.id, "enterprise_name": enterprise.name,
                  "enterprise_name_en": enterprise.name_en, "facility_id": quota.facility_id,
                  "facility_name": named.name if named else None, "facility_name_en": named.name_en if named else None,
                  "kind": quota.kind, "chain_id": quota.chain_id,
                  "chain_name": quota.chain.name if quota.chain else None,
                  "chain_name_en": quota.chain.name_en if quota.chain else None,
                  "period": quota.period, "unit": unit(quota), "peak_only": quota.peak_only,
                  "used": shown(quota, used), "limit": shown(quota, limit_of(quota)),
                  "period_start": iso(period_start), "period_end": iso(period_end)}
        day = period_start.astimezone(zone(tzname)).date().isoformat()
        notify(notification_kinds.QUOTA_NEARLY_USED, recipients, params=params, now=now,
               dedupe_key=f"quota:{quota.id}:{enterprise.id}:{day}")


def flag_details(booking: Booking) -> list[dict]:
    """The overruns a flagged request was made with (from the event that made it pending)."""
    for step in reversed(booking.events):
        if step.to_status == PENDING:
            return list((step.details or {}).get("quota_overrun") or [])
    return []


def on_approved(actor: User, booking: Booking) -> None:
    """A manager approved a request flagged over its quota: an exception, recorded in the audit trail."""
    record(actor, "quota_exception", "booking", booking.id, enterprise_id=booking.enterprise_id,
           facility_id=booking.facility_id, start=iso(booking.start_at), end=iso(booking.end_at),
           quota_overrun=_series_flags(booking) if booking.series_id else flag_details(booking))


def _series_flags(booking: Booking) -> list[dict]:
    """A series is approved date by date: its flagged dates' overruns are read once (one query) and kept
    for the rest of the transaction."""
    cache = db.session.info.setdefault(_FLAGS, {})
    if booking.series_id not in cache:
        rows = db.session.execute(
            select(BookingEvent.booking_id, BookingEvent.details).join(Booking, Booking.id == BookingEvent.booking_id)
            .where(Booking.series_id == booking.series_id, Booking.over_quota, BookingEvent.to_status == PENDING)
            .order_by(BookingEvent.id))
        cache[booking.series_id] = {b: list((d or {}).get("quota_overrun") or []) for b, d in rows}
    return cache[booking.series_id].get(booking.id, [])


_FLAGS = "quota_series_flags"


@event.listens_for(Session, "after_transaction_end")
def _forget_flags(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_FLAGS, None)


def overruns_for(bookings: list[Booking]) -> dict[int, list[dict]]:
    """The overruns of the flagged bookings among ``bookings``, each with its quota's words (two queries)."""
    flagged = [b.id for b in bookings if b.over_quota]
    if not flagged:
        return {}
    found: dict[int, list[dict]] = {}
    for booking_id, details in db.session.execute(
            select(BookingEvent.booking_id, BookingEvent.details)
            .where(BookingEvent.booking_id.in_(flagged), BookingEvent.to_status == PENDING)
            .order_by(BookingEvent.id)):
        found[booking_id] = list((details or {}).get("quota_overrun") or [])  # the latest one wins
    ids = {o.get("quota_id") for overruns in found.values() for o in overruns}
    quotas = {q.id: q for q in db.session.scalars(_with_scope(select(Quota).where(Quota.id.in_(ids)))).unique()}
    for overruns in found.values():
        for overrun in overruns:
            quota = quotas.get(overrun.get("quota_id"))
            overrun["text"] = _overrun_text(quota, overrun) if quota else ""
    return found


def _overrun_text(quota: Quota, overrun: dict) -> str:
    def words(value):
        return amount_text(quota, Decimal(str(value)) * 3600 if unit(quota) == HOURS else value)
    return _("%(used)s used of %(limit)s on %(scope)s; this request adds %(requested)s (period from %(start)s).",
             used=words(overrun["used"]), limit=limit_text(quota), scope=scope_text(quota),
             requested=words(overrun["requested"]), start=(overrun.get("period_start") or "")[:10])


# --- seeing and managing quotas ----------------------------------------------------------------

def _managed_places(roles: Roles) -> list[tuple[str, int]]:
    if not roles.managed_facility_ids:
        return []
    return list(db.session.execute(select(Facility.kind, Facility.chain_id)
                                   .where(Facility.id.in_(roles.managed_facility_ids))).all())


def visible_query(roles: Roles, *, retired: bool = False):
    """Quotas the viewer may see: administrators every one, managers those covering their facilities,
    members those that apply to their enterprise (in its chains)."""
    query = _with_scope(select(Quota)).outerjoin(Facility, Quota.facility_id == Facility.id)
    query = query.where(Quota.deleted_at.is_not(None) if retired else Quota.deleted_at.is_(None))
    if roles.is_admin:
        return query
    conditions = []
    if roles.managed_facility_ids:
        conditions.append(Quota.facility_id.in_(roles.managed_facility_ids))
        conditions += [and_(Quota.kind == kind, or_(Quota.chain_id.is_(None), Quota.chain_id == chain_id))
                       for kind, chain_id in set(_managed_places(roles))]
    if roles.enterprise_id is not None and roles.member_chain_ids:
        chains = roles.member_chain_ids
        conditions.append(and_(
            or_(Quota.enterprise_id.is_(None), Quota.enterprise_id == roles.enterprise_id),
            or_(Facility.chain_id.in_(chains),
                and_(Quota.facility_id.is_(None), or_(Quota.chain_id.is_(None), Quota.chain_id.in_(chains))))))
    return query.where(or_(*conditions)) if conditions else query.where(false())


def listing(roles: Roles, *, retired: bool = False) -> list[Quota]:
    query = visible_query(roles, retired=retired).order_by(
        Quota.deleted_at.desc() if retired else Quota.id, Quota.id)
    return list(db.session.scalars(query).unique())


def can_manage(roles: Roles, quota: Quota) -> bool:
    return roles.is_admin or (quota.facility_id is not None and quota.facility_id in roles.managed_facility_ids)


def get_quota(roles: Roles, quota_id: int) -> Quota:
    """An active quota the viewer may see; others answer 404."""
    quota = db.session.scalar(visible_query(roles).where(Quota.id == quota_id))
    if quota is None:
        raise NotFound(_("There is no such quota."), code="unknown_quota")
    return quota


def usage(roles: Roles, quotas: list[Quota], now: datetime | None = None) -> dict[int, dict]:
    """The viewer's enterprise's use of each quota that applies to it, in the current period (one query)."""
    now = now or utcnow()
    mine = [q for q in quotas if roles.enterprise_id is not None and q.enterprise_id in (None, roles.enterprise_id)]
    if not mine:
        return {}
    chains = {c.id: c.timezone for c in db.session.scalars(select(Chain).where(Chain.id.in_(roles.member_chain_ids)))}
    home = chains[min(chains)] if chains else DEFAULT_ZONE
    windows = {}
    for quota in mine:
        if quota.facility is not None:
            tzname = quota.facility.chain.timezone
        else:
            tzname = quota.chain.timezone if quota.chain is not None else home
        windows[quota.id] = period_of(now, quota.period, tzname)
    counted = _counted(roles.enterprise_id, mine, min(w[0] for w in windows.values()),
                       max(w[1] for w in windows.values()))
    result = {}
    for quota in mine:
        start, end = windows[quota.id]
        used = sum(amount(quota, place, s, e, start, end) for place, s, e in counted if covers(quota, place))
        left = max(limit_of(quota) - used, 0)
        result[quota.id] = {"period_start": iso(start), "period_end": iso(end), "used": shown(quota, used),
                            f"used_{unit(quota)}": shown(quota, used), f"remaining_{unit(quota)}": shown(quota, left),
                            "limit": shown(quota, limit_of(quota))}
    return result


def _check(data: dict) -> dict:
    """Validate a new quota's fields; returns the column values. Every refusal names its field."""
    facility_id, kind, chain_id = data.get("facility_id"), data.get("kind") or None, data.get("chain_id")
    if (facility_id is None) == (kind is None):
        raise InvalidInput(_("Choose either a facility or a kind of facility."), code="scope_required",
                           field="resource_id" if facility_id is None else "kind")
    facility = None
    if facility_id is not None:
        facility = db.session.get(Facility, facility_id)
        if facility is None:
            raise InvalidInput(_("There is no such facility."), code="unknown_resource", field="resource_id")
        if chain_id is not None:
            raise InvalidInput(_("A chain is only chosen for a kind of facility."), code="invalid_value",
                               field="chain_id")
    elif kind not in KINDS:
        raise InvalidInput(_("Unknown facility kind."), code="invalid_kind", field="kind")
    chain = None
    if chain_id is not None:
        chain = db.session.get(Chain, chain_id)
        if chain is None:
            raise InvalidInput(_("There is no such chain."), code="unknown_chain", field="chain_id")
    enterprise_id = data.get("enterprise_id")
    if enterprise_id is not None:
        home = facility.chain_id if facility is not None else chain_id
        query = select(Enterprise.id).where(Enterprise.id == enterprise_id)
        if home is not None:
            query = query.join(chain_enterprises, chain_enterprises.c.enterprise_id == Enterprise.id).where(
                chain_enterprises.c.chain_id == home)
        if db.session.scalar(query) is None:
            raise InvalidInput(_("That enterprise is not a member of the quota's chain."), code="unknown_enterprise",
                               field="enterprise_id")
    if data.get("period") not in PERIODS:
        raise InvalidInput(_("Choose the period: day, week, month or year."), code="invalid_period", field="period")
    hours, bookings = data.get("limit_hours"), data.get("limit_bookings")
    if (hours is None) == (bookings is None):
        raise InvalidInput(_("Give the limit either in hours or in bookings."), code="limit_required",
                           field="limit_hours")
    if hours is not None and not (isinstance(hours, Decimal) and hours.is_finite() and 0 <= hours < MAX_LIMIT_HOURS
                                  and hours.quantize(CENT) == hours):
        raise InvalidInput(_("The limit in hours must be zero or more, with at most two decimals."),
                           code="invalid_value", field="limit_hours")
    if bookings is not None and not (isinstance(bookings, int) and 0 <= bookings <= MAX_LIMIT_BOOKINGS):
        raise InvalidInput(_("The limit in bookings must be a whole number, zero or more."), code="invalid_value",
                           field="limit_bookings")
    peak_only = bool(data.get("peak_only"))
    if peak_only and facility is not None and facility.peak_start_minute is None:
        raise InvalidInput(_("This facility has no peak hours; set them in its settings first."),
                           code="no_peak_hours", field="peak_only")
    if data.get("over_limit", "refuse") not in OVER_LIMIT:
        raise InvalidInput(_("Choose what happens over the limit: refuse or flag."), code="invalid_value",
                           field="over_limit")
    return dict(facility_id=facility_id, kind=kind, chain_id=chain_id, enterprise_id=enterprise_id,
                period=data["period"], limit_hours=hours, limit_bookings=bookings, peak_only=peak_only,
                over_limit=data.get("over_limit", "refuse"))


def create_quota(actor: User, roles: Roles, data: dict) -> Quota:
    """Administrators set any quota; a facility's managers set quotas on that facility."""
    if not (roles.is_admin or roles.is_manager):
        raise Forbidden(_("Only administrators and facility managers may set quotas."))
    values = _check(data)
    if not roles.is_admin and (values["facility_id"] is None or not roles.manages(values["facility_id"])):
        raise Forbidden(_("You may only set quotas on the facilities you manage."))
    quota = Quota(**values, created_by_id=actor.id, created_at=utcnow())
    db.session.add(quota)
    db.session.flush()
    record(actor, "quota_created", "quota", quota.id, **{k: str(v) if isinstance(v, Decimal) else v
                                                          for k, v in values.items()})
    return quota


def retire_quota(actor: User, roles: Roles, quota: Quota, now: datetime | None = None) -> None:
    """A quota is never deleted: it stops counting and stays listed, so that old decisions stay explainable."""
    if not can_manage(roles, quota):
        raise Forbidden(_("Only administrators and the facility's managers may retire this quota."))
    if quota.deleted_at is not None:
        raise InvalidTransition(_("This quota is already retired."), code="already_retired")
    quota.deleted_at = now or utcnow()
    quota.deleted_by_id = actor.id
    db.session.flush()
    record(actor, "quota_retired", "quota", quota.id)


def users_by_id(ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
