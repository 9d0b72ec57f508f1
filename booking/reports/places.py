"""Where and when a report looks: the facilities in scope, the period's bounds in each facility's
time zone (as Python values and as SQL expressions), and each facility's available time."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.orm import selectinload

from ..bookings.models import APPROVED, CHECKED_IN, COMPLETED, Booking
from ..bookings.spans import current_longest_block
from ..extensions import db
from ..facilities.models import Closure, Facility
from ..facilities.rules import bookable_intervals, merge, subtract
from ..timeutil import local_at
from .query import Period, Scope
from .sql import greatest, least

# Bookings whose time counts as booked.
BOOKED = (APPROVED, CHECKED_IN, COMPLETED)
HOUR = 3600


@dataclass
class Place:
    facility: Facility
    lo: datetime   # the period's bounds in the facility's local time, as UTC
    hi: datetime
    closures: list[tuple[datetime, datetime]]

    @property
    def windows(self) -> dict[int, list[tuple[int, int]]]:
        by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for window in self.facility.hours:
            by_day[window.weekday].append((window.start_minute, window.end_minute))
        return {day: _merge_minutes(spans) for day, spans in by_day.items()}


def _merge_minutes(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def facilities_in(scope: Scope) -> list[Facility]:
    query = (select(Facility).where(Facility.active.is_(True)).options(selectinload(Facility.hours))
             .order_by(Facility.chain_id, Facility.name))
    if scope.chain_ids is not None:
        query = query.where(Facility.chain_id.in_(scope.chain_ids))
    if scope.kinds is not None:
        query = query.where(Facility.kind.in_(scope.kinds))
    if scope.facility_ids is not None:
        query = query.where(Facility.id.in_(scope.facility_ids))
    return list(db.session.scalars(query))


def places(facilities: list[Facility], period: Period) -> list[Place]:
    """Each facility with the period's bounds in its time zone and the closures inside them."""
    found = [Place(f, local_at(period.start, 0, f.tz), local_at(period.end, 0, f.tz), []) for f in facilities]
    if found:
        lo, hi = min(p.lo for p in found), max(p.hi for p in found)
        by_id = {p.facility.id: p for p in found}
        closures = db.session.execute(
            select(Closure.facility_id, Closure.start_at, Closure.end_at)
            .where(Closure.facility_id.in_(by_id), Closure.start_at < hi, Closure.end_at > lo))
        for facility_id, start, end in closures:
            place = by_id[facility_id]
            start, end = max(start, place.lo), min(end, place.hi)
            if start < end:
                place.closures.append((start, end))
        for place in found:
            place.closures = merge(place.closures)
    return found


def starts_inside(found: list[Place]):
    """Bookings that start in the period of their facility (compared as stored: no conversion per row)."""
    groups: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for p in found:
        groups[(p.lo, p.hi)].append(p.facility.id)
    if len(groups) == 1:
        (lo, hi), = groups
        return and_(Booking.start_at >= lo, Booking.start_at < hi)
    return or_(*[and_(Booking.facility_id.in_(ids), Booking.start_at >= lo, Booking.start_at < hi)
                 for (lo, hi), ids in groups.items()])


def within(found: list[Place], period: Period) -> list[Place]:
    """The places for a part of the period they were found for, without asking the database again:
    the part's bounds, and the closures clipped to them."""
    parts = []
    for place in found:
        tz = place.facility.tz
        lo, hi = local_at(period.start, 0, tz), local_at(period.end, 0, tz)
        closures = [(max(s, lo), min(e, hi)) for s, e in place.closures if max(s, lo) < min(e, hi)]
        parts.append(Place(place.facility, lo, hi, merge(closures)))
    return parts


def _fixed_offset(tz, lo: datetime, hi: datetime) -> bool:
    probe, offset = lo, lo.astimezone(tz).utcoffset()
    while probe < hi:
        probe += timedelta(days=28)
        if min(probe, hi).astimezone(tz).utcoffset() != offset:
            return False
    return True


def weekday_counts(start: date, end: date) -> list[int]:
    """How many Mondays, Tuesdays, ... lie in [start, end)."""
    days = (end - start).days
    counts = [days // 7] * 7
    for i in range(days % 7):
        counts[(start.weekday() + i) % 7] += 1
    return counts


def _seconds(intervals) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


def _bookable_seconds(windows: dict, offset: float, start: datetime, end: datetime) -> float:
    """Bookable seconds in [start, end) for a zone with a fixed UTC offset (integer arithmetic)."""
    first, last = start.timestamp() + offset, end.timestamp() + offset
    total = 0.0
    for day in range(int(first // 86400), int((last - 1) // 86400) + 1):
        midnight = day * 86400
        for s, e in windows.get((day + 3) % 7, ()):   # the epoch's day 0 was a Thursday
            total += max(0.0, min(last, midnight + e * 60) - max(first, midnight + s * 60))
    return total


def available_seconds(place: Place, period: Period) -> float:
    """Bookable hours in the period minus closures, in seconds."""
    f, windows = place.facility, place.windows
    if _fixed_offset(f.tz, place.lo, place.hi):
        counts = weekday_counts(period.start, period.end)
        offset = place.lo.astimezone(f.tz).utcoffset().total_seconds()
        total = 60.0 * sum(counts[day] * sum(e - s for s, e in spans) for day, spans in windows.items())
        return total - sum(_bookable_seconds(windows, offset, start, end) for start, end in place.closures)
    total = _seconds(bookable_intervals(f, f.hours, place.lo, place.hi))
    return total - sum(_seconds(bookable_intervals(f, f.hours, start, end)) for start, end in place.closures)


def outside_seconds(place: Place, intervals: list[tuple[datetime, datetime]]) -> float:
    """The part of ``intervals`` (merged here) that lies outside bookable hours or inside a closure."""
    total = 0.0
    for start, end in merge((max(s, place.lo), min(e, place.hi)) for s, e in intervals):
        if start < end:
            inside = subtract(bookable_intervals(place.facility, place.facility.hours, start, end), place.closures)
            total += (end - start).total_seconds() - _seconds(inside)
    return total


# --- the period in SQL ---------------------------------------------------------------------------

class Bounds:
    """The period's bounds per facility as SQL expressions: one bind value per time zone."""

    def __init__(self, places: list[Place]):
        self.places = places
        by_bounds: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        for p in places:
            by_bounds[(p.lo, p.hi)].append(p.facility.id)
        self.groups = by_bounds
        self.lo_dt = min(p.lo for p in places)
        self.hi_dt = max(p.hi for p in places)
        # No booking blocks longer than its facility's longest block: this bounds the index range
        # scanned from below as well as from above (see bookings/spans.py). Read now, not from the
        # loaded facilities: a report never misses a booking written since they were loaded.
        self.longest = current_longest_block(by_id for ids in by_bounds.values() for by_id in ids)
        self.earliest_start = self.lo_dt - self.longest

    def starts_inside(self):
        """Bookings that start in the period of their facility."""
        return starts_inside(self.places)

    def overlapping(self):
        """Bookings that overlap the period of some facility."""
        return and_(Booking.start_at < self.hi_dt, Booking.start_at > self.earliest_start,
                    Booking.end_at > self.lo_dt)

    def _pick(self, facility_col, index: int, convert=lambda v: int(v.timestamp())):
        if len(self.groups) == 1:
            return literal(convert(next(iter(self.groups))[index]))
        return case(*[(facility_col.in_(ids), literal(convert(bounds[index])))
                      for bounds, ids in self.groups.items()], else_=literal(0))

    def lo(self, facility_col):
        return self._pick(facility_col, 0)

    def hi(self, facility_col):
        return self._pick(facility_col, 1)

    def offset_minutes(self, facility_col):
        """Each facility's UTC offset (at the period's start), for local weekday and hour."""
        by_offset: dict[int, list[int]] = defaultdict(list)
        for p in self.places:
            by_offset[int(p.lo.astimezone(p.facility.tz).utcoffset().total_seconds() // 60)].append(p.facility.id)
        if len(by_offset) == 1:
            return literal(next(iter(by_offset)))
        return case(*[(facility_col.in_(ids), literal(offset)) for offset, ids in by_offset.items()],
                    else_=literal(0))


def in_scope(query, places: list[Place], scope: Scope, all_facilities: bool):
    if not all_facilities:
        query = query.where(Booking.facility_id.in_([p.facility.id for p in places]))
    if scope.enterprise_ids is not None:
        query = query.where(Booking.enterprise_id.in_(scope.enterprise_ids))
    return query


def clip(start, end, lo, hi):
    return greatest(least(end, hi) - greatest(start, lo), 0)
