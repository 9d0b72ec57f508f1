"""The committee's numbers, computed by SQL aggregates (bookings never travel to Python).

Definitions (../shared/DESIGN.md, shown on the report page):

* Available hours A: the facility's bookable hours in the period minus its closures, in the
  facility's own time zone. Every facility in scope counts, booked or not.
* Booked hours: approved, checked-in and completed bookings clipped to the period, overlaps merged,
  and clipped to bookable hours outside closures. Booked utilization = booked ÷ A.
* Actual hours: check-in to check-out (to now while checked in) clipped to the period.
  Actual utilization = actual ÷ A. Show-up efficiency = actual hours inside the booked slot ÷ booked slot hours.
* No-show rate = no-shows ÷ bookings that reached their start (approved, checked in, completed, no-show).
* Counts, money and output belong to the period of the booking's start.
* Cost: the shared amount and the reference amount of the bookings' use charges; savings = reference −
  shared; fees (no-show, late cancellation) are reported apart.
* Efficiency uplift = output ÷ (actual hours × the enterprise's stand-alone output per hour) − 1, over
  completed bookings with recorded output whose enterprise has a baseline for the facility's kind.

Only a handful of bookings are read one by one: those booked over a manager's override or that
overlap a closure, the only ones that can lie outside available time. Bookable hours are the ones
configured now, and a booking is assumed to last no longer than its facility's longest booking
(the rules refuse longer ones), which lets the index bound the scan on both sides.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from math import ceil

from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.orm import selectinload

from ..billing.models import LATE_CANCEL, NO_SHOW_FEE, USE, Charge, EnterpriseBaseline
from ..bookings.models import (
    APPROVED,
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    NO_SHOW,
    Booking,
)
from ..extensions import db
from ..facilities.models import Closure, Facility
from ..facilities.rules import bookable_intervals, merge, subtract
from ..organisation.models import Enterprise, chain_enterprises
from ..timeutil import MINUTES_PER_DAY, local_at, utcnow
from ..usage.models import UsageRecord
from .query import Period, Scope
from .sql import epoch, greatest, least

BOOKED = (APPROVED, CHECKED_IN, COMPLETED)
COUNTED = BOOKED + (NO_SHOW,)
HOUR = 3600
WEEK_MINUTES = 7 * MINUTES_PER_DAY
ZERO = Decimal("0.00")
# 1970-01-01 was a Thursday: minute 0 of the epoch is minute 3 × 1440 of a Monday-first week.
EPOCH_WEEK_MINUTE = 3 * MINUTES_PER_DAY


@dataclass
class Figures:
    """One row of a report: additive parts, and the ratios derived from them."""
    facilities: int = 0
    available_s: float = 0.0
    booked_s: float = 0.0        # utilization's numerator
    slot_s: float = 0.0          # booked slots clipped to the period and to now (show-up's denominator)
    actual_s: float = 0.0
    in_slot_s: float = 0.0       # actual time inside the booked slot
    reached: int = 0
    no_shows: int = 0
    sessions: int = 0
    output: float = 0.0          # where a baseline exists
    expected_output: float = 0.0
    cost_shared: Decimal = ZERO
    cost_reference: Decimal = ZERO
    fees: Decimal = ZERO
    enterprises: set[int] = field(default_factory=set)  # served: with a completed booking
    weeks: float = 0.0

    def add(self, other: Figures) -> Figures:
        for name in ("facilities", "available_s", "booked_s", "slot_s", "actual_s", "in_slot_s", "reached",
                     "no_shows", "sessions", "output", "expected_output", "cost_shared", "cost_reference", "fees"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.enterprises |= other.enterprises
        self.weeks = max(self.weeks, other.weeks)
        return self

    @property
    def available_hours(self) -> float:
        return self.available_s / HOUR

    @property
    def booked_hours(self) -> float:
        return self.booked_s / HOUR

    @property
    def actual_hours(self) -> float:
        return self.actual_s / HOUR

    @property
    def booked_utilization(self) -> float | None:
        return self.booked_s / self.available_s if self.available_s else None

    @property
    def actual_utilization(self) -> float | None:
        return self.actual_s / self.available_s if self.available_s else None

    @property
    def show_up_efficiency(self) -> float | None:
        return self.in_slot_s / self.slot_s if self.slot_s else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.reached if self.reached else None

    @property
    def savings(self) -> Decimal:
        return self.cost_reference - self.cost_shared

    @property
    def savings_rate(self) -> float | None:
        return float(self.savings / self.cost_reference) if self.cost_reference else None

    @property
    def uplift(self) -> float | None:
        return self.output / self.expected_output - 1 if self.expected_output else None

    @property
    def enterprises_served(self) -> int:
        return len(self.enterprises)

    @property
    def sessions_per_facility_week(self) -> float | None:
        return self.sessions / self.facilities / self.weeks if self.facilities and self.weeks else None


# --- the facilities in scope, their time zones and available hours ----------------------------

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


# --- SQL --------------------------------------------------------------------------------------

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
        # No booking lasts longer than its facility's longest booking: this bounds the index range
        # scanned from below as well as from above.
        self.longest_minutes = max(p.facility.max_minutes for p in places) + 1
        self.earliest_start = self.lo_dt - timedelta(minutes=self.longest_minutes)

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


def _in_scope(query, places: list[Place], scope: Scope, all_facilities: bool):
    if not all_facilities:
        query = query.where(Booking.facility_id.in_([p.facility.id for p in places]))
    if scope.enterprise_ids is not None:
        query = query.where(Booking.enterprise_id.in_(scope.enterprise_ids))
    return query


def _clip(start, end, lo, hi):
    return greatest(least(end, hi) - greatest(start, lo), 0)


def _per_pair(places: list[Place], bounds: Bounds, scope: Scope, all_facilities: bool, now: datetime):
    """Per (facility, enterprise): time, counts, output and money, in one query.

    The inner query, over bookings alone, finds with a window function the furthest end booked
    before each booking on the same facility, so that each booking adds only the booked time past
    it: overlaps are merged. It is kept narrow because the window sorts what it carries; the outer
    query joins the usage record, the charge and the baseline and sums."""
    lo, hi = bounds.lo(Booking.facility_id), bounds.hi(Booking.facility_id)
    booked = Booking.status.in_(BOOKED)
    rows = _in_scope(
        select(Booking.id.label("id"), Booking.facility_id.label("f"), Booking.enterprise_id.label("en"),
               Booking.status.label("status"), epoch(Booking.start_at).label("s"), epoch(Booking.end_at).label("e"),
               lo.label("lo"), hi.label("hi"),
               func.max(case((booked, least(epoch(Booking.end_at), hi)), else_=None)).over(
                   partition_by=Booking.facility_id, order_by=(Booking.start_at, Booking.id), rows=(None, -1))
               .label("before"))
        .where(Booking.status.in_(COUNTED + (CANCELLED,)), bounds.overlapping()),
        places, scope, all_facilities).subquery()
    r = rows.c
    booked = r.status.in_(BOOKED)
    a_s = epoch(UsageRecord.actual_start)
    a_e = func.coalesce(epoch(UsageRecord.actual_end), literal(int(now.timestamp())))
    used = UsageRecord.actual_start.is_not(None)
    cs, ce = greatest(r.s, r.lo), least(r.e, r.hi)
    starts_inside = and_(r.s >= r.lo, r.s < r.hi)
    with_baseline = and_(starts_inside, r.status == COMPLETED, UsageRecord.actual_end.is_not(None),
                         UsageRecord.output_quantity.is_not(None), EnterpriseBaseline.output_per_hour > 0)
    is_use = and_(starts_inside, Charge.kind == USE)
    now_s = int(now.timestamp())

    def total(condition, value):
        return func.sum(case((condition, value), else_=0))

    return db.session.execute(
        select(r.f, r.en,
               total(booked, greatest(ce - greatest(cs, func.coalesce(r.before, cs)), 0)),
               total(booked, greatest(ce - cs, 0)),
               total(booked, greatest(least(ce, now_s) - cs, 0)),
               total(used, _clip(a_s, a_e, r.lo, r.hi)),
               total(and_(booked, used), _clip(a_s, a_e, cs, ce)),
               total(and_(starts_inside, r.status.in_(COUNTED), r.s <= int(now.timestamp())), 1),
               total(and_(starts_inside, r.status == NO_SHOW), 1),
               total(and_(starts_inside, r.status == COMPLETED), 1),
               total(with_baseline, UsageRecord.output_quantity),
               total(with_baseline, EnterpriseBaseline.output_per_hour * (a_e - a_s) / HOUR),
               total(is_use, Charge.amount),
               total(is_use, Charge.reference_amount),
               total(and_(starts_inside, Charge.kind.is_not(None), Charge.kind != USE), Charge.amount))
        .select_from(rows)
        .join(Facility, Facility.id == r.f)
        .outerjoin(UsageRecord, UsageRecord.booking_id == r.id)
        .outerjoin(EnterpriseBaseline, and_(EnterpriseBaseline.enterprise_id == r.en,
                                            EnterpriseBaseline.kind == Facility.kind))
        # At most one charge per booking: its use, its no-show fee or its late-cancellation fee.
        .outerjoin(Charge, and_(Charge.booking_id == r.id, Charge.kind == case(
            (r.status == COMPLETED, USE), (r.status == NO_SHOW, NO_SHOW_FEE), (r.status == CANCELLED, LATE_CANCEL),
            else_=None)))
        .group_by(r.f, r.en)).all()


def _suspects(bounds: Bounds, places: list[Place], scope: Scope, all_facilities: bool):
    """Booked time that may lie outside available time: overridden bookings, and bookings over one
    of the period's closures (each closure a range of the bookings' facility and start index)."""
    columns = (Booking.facility_id, Booking.enterprise_id, Booking.start_at, Booking.end_at)
    query = select(*columns).where(Booking.status.in_(BOOKED), bounds.overlapping(),
                                   Booking.rules_overridden.is_(True))
    longest = timedelta(minutes=bounds.longest_minutes)
    over_closures = [and_(Booking.facility_id == p.facility.id, Booking.start_at < end,
                          Booking.start_at > start - longest, Booking.end_at > start)
                     for p in places for start, end in p.closures]
    query = _in_scope(query, places, scope, all_facilities)
    if over_closures:
        query = query.union_all(_in_scope(
            select(*columns).where(Booking.status.in_(BOOKED), Booking.rules_overridden.is_(False), or_(*over_closures)),
            places, scope, all_facilities))
    return db.session.execute(query).all()


def _money_value(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0)).quantize(Decimal("0.01"))


# --- the reports ------------------------------------------------------------------------------

# The parts summed per (facility, enterprise), in this order.
(MERGED, RAW, SLOT, ACTUAL, IN_SLOT, REACHED, NO_SHOWS, SESSIONS, OUTPUT, EXPECTED, SHARED, REFERENCE, FEES,
 OUTSIDE) = range(14)


def _parts() -> list:
    return [0.0] * SHARED + [ZERO, ZERO, ZERO, 0.0]


@dataclass
class Base:
    """One period's sums per (facility, enterprise), the facilities' available time, and the booked
    time that lies outside it (merged per facility, and per booking for each enterprise)."""
    places: list[Place]
    available: dict[int, float]
    pairs: dict[tuple[int, int], list]
    outside: dict[int, float]
    weeks: float

    def _sums(self, key) -> tuple[dict, dict]:
        sums: dict = {}
        served: dict = defaultdict(set)
        for pair, parts in self.pairs.items():
            acc = sums.get(key(pair))
            if acc is None:
                acc = sums[key(pair)] = _parts()
            for i, value in enumerate(parts):
                acc[i] += value
            if parts[SESSIONS]:
                served[key(pair)].add(pair[1])
        return sums, served

    def _figures(self, parts: list, booked: float, available: float, facilities: int, served: set) -> Figures:
        return Figures(facilities=facilities, available_s=available, booked_s=booked, slot_s=parts[SLOT],
                       actual_s=parts[ACTUAL], in_slot_s=parts[IN_SLOT], reached=int(parts[REACHED]),
                       no_shows=int(parts[NO_SHOWS]), sessions=int(parts[SESSIONS]), output=parts[OUTPUT],
                       expected_output=parts[EXPECTED], cost_shared=parts[SHARED], cost_reference=parts[REFERENCE],
                       fees=parts[FEES], enterprises=served, weeks=self.weeks)

    def by_facility(self) -> dict[int, Figures]:
        """Booked time merged across the facility's enterprises."""
        sums, served = self._sums(lambda pair: pair[0])
        return {f: self._figures(parts, parts[MERGED] - self.outside.get(f, 0.0), self.available[f], 1, served[f])
                for f in self.available for parts in [sums.get(f) or _parts()]}

    def by_enterprise(self) -> dict[int, Figures]:
        """Each enterprise's booked time against every facility's available time."""
        sums, served = self._sums(lambda pair: pair[1])
        available = sum(self.available.values())
        return {en: self._figures(parts, parts[RAW] - parts[OUTSIDE], available, len(self.available), served[en])
                for en, parts in sums.items()}


def _report_memory() -> None:
    """PostgreSQL's default 4 MB per sort or hash sends a year of bookings to disk; a report's
    transaction gets more, without JIT compilation (``SET LOCAL`` ends with the transaction)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here


def base(scope: Scope, period: Period, facilities: list[Facility] | None = None,
         now: datetime | None = None) -> Base:
    now = now or utcnow()
    facilities = facilities_in(scope) if facilities is None else facilities
    found = places(facilities, period)
    result = Base(found, {p.facility.id: available_seconds(p, period) for p in found}, {}, {}, period.days / 7)
    if not found:
        return result
    pairs = result.pairs
    bounds = Bounds(found)
    _report_memory()
    everything = scope.chain_ids is None and scope.kinds is None and scope.facility_ids is None
    if everything and len(found) != db.session.scalar(select(func.count(Facility.id))):
        everything = False  # inactive facilities exist: keep to the listed ones
    for f, en, *sums in _per_pair(found, bounds, scope, everything, now):
        pairs[(f, en)] = [float(v or 0) for v in sums[:SHARED]] + [_money_value(v) for v in sums[SHARED:]] + [0.0]
    suspects: dict[int, list] = defaultdict(list)
    for f, en, start, end in _suspects(bounds, found, scope, everything):
        suspects[f].append((en, start, end))
    by_id = {p.facility.id: p for p in found}
    for f, items in suspects.items():
        place = by_id[f]
        result.outside[f] = outside_seconds(place, [(s, e) for _en, s, e in items])
        for en, start, end in items:
            pairs[(f, en)][OUTSIDE] += outside_seconds(place, [(start, end)])
    return result


def month_periods(period: Period) -> list[Period]:
    months, day = [], period.start
    while day < period.end:
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append(Period(day, min(following, period.end)))
        day = following
    return months


def utilization(scope: Scope, period: Period, group_by: str = "facility",
                now: datetime | None = None) -> tuple[dict, Figures]:
    """Rows keyed by the group (facility id, enterprise id, kind, chain id or "YYYY-MM") and the total."""
    if group_by == "month":
        facilities = facilities_in(scope)
        rows = {}
        for month in month_periods(period):
            rows[month.start.strftime("%Y-%m")] = _total(base(scope, month, facilities, now), "facility")
        total = Figures()
        for figures in rows.values():
            total.add(figures)
        total.weeks, total.facilities = period.days / 7, len(facilities)
        return rows, total
    found = base(scope, period, now=now)
    return group(found, group_by), _total(found, group_by)


def _total(found: Base, group_by: str) -> Figures:
    total = Figures(weeks=found.weeks)
    for figures in found.by_facility().values():
        total.add(figures)
    if group_by == "enterprise":
        # Per enterprise, booked hours are not merged across enterprises; keep the total consistent.
        total.booked_s = sum(f.booked_s for f in found.by_enterprise().values())
    return total


def group(found: Base, group_by: str) -> dict:
    if group_by == "enterprise":
        return found.by_enterprise()
    facilities = {p.facility.id: p.facility for p in found.places}
    key = {"facility": lambda f: f.id, "kind": lambda f: f.kind, "chain": lambda f: f.chain_id}[group_by]
    rows: dict = {}
    for facility_id, figures in found.by_facility().items():
        rows.setdefault(key(facilities[facility_id]), Figures(weeks=found.weeks)).add(figures)
    return rows


# --- fairness ----------------------------------------------------------------------------------

@dataclass
class Fairness:
    hours: dict[int, float]       # enterprise id → booked hours (every enterprise of the chains in scope)
    hhi: float | None             # Σ (100·sᵢ)², 0..10 000
    gini: float | None            # 0 (equal) .. 1
    total_hours: float = 0.0      # of every enterprise, also where ``hours`` shows only some

    def share(self, enterprise_id: int) -> float | None:
        return self.hours.get(enterprise_id, 0.0) / self.total_hours if self.total_hours else None


def hhi(values) -> float | None:
    total = sum(values)
    return sum((100 * v / total) ** 2 for v in values) if total else None


def gini(values) -> float | None:
    """Gini coefficient of non-negative values (mean absolute difference ÷ twice the mean)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if not n or not total:
        return None
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return 2 * weighted / (n * total) - (n + 1) / n


def fairness(scope: Scope, period: Period, found: Base | None = None, now: datetime | None = None) -> Fairness:
    """Booked hours per enterprise over the enterprises of the chains in scope (those with none count)."""
    found = found or base(scope, period, now=now)
    hours: dict[int, float] = defaultdict(float)
    for (_f, en), parts in found.pairs.items():
        hours[en] += (parts[RAW] - parts[OUTSIDE]) / HOUR
    chain_ids = {p.facility.chain_id for p in found.places}
    if chain_ids:
        members = select(chain_enterprises.c.enterprise_id).where(chain_enterprises.c.chain_id.in_(chain_ids))
        if scope.enterprise_ids is not None:
            members = members.where(chain_enterprises.c.enterprise_id.in_(scope.enterprise_ids))
        for enterprise_id in db.session.scalars(members.distinct()):
            hours.setdefault(enterprise_id, 0.0)
    values = [max(v, 0.0) for v in hours.values()]
    return Fairness(dict(hours), hhi(values), gini(values), sum(values))


# --- approval lead time ------------------------------------------------------------------------

GROUP_COLUMNS = {"facility": Booking.facility_id, "enterprise": Booking.enterprise_id, "kind": Facility.kind,
                 "chain": Facility.chain_id}


def lead_times(scope: Scope, period: Period, group_by: str | None = None,
               facilities: list[Facility] | None = None) -> dict:
    """{group: (median hours, 90th percentile hours, decisions)} by the nearest-rank method, for the
    bookings starting in the period that a person decided (approved or rejected; facilities that need
    no approval decide at once and are left out); group None: all."""
    if group_by == "month":
        facilities = facilities_in(scope) if facilities is None else facilities
        return {month.start.strftime("%Y-%m"): found
                for month in month_periods(period)
                for found in [lead_times(scope, month, None, facilities).get(None)] if found}
    facilities = facilities_in(scope) if facilities is None else facilities
    found = places(facilities, period)
    if not found:
        return {}
    bounds = Bounds(found)
    s = epoch(Booking.start_at)
    key = GROUP_COLUMNS[group_by] if group_by else literal(0)
    leads = _in_scope(
        select(key.label("g"), (epoch(Booking.decided_at) - epoch(Booking.created_at)).label("lead"))
        .join(Facility, Facility.id == Booking.facility_id)
        .where(Booking.decided_at.is_not(None), Booking.decided_by_id.is_not(None), Booking.start_at >= bounds.lo_dt, Booking.start_at < bounds.hi_dt,
               s >= bounds.lo(Booking.facility_id), s < bounds.hi(Booking.facility_id)),
        found, scope, False).subquery()
    ranked = select(leads.c.g, leads.c.lead,
                    func.row_number().over(partition_by=leads.c.g, order_by=leads.c.lead).label("rank"),
                    func.count().over(partition_by=leads.c.g).label("n")).subquery()
    median_rank, p90_rank = (ranked.c.n * 50 + 99) // 100, (ranked.c.n * 90 + 99) // 100
    result: dict = {}
    for g, lead, n, is_median, is_p90 in db.session.execute(
            select(ranked.c.g, ranked.c.lead, ranked.c.n, ranked.c.rank == median_rank, ranked.c.rank == p90_rank)
            .where(or_(ranked.c.rank == median_rank, ranked.c.rank == p90_rank))):
        key = g if group_by else None
        median, p90, _n = result.get(key, (None, None, n))
        hours = max(lead, 0) / HOUR
        result[key] = (hours if is_median else median, hours if is_p90 else p90, n)
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

    clipped = _in_scope(
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


# --- the whole report -----------------------------------------------------------------------------

@dataclass
class Report:
    scope: Scope
    period: Period
    group_by: str
    rows: dict
    total: Figures
    previous: Figures
    fairness: Fairness
    previous_fairness: Fairness
    lead: dict
    lead_total: tuple | None
    previous_lead: tuple | None
    heatmap: Heatmap
    facilities: list[Facility]


def report(scope: Scope, period: Period, group_by: str = "facility", now: datetime | None = None) -> Report:
    """Everything the report page shows, for the period and the one before it."""
    now = now or utcnow()
    facilities = facilities_in(scope)
    before = period.previous()
    if group_by == "month":
        rows, total = utilization(scope, period, "month", now)
        found = base(scope, period, facilities, now)
    else:
        found = base(scope, period, facilities, now)
        rows, total = group(found, group_by), _total(found, group_by)
    found_before = base(scope, before, facilities, now)
    previous = _total(found_before, group_by)
    lead = lead_times(scope, period, group_by, facilities)
    return Report(scope=scope, period=period, group_by=group_by, rows=rows, total=total, previous=previous,
                  fairness=fairness(scope, period, found), previous_fairness=fairness(scope, before, found_before),
                  lead=lead,
                  lead_total=lead_times(scope, period, None, facilities).get(None),
                  previous_lead=lead_times(scope, before, None, facilities).get(None),
                  heatmap=heatmap(scope, period, facilities), facilities=facilities)


def enterprise_names(ids) -> dict[int, Enterprise]:
    return {e.id: e for e in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(set(ids))))} if ids else {}

