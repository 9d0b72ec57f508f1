"""When things happen: approval lead times (median and 90th percentile) and the weekday × hour
occupancy heatmap, each one SQL query.

Stored months (rollup.py) hold both for a facility's closed month: the lead times as a count per
distinct value (the nearest ranks stay exact) and the booked minutes per hour of the week; the
queries read them instead of the month's bookings, and the bookings for the rest.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from sqlalchemy import BigInteger, and_, case, cast, false, func, literal, or_, select, union_all

from ..bookings.models import Booking
from ..extensions import db
from ..facilities.models import Facility
from ..timeutil import MINUTES_PER_DAY, local_at, utcnow
from . import rollup
from .models import ReportMonthLead
from .places import (
    BOOKED,
    HOUR,
    Bounds,
    Place,
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
LEAD_BUCKET = 3600  # seconds: lead times are first counted per hour
# 1970-01-01 was a Thursday: minute 0 of the epoch is minute 3 × 1440 of a Monday-first week.
EPOCH_WEEK_MINUTE = 3 * MINUTES_PER_DAY


# --- approval lead time ------------------------------------------------------------------------

GROUP_COLUMNS = {"facility": Booking.facility_id, "enterprise": Booking.enterprise_id, "kind": Facility.kind,
                 "chain": Facility.chain_id}


def lead_times(scope: Scope, period: Period, group_by: str | None = None,
               facilities: list[Facility] | None = None, now: datetime | None = None,
               stored: dict | None = None) -> dict:
    """{group: (median hours, 90th percentile hours, decisions)} by the nearest-rank method, for the
    bookings starting in the period that a person decided (approved or rejected; facilities that need
    no approval decide at once and are left out); group None: all. ``stored``: ``rollup.stored_months``
    of the period, when already read."""
    facilities = facilities_in(scope) if facilities is None else facilities
    found = places(facilities, period)
    if not found:
        return {}
    bounds = Bounds(found)
    kept = _stored(scope, found, [period], now, stored) if group_by != "enterprise" else None
    if group_by == "month":  # one query whatever the number of months
        months = month_periods(period)
        which = case(*[(starts_inside(within(found, month)), i) for i, month in enumerate(months)],
                     else_=None)
        kept_which = case(*[(ReportMonthLead.month == month.start, i) for i, month in enumerate(months)], else_=None)
        result = _percentiles(which, which.is_not(None), bounds, found, scope, stored=kept, kept_key=kept_which)
        return {month.start.strftime("%Y-%m"): result[i] for i, month in enumerate(months) if i in result}
    key = GROUP_COLUMNS[group_by] if group_by else literal(0)
    kept_key = {"facility": ReportMonthLead.facility_id, "kind": Facility.kind, "chain": Facility.chain_id,
                None: literal(0)}.get(group_by)
    result = _percentiles(key, bounds.starts_inside(), bounds, found, scope, group_by in ("kind", "chain"),
                          kept, kept_key, per_bucket=group_by in ("facility", "enterprise") and _hash_joins())
    return result if group_by else {None: result[0]} if result else {}


def lead_totals(scope: Scope, periods: list[Period], facilities: list[Facility] | None = None,
                now: datetime | None = None, stored: dict | None = None) -> list:
    """(median hours, 90th percentile hours, decisions) of each period, or None, in one query."""
    facilities = facilities_in(scope) if facilities is None else facilities
    if not facilities:
        return [None] * len(periods)
    widest = places(facilities, Period(min(p.start for p in periods), max(p.end for p in periods)))
    which = case(*[(starts_inside(within(widest, period)), i) for i, period in enumerate(periods)],
                 else_=None)
    kept = _stored(scope, widest, periods, now, stored)
    kept_which = case(*[(ReportMonthLead.month.in_([m.start for m in month_periods(period)]), i)
                        for i, period in enumerate(periods)], else_=None)
    result = _percentiles(which, which.is_not(None), Bounds(widest), widest, scope, stored=kept, kept_key=kept_which)
    return [result.get(i) for i in range(len(periods))]


def _stored(scope: Scope, found: list[Place], periods: list[Period], now: datetime | None,
            stored: dict | None) -> tuple[dict[Period, list[int]], list[tuple[Period, list[int]]]]:
    """({month: ids of the facilities that stored it}, [(piece, facility ids) left to read from the
    bookings]) for ``periods``: stored months are read where they may be (not for one enterprise's view:
    they hold every enterprise)."""
    ids = [p.facility.id for p in found]
    if scope.enterprise_ids is not None or not found:
        return {}, [(period, ids) for period in periods]
    splits = [rollup.split(period, now or utcnow()) for period in periods]
    months = [m for ms, _rest in splits for m in ms]
    if stored is None:
        stored = rollup.stored_months(db.session, ids, months)
    kept = {m: [f for f in ids if (f, m.start) in stored] for m in months}
    missing = {m: [f for f in ids if (f, m.start) not in stored] for m in months}
    todo = rollup.runs({m: fs for m, fs in missing.items() if fs}) + [(piece, ids) for _ms, rest in splits
                                                                       for piece in rest]
    return {m: fs for m, fs in kept.items() if fs}, todo


def _percentiles(key, condition, bounds: Bounds, found, scope: Scope, join_facility: bool = False,
                 stored: tuple | None = None, kept_key=None, per_bucket: bool = False) -> dict:
    """{key: (median, p90, n)} of the decisions on bookings starting within ``bounds`` that meet
    ``condition``: row_number over each key's lead times, the rows at the two nearest ranks. The
    months of ``stored`` (``_stored``) are read from their stored counts instead (``kept_key`` is
    ``key`` for those rows), the bookings only for the pieces left. ``per_bucket`` for many keys (a
    facility's lead times hardly repeat: the window would run over nearly every decision)."""
    kept, todo = stored or ({}, [])
    leads = select(key.label("g"), (epoch(Booking.decided_at) - epoch(Booking.created_at)).label("lead"),
                   literal(1).label("c"))
    if join_facility:  # the key is the facility's kind or chain
        leads = leads.join(Facility, Facility.id == Booking.facility_id)
    leads = in_scope(
        leads.where(Booking.decided_at.is_not(None), Booking.decided_by_id.is_not(None),
                    Booking.start_at >= bounds.lo_dt, Booking.start_at < bounds.hi_dt, condition),
        found, scope, False)
    if kept:
        by_id = {p.facility.id: p for p in found}
        # (the facility ids only where not all: the in_scope ids stated twice make PostgreSQL pick a worse index)
        leads = leads.where(or_(false(), *[
            starts_inside(within(found, piece)) if len(ids) == len(found)
            else and_(Booking.facility_id.in_(ids), starts_inside(within([by_id[f] for f in ids], piece)))
            for piece, ids in todo]))
        runs = rollup.runs(kept)
        from_store = select(kept_key.label("g"), ReportMonthLead.lead_s.label("lead"), ReportMonthLead.n.label("c"))
        if join_facility:
            from_store = from_store.join(Facility, Facility.id == ReportMonthLead.facility_id)
        leads = union_all(leads, from_store.where(or_(*[
            and_(ReportMonthLead.facility_id.in_(ids), ReportMonthLead.month >= run.start,
                 ReportMonthLead.month < run.end) for run, ids in runs])))
    if not per_bucket:
        return _ranked(leads.subquery())
    leads = leads.cte("leads")
    # Two steps in one query: each key's decisions counted per hour of lead time (a bucket) find the
    # buckets that hold the two nearest ranks; only those buckets' distinct values are read, with the
    # decisions before them, and walked here to the exact values.
    bucket = leads.c.lead // LEAD_BUCKET  # ordered like the values
    counted = (select(leads.c.g, bucket.label("b"), func.sum(leads.c.c).label("c"))
               .group_by(leads.c.g, bucket).subquery())
    ranked, holds = _running_counts(counted, counted.c.b)
    picked = (select(ranked.c.g, ranked.c.b, (ranked.c.upto - ranked.c.c).label("before"), ranked.c.n)
              .where(or_(holds(50), holds(90))).subquery())
    rows = db.session.execute(
        select(picked.c.g, picked.c.b, picked.c.before, picked.c.n, leads.c.lead, func.sum(leads.c.c))
        .join(leads, and_(leads.c.g == picked.c.g, bucket == picked.c.b))
        .group_by(picked.c.g, picked.c.b, picked.c.before, picked.c.n, leads.c.lead)
        .order_by(picked.c.g, picked.c.b, leads.c.lead)).all()
    result: dict = {}
    at = None
    for g, b, before, n, lead, c in rows:
        if (g, b) != at:
            at, upto = (g, b), before
        upto += c
        median, p90, _n = result.get(g, (None, None, n))
        hours = max(lead, 0) / HOUR
        for percent in (50, 90):
            rank = (n * percent + 99) // 100
            if upto >= rank > upto - c:
                median, p90 = (hours, p90) if percent == 50 else (median, hours)
        result[g] = (median, p90, n)
    return result


def _running_counts(counted, order):
    """Each key's (``g``) counted rows in ``order`` with the decisions up to them (``upto``) and the key's
    total (``n``), and ``holds(percent)``: whether a row holds that percentile's nearest rank."""
    ranked = select(counted.c.g, order, counted.c.c,
                    cast(func.sum(counted.c.c).over(partition_by=counted.c.g, order_by=order,
                                                    rows=(None, 0)), BigInteger).label("upto"),
                    cast(func.sum(counted.c.c).over(partition_by=counted.c.g), BigInteger).label("n")).subquery()

    def holds(percent: int):
        rank = (ranked.c.n * percent + 99) // 100
        return and_(ranked.c.upto >= rank, ranked.c.upto - ranked.c.c < rank)

    return ranked, holds


def _hash_joins() -> bool:
    """SQLite joins the buckets back to the lead times by nested loops: there, one window over the
    distinct values is faster."""
    return db.session.get_bind().dialect.name == "postgresql"


def _ranked(leads) -> dict:
    # Lead times repeat (whole seconds, usually whole minutes): the window runs over each key's
    # distinct values with their counts, not over every decision. A value holds the ranks from
    # (decisions before it) + 1 to (decisions up to it).
    counted = (select(leads.c.g, leads.c.lead, func.sum(leads.c.c).label("c"))
               .group_by(leads.c.g, leads.c.lead).subquery())
    ranked, holds = _running_counts(counted, counted.c.lead)
    result: dict = {}
    for g, lead, n, is_median, is_p90 in db.session.execute(
            select(ranked.c.g, ranked.c.lead, ranked.c.n, holds(50), holds(90))
            .where(or_(holds(50), holds(90)))):
        median, p90, _n = result.get(g, (None, None, n))
        hours = max(lead, 0) / HOUR
        result[g] = (hours if is_median else median, hours if is_p90 else p90, n)
    return result


def month_leads(found: list[Place]) -> list[tuple[int, int, int]]:
    """(facility id, lead seconds, decisions) of the decisions on bookings starting in ``found``'s
    period (one month, to be stored)."""
    lead = epoch(Booking.decided_at) - epoch(Booking.created_at)
    return [tuple(row) for row in db.session.execute(
        select(Booking.facility_id, lead, func.count())
        .where(Booking.facility_id.in_([p.facility.id for p in found]), Booking.decided_at.is_not(None),
               Booking.decided_by_id.is_not(None), starts_inside(found))
        .group_by(Booking.facility_id, lead))]


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


def heatmap(scope: Scope, period: Period, facilities: list[Facility] | None = None,
            now: datetime | None = None, stored: dict | None = None) -> Heatmap:
    """Booked hours per local weekday and hour, against bookable hours (closures not deducted). Local
    time uses each facility's UTC offset at the start of the period (zones with daylight saving
    time shift by an hour for part of a period that crosses a change).

    A facility that stored every month of the period (at the same offset) adds its stored minutes;
    the others' are computed from the bookings (``heat_minutes``)."""
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
    months = rollup.split(period, now or utcnow())[0] if scope.enterprise_ids is None else []
    if not (months and months[0].start == period.start and months[-1].end == period.end):
        months = []
    if months and stored is None:
        stored = rollup.stored_months(db.session, [p.facility.id for p in found], months)
    parts, rest = [[0] * (WEEK_MINUTES // 60)], []
    offsets: dict = {}  # per time zone: the UTC offset at the start of the period, and of each month

    def offset(tz, day):
        if (tz, day) not in offsets:
            offsets[(tz, day)] = local_at(day, 0, tz).astimezone(tz).utcoffset()
        return offsets[(tz, day)]

    for place in found:
        heats = [stored.get((place.facility.id, m.start)) for m in months] if months else [None]
        tz = place.facility.tz
        if all(heats) and all(offset(tz, m.start) == offset(tz, period.start) for m in months):
            parts += [list(map(int, heat.split(","))) for heat in heats]
        else:
            rest.append(place)
    if rest:
        parts += list(heat_minutes(rest, scope).values())
    cells = [sum(column) for column in zip(*parts)]
    for hour, minutes in enumerate(cells):
        booked[hour // 24][hour % 24] = 60.0 * minutes
    return Heatmap(booked, available)


def heat_minutes(found: list[Place], scope: Scope, per_facility: bool = False) -> dict:
    """{facility id (0: all together): booked minutes per hour of the week} in ``found``'s period.

    SQL groups the booked intervals by the minute of the week they start and end at; a running sum
    over the minutes of a week then gives how many bookings cover each minute."""
    bounds = Bounds(found)
    lo, hi = bounds.lo(Booking.facility_id), bounds.hi(Booking.facility_id)
    offset = bounds.offset_minutes(Booking.facility_id)
    s, e = epoch(Booking.start_at), epoch(Booking.end_at)
    key = Booking.facility_id if per_facility else literal(0)
    clipped = in_scope(
        select(key.label("key"), greatest(s, lo).label("cs"), least(e, hi).label("ce"), offset.label("offset"))
        .where(Booking.status.in_(BOOKED), bounds.overlapping()),
        found, scope, False).subquery()

    def week_minute(seconds):
        return cast(seconds // 60 + clipped.c.offset + EPOCH_WEEK_MINUTE, BigInteger) % WEEK_MINUTES

    start_minute, end_minute = week_minute(clipped.c.cs), week_minute(clipped.c.ce)
    spans: dict = defaultdict(list)
    for f, first, last, n in db.session.execute(
            select(clipped.c.key, start_minute, end_minute, func.count()).where(clipped.c.ce > clipped.c.cs)
            .group_by(clipped.c.key, start_minute, end_minute)):
        spans[f].append((int(first), int(last), n))
    return {f: _minutes(items) for f, items in spans.items()}


def _minutes(spans: list[tuple[int, int, int]]) -> list[int]:
    """Covered minutes per hour of the week of (first minute, last minute, count) spans (one that ends at
    or before its first minute wraps past the end of the week)."""
    cover: dict[int, int] = defaultdict(int)
    running = 0
    for first, last, n in spans:
        cover[first] += n
        cover[last] -= n
        if last <= first:
            running += n
    cells = [0] * (WEEK_MINUTES // 60)
    at = 0
    for point in sorted(cover) + [WEEK_MINUTES]:
        if running:  # [at, point) is covered ``running`` times
            for hour in range(at // 60, ceil(point / 60)):
                cells[hour] += running * (min(point, (hour + 1) * 60) - max(at, hour * 60))
        running += cover.get(point, 0)
        at = point
    return cells
