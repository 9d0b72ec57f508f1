"""When things happen: approval lead times (median and 90th percentile) and the weekday × hour
occupancy heatmap, each one SQL query."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select

from ..bookings.models import Booking
from ..extensions import db
from ..facilities.models import Facility
from ..timeutil import MINUTES_PER_DAY
from .places import (
    BOOKED,
    HOUR,
    Bounds,
    facilities_in,
    in_scope,
    places,
    starts_inside,
    weekday_counts,
    within,
)
from .query import Period, Scope, month_periods
from .sql import epoch, greatest, least

WEEK_MINUTES = 7 * MINUTES_PER_DAY
# 1970-01-01 was a Thursday: minute 0 of the epoch is minute 3 × 1440 of a Monday-first week.
EPOCH_WEEK_MINUTE = 3 * MINUTES_PER_DAY


# --- approval lead time ------------------------------------------------------------------------

GROUP_COLUMNS = {"facility": Booking.facility_id, "enterprise": Booking.enterprise_id, "kind": Facility.kind,
                 "chain": Facility.chain_id}


def lead_times(scope: Scope, period: Period, group_by: str | None = None,
               facilities: list[Facility] | None = None) -> dict:
    """{group: (median hours, 90th percentile hours, decisions)} by the nearest-rank method, for the
    bookings starting in the period that a person decided (approved or rejected; facilities that need
    no approval decide at once and are left out); group None: all."""
    facilities = facilities_in(scope) if facilities is None else facilities
    found = places(facilities, period)
    if not found:
        return {}
    bounds = Bounds(found)
    if group_by == "month":  # one query whatever the number of months
        months = month_periods(period)
        which = case(*[(starts_inside(within(found, month)), i) for i, month in enumerate(months)],
                     else_=None)
        result = _percentiles(which, which.is_not(None), bounds, found, scope)
        return {month.start.strftime("%Y-%m"): result[i] for i, month in enumerate(months) if i in result}
    key = GROUP_COLUMNS[group_by] if group_by else literal(0)
    result = _percentiles(key, bounds.starts_inside(), bounds, found, scope, group_by in ("kind", "chain"))
    return result if group_by else {None: result[0]} if result else {}


def lead_totals(scope: Scope, periods: list[Period], facilities: list[Facility] | None = None) -> list:
    """(median hours, 90th percentile hours, decisions) of each period, or None, in one query."""
    facilities = facilities_in(scope) if facilities is None else facilities
    if not facilities:
        return [None] * len(periods)
    widest = places(facilities, Period(min(p.start for p in periods), max(p.end for p in periods)))
    which = case(*[(starts_inside(within(widest, period)), i) for i, period in enumerate(periods)],
                 else_=None)
    result = _percentiles(which, which.is_not(None), Bounds(widest), widest, scope)
    return [result.get(i) for i in range(len(periods))]


def _percentiles(key, condition, bounds: Bounds, found, scope: Scope, join_facility: bool = False) -> dict:
    """{key: (median, p90, n)} of the decisions on bookings starting within ``bounds`` that meet
    ``condition``: row_number over each key's lead times, the rows at the two nearest ranks."""
    leads = select(key.label("g"), (epoch(Booking.decided_at) - epoch(Booking.created_at)).label("lead"))
    if join_facility:  # the key is the facility's kind or chain
        leads = leads.join(Facility, Facility.id == Booking.facility_id)
    leads = in_scope(
        leads.where(Booking.decided_at.is_not(None), Booking.decided_by_id.is_not(None),
                    Booking.start_at >= bounds.lo_dt, Booking.start_at < bounds.hi_dt, condition),
        found, scope, False).subquery()
    # Lead times repeat (whole seconds, usually whole minutes): the window runs over each key's
    # distinct values with their counts, not over every decision. A value holds the ranks from
    # (decisions before it) + 1 to (decisions up to it).
    counted = select(leads.c.g, leads.c.lead, func.count().label("c")).group_by(leads.c.g, leads.c.lead).subquery()
    ranked = select(counted.c.g, counted.c.lead, counted.c.c,
                    cast(func.sum(counted.c.c).over(partition_by=counted.c.g, order_by=counted.c.lead,
                                                    rows=(None, 0)), BigInteger).label("upto"),
                    cast(func.sum(counted.c.c).over(partition_by=counted.c.g), BigInteger).label("n")).subquery()
    median_rank, p90_rank = (ranked.c.n * 50 + 99) // 100, (ranked.c.n * 90 + 99) // 100

    def holds(rank):
        return and_(ranked.c.upto >= rank, ranked.c.upto - ranked.c.c < rank)

    result: dict = {}
    for g, lead, n, is_median, is_p90 in db.session.execute(
            select(ranked.c.g, ranked.c.lead, ranked.c.n, holds(median_rank), holds(p90_rank))
            .where(or_(holds(median_rank), holds(p90_rank)))):
        median, p90, _n = result.get(g, (None, None, n))
        hours = max(lead, 0) / HOUR
        result[g] = (hours if is_median else median, hours if is_p90 else p90, n)
    return result


def nearest_rank(values: list[float], percent: int) -> float | None:
    """The nearest-rank percentile, as the SQL above computes it (for tests and checks)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(ceil(len(ordered) * percent / 100), 1) - 1]


# --- occupancy heatmap ---------------------------------------------------------------------------

@dataclass
class Heatmap:
    booked_s: list[list[float]]     # [weekday 0 = Monday][hour]
    available_s: list[list[float]]

    def share(self, day: int, hour: int) -> float | None:
        available = self.available_s[day][hour]
        return self.booked_s[day][hour] / available if available else None


def heatmap(scope: Scope, period: Period, facilities: list[Facility] | None = None) -> Heatmap:
    """Booked hours per local weekday and hour, against bookable hours (closures not deducted). Local
    time uses each facility's UTC offset at the start of the period (zones with daylight saving
    time shift by an hour for part of a period that crosses a change).

    SQL groups the booked intervals by the minute of the week they start and end at; a running sum
    over the 10 080 minutes of a week then gives how many bookings cover each minute.
    """
    facilities = facilities_in(scope) if facilities is None else facilities
    found = places(facilities, period)
    booked = [[0.0] * 24 for _ in range(7)]
    available = [[0.0] * 24 for _ in range(7)]
    counts = weekday_counts(period.start, period.end)
    for place in found:
        for day, spans in place.windows.items():
            for start, end in spans:
                for hour in range(start // 60, ceil(end / 60)):
                    minutes = min(end, (hour + 1) * 60) - max(start, hour * 60)
                    available[day][hour] += 60.0 * counts[day] * minutes
    if not found:
        return Heatmap(booked, available)
    bounds = Bounds(found)
    lo, hi = bounds.lo(Booking.facility_id), bounds.hi(Booking.facility_id)
    offset = bounds.offset_minutes(Booking.facility_id)
    s, e = epoch(Booking.start_at), epoch(Booking.end_at)

    clipped = in_scope(
        select(greatest(s, lo).label("cs"), least(e, hi).label("ce"), offset.label("offset"))
        .where(Booking.status.in_(BOOKED), bounds.overlapping()),
        found, scope, False).subquery()

    def week_minute(seconds):
        return cast(seconds // 60 + clipped.c.offset + EPOCH_WEEK_MINUTE, BigInteger) % WEEK_MINUTES

    start_minute, end_minute = week_minute(clipped.c.cs), week_minute(clipped.c.ce)
    cover = [0] * (WEEK_MINUTES + 1)
    wraps = 0
    for first, last, n in db.session.execute(
            select(start_minute, end_minute, func.count()).where(clipped.c.ce > clipped.c.cs)
            .group_by(start_minute, end_minute)):
        first, last = int(first), int(last)
        cover[first] += n
        cover[last] -= n
        if last <= first:
            wraps += n
    running = wraps
    for minute in range(WEEK_MINUTES):
        running += cover[minute]
        if running:
            booked[minute // MINUTES_PER_DAY][minute % MINUTES_PER_DAY // 60] += 60.0 * running
    return Heatmap(booked, available)
