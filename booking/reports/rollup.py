"""Stored months: which months of a period may be read from ``report_months``, reading them, and
forgetting the months a change touches (in the change's own transaction).

A month may be read once it has ended everywhere (a day's margin over every time zone); the
rest of a period, and any month nobody has stored yet, is computed from the bookings.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import case, delete, event, func, inspect, select
from sqlalchemy.orm import Session

from ..billing.models import Charge
from ..bookings.models import Booking
from ..facilities.models import BookableHours, Closure
from ..timeutil import utcnow
from ..usage.models import UsageRecord
from .models import PART_COLUMNS, ReportMonth, ReportMonthLead, ReportMonthPair
from .query import Period, month_periods

MARGIN = timedelta(days=1)  # wider than any UTC offset


def split(period: Period, now: datetime) -> tuple[list[Period], list[Period]]:
    """(the period's whole months that have ended everywhere, the rest of the period in pieces)."""
    cutoff = (now - MARGIN).date()
    months = [m for m in month_periods(period) if m.start.day == 1 and m.end.day == 1 and m.end <= cutoff]
    if not months:
        return [], [period]
    rest = [p for p in (Period(period.start, months[0].start), Period(months[-1].end, period.end))
            if p.start < p.end]
    return months, rest


def read(session: Session, facility_ids: list[int], months: list[Period]):
    """({facility id: merged outside seconds}, [(facility, enterprise, *parts)], {month: facility ids
    not stored})."""
    return read_groups(session, facility_ids, [months])[0]


def read_groups(session: Session, facility_ids: list[int], groups: list[list[Period]]) -> list[tuple]:
    """``read`` for several groups of months at once, in two queries whatever their number: the
    sums are added up per group (a month belongs to one group)."""
    group_of = {m.start: i for i, months in enumerate(groups) for m in months}
    found = [(defaultdict(float), [], defaultdict(set)) for _ in groups]
    if not group_of or not facility_ids:
        return [(outside, pairs, {}) for outside, pairs, _stored in found]
    firsts = list(group_of)
    for facility_id, month, seconds in session.execute(
            select(ReportMonth.facility_id, ReportMonth.month, ReportMonth.outside_s)
            .where(ReportMonth.facility_id.in_(facility_ids), ReportMonth.month.in_(firsts))):
        outside, _pairs, stored = found[group_of[month]]
        stored[month].add(facility_id)
        outside[facility_id] += seconds
    if any(stored for _o, _p, stored in found):
        keys = [ReportMonthPair.facility_id, ReportMonthPair.enterprise_id]
        if len(groups) > 1:
            keys.insert(0, case(*[(ReportMonthPair.month.in_([m.start for m in months]), i)
                                  for i, months in enumerate(groups) if months], else_=None))
        columns = [func.sum(getattr(ReportMonthPair, name)) for name in PART_COLUMNS]
        for row in session.execute(
                select(*keys, *columns)
                .join(ReportMonth, (ReportMonth.facility_id == ReportMonthPair.facility_id)
                      & (ReportMonth.month == ReportMonthPair.month))
                .where(ReportMonthPair.facility_id.in_(facility_ids), ReportMonthPair.month.in_(firsts))
                .group_by(*keys)):
            if len(groups) > 1:
                found[row[0]][1].append(row[1:])
            else:
                found[0][1].append(row)
    result = []
    for (outside, pairs, stored), months in zip(found, groups):
        missing = {m: [f for f in facility_ids if f not in stored[m.start]] for m in months}
        result.append((outside, pairs, {m: ids for m, ids in missing.items() if ids}))
    return result


def stored_months(session: Session, facility_ids: list[int], months: list[Period]) -> dict[tuple[int, date], str]:
    """{(facility id, month's first day): its heatmap cells} of the months stored (their lead times too)."""
    if not facility_ids or not months:
        return {}
    return {(f, month): heat for f, month, heat in session.execute(
        select(ReportMonth.facility_id, ReportMonth.month, ReportMonth.heat)
        .where(ReportMonth.facility_id.in_(facility_ids), ReportMonth.month.in_([m.start for m in months])))}


def runs(months: dict[Period, list[int]]) -> list[tuple[Period, list[int]]]:
    """Consecutive months with the same facilities, joined."""
    found: list[tuple[Period, list[int]]] = []
    for month in sorted(months, key=lambda m: m.start):
        ids = months[month]
        if found and found[-1][0].end == month.start and found[-1][1] == ids:
            found[-1] = (Period(found[-1][0].start, month.end), ids)
        else:
            found.append((month, ids))
    return found


# --- forgetting what a change touches ------------------------------------------------------------

def _months(start: datetime | None, end: datetime | None) -> tuple[date, date] | None:
    if start is None:
        return None
    end = end or start
    return (start - MARGIN).date().replace(day=1), (end + MARGIN).date()


def _touched(session: Session) -> dict[int, list[tuple[date, date]]]:
    """Facility → month ranges that the session's pending changes touch (old and new values)."""
    found: dict[int, list] = defaultdict(list)

    def add(facility_id, *instants):
        for start, end in instants:
            months = _months(start, end)
            if facility_id is not None and months:
                found[facility_id].append(months)

    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Booking):
            history = [v for v in (obj.start_at, obj.end_at) if v is not None]
            for name in ("start_at", "end_at"):
                history += [v for v in _old(obj, name) if v is not None]
            if history:
                add(obj.facility_id or (obj.facility.id if obj.facility else None), (min(history), max(history)))
        elif isinstance(obj, UsageRecord | Charge):
            booking = obj.booking if obj.booking_id is None else session.get(Booking, obj.booking_id)
            if booking is not None and booking.start_at is not None:
                values = [v for v in (booking.start_at, booking.end_at, getattr(obj, "actual_start", None),
                                      getattr(obj, "actual_end", None)) if v is not None]
                add(booking.facility_id or (booking.facility.id if booking.facility else None),
                    (min(values), max(values)))
        elif isinstance(obj, Closure):
            add(obj.facility_id, (obj.start_at, obj.end_at), *[(v, v) for v in _old(obj, "start_at")])
        elif isinstance(obj, BookableHours) and obj.facility_id is not None:
            found[obj.facility_id].append((date.min, date.max))
    return found


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _old(obj, name: str) -> list:
    state = inspect(obj)
    return list(state.attrs[name].history.deleted or ()) if name in state.attrs else []


@event.listens_for(Session, "before_flush")
def _forget_touched_months(session: Session, _context, _instances) -> None:
    touched = _touched(session)
    if not touched:
        return
    first = min(lo for ranges in touched.values() for lo, _hi in ranges)
    last = max(hi for ranges in touched.values() for _lo, hi in ranges)
    # Only months that ended a day ago are ever stored (split): a change that touches none of them, such as
    # a booking for next week, has nothing to forget. (One day more, for a store run whose clock is ahead.)
    if _next_month(first) > utcnow().date() + MARGIN:
        return
    for model in (ReportMonthPair, ReportMonthLead, ReportMonth):
        session.execute(delete(model).where(model.facility_id.in_(list(touched)), model.month >= first,
                                            model.month <= last)
                        .execution_options(synchronize_session=False))
