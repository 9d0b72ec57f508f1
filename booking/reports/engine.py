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
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import and_, case, func, insert, literal, or_, select, text
from sqlalchemy.orm import selectinload

from ..billing.models import LATE_CANCEL, NO_SHOW_FEE, USE, Charge, EnterpriseBaseline
from ..bookings.models import (
    CANCELLED,
    COMPLETED,
    NO_SHOW,
    Booking,
)
from ..bookings.spans import meets
from ..db import ZERO
from ..extensions import db
from ..facilities.models import Facility
from ..organisation.models import Enterprise, chain_enterprises
from ..timeutil import utcnow
from ..usage.models import UsageRecord
from . import rollup
from .models import PART_COLUMNS, ReportMonth, ReportMonthLead, ReportMonthPair
from .places import (
    BOOKED,
    HOUR,
    Bounds,
    Place,
    available_seconds,
    clip,
    facilities_in,
    in_scope,
    outside_seconds,
    places,
    within,
)
from .query import Period, Scope, month_periods
from .sql import epoch, greatest, least
from .timing import (  # noqa: F401 - part of the engine's interface
    Heatmap,
    heat_minutes,
    heatmap,
    lead_times,
    lead_totals,
    month_leads,
    nearest_rank,
)

COUNTED = BOOKED + (NO_SHOW,)



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


# --- SQL --------------------------------------------------------------------------------------

def _per_pair(places: list[Place], bounds: Bounds, scope: Scope, all_facilities: bool, now: datetime):
    """Per (facility, enterprise): time, counts, output and money, in one query.

    The inner query, over bookings alone, finds with a window function the furthest end booked
    before each booking on the same facility, so that each booking adds only the booked time past
    it: overlaps are merged. It is kept narrow because the window sorts what it carries; the outer
    query joins the usage record, the charge and the baseline and sums."""
    lo, hi = bounds.lo(Booking.facility_id), bounds.hi(Booking.facility_id)
    booked = Booking.status.in_(BOOKED)
    rows = in_scope(
        select(Booking.id.label("id"), Booking.facility_id.label("f"), Booking.enterprise_id.label("en"),
               Booking.status.label("status"), epoch(Booking.start_at).label("s"), epoch(Booking.end_at).label("e"),
               lo.label("lo"), hi.label("hi"),
               func.max(case((booked, least(epoch(Booking.end_at), hi)), else_=None)).over(
                   partition_by=Booking.facility_id, order_by=(Booking.start_at, Booking.id), rows=(None, -1))
               .label("before"))
        .where(Booking.status.in_(COUNTED + (CANCELLED,)), bounds.overlapping()),
        # Always the facility ids, also for all of them: the (facility_id, start_at) index then bounds the
        # scan (there is no index on start_at alone).
        places, scope, False).subquery()
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
               total(used, clip(a_s, a_e, r.lo, r.hi)),
               total(and_(booked, used), clip(a_s, a_e, cs, ce)),
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
    over_closures = [and_(Booking.facility_id == p.facility.id, meets(start, end, bounds.longest, until=Booking.end_at))
                     for p in places for start, end in p.closures]
    query = in_scope(query, places, scope, all_facilities)
    if over_closures:
        query = query.union_all(in_scope(
            select(*columns).where(Booking.status.in_(BOOKED), Booking.rules_overridden.is_(False),
                                   or_(*over_closures)),
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

    @cached_property
    def _by_facility(self) -> dict[int, Figures]:
        sums, served = self._sums(lambda pair: pair[0])
        return {f: self._figures(parts, parts[MERGED] - self.outside.get(f, 0.0), self.available[f], 1, served[f])
                for f in self.available for parts in [sums.get(f) or _parts()]}

    def by_facility(self) -> dict[int, Figures]:
        """Booked time merged across the facility's enterprises (computed once; do not change it)."""
        return self._by_facility

    @cached_property
    def _by_enterprise(self) -> dict[int, Figures]:
        sums, served = self._sums(lambda pair: pair[1])
        available = sum(self.available.values())
        return {en: self._figures(parts, parts[RAW] - parts[OUTSIDE], available, len(self.available), served[en])
                for en, parts in sums.items()}

    def by_enterprise(self) -> dict[int, Figures]:
        """Each enterprise's booked time against every facility's available time (computed once)."""
        return self._by_enterprise


def _report_memory() -> None:
    """PostgreSQL's default 4 MB per sort or hash sends a year of bookings to disk; a report's
    transaction gets more, without JIT compilation (``SET LOCAL`` ends with the transaction)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here


def base(scope: Scope, period: Period, facilities: list[Facility] | None = None,
         now: datetime | None = None) -> Base:
    """The period's sums: stored months where they may be read (not for one enterprise's view,
    whose overlaps merge among its own bookings), the rest computed from the bookings."""
    return bases(scope, [period], facilities, now)[0]


def bases(scope: Scope, periods: list[Period], facilities: list[Facility] | None = None,
          now: datetime | None = None) -> list[Base]:
    """``base`` of each period, the stored months of all of them read at once: the number of queries
    does not grow with the number of periods (only with the months nobody has stored yet)."""
    now = now or utcnow()
    facilities = facilities_in(scope) if facilities is None else facilities
    if not facilities:
        return [Base([], {}, {}, {}, period.days / 7) for period in periods]
    whole = places(facilities, Period(min(p.start for p in periods), max(p.end for p in periods)))
    results = []
    for period in periods:
        found = within(whole, period)
        results.append(Base(found, {p.facility.id: available_seconds(p, period) for p in found}, {}, {},
                            period.days / 7))
    _report_memory()
    splits = [rollup.split(period, now) if scope.enterprise_ids is None else ([], [period]) for period in periods]
    ids = [f.id for f in facilities]
    stored_groups = rollup.read_groups(db.session, ids, [months for months, _rest in splits]) \
        if any(months for months, _rest in splits) else [({}, [], {})] * len(periods)
    by_id = {f.id: f for f in facilities}
    everything = _everything(scope, facilities)
    for result, (_months, rest), (outside, stored, missing) in zip(results, splits, stored_groups):
        for f, seconds in outside.items():
            result.outside[f] = result.outside.get(f, 0.0) + seconds
        for f, en, *parts in stored:
            _add(result.pairs, (f, en), [float(v or 0) for v in parts[:SHARED]]
                 + [_money_value(v) for v in parts[SHARED:OUTSIDE]] + [float(parts[OUTSIDE] or 0)])
        for piece, missing_ids in rollup.runs(missing):
            todo = [by_id[f] for f in missing_ids]
            _compute(result, todo, piece, scope, now, everything and len(todo) == len(facilities))
        for piece in rest:
            _compute(result, facilities, piece, scope, now, everything)
    return results


def _everything(scope: Scope, facilities: list[Facility]) -> bool:
    """Whether ``facilities`` are all there are: the queries then need no list of facility ids."""
    if scope.chain_ids is not None or scope.kinds is not None or scope.facility_ids is not None:
        return False
    # Inactive facilities exist, or only some were asked for: keep to the listed ones.
    return len(facilities) == db.session.scalar(select(func.count(Facility.id)))


def _add(pairs: dict, key, parts: list) -> None:
    acc = pairs.get(key)
    if acc is None:
        pairs[key] = parts
    else:
        for i, value in enumerate(parts):
            acc[i] += value


def _compute(result: Base, facilities: list[Facility], period: Period, scope: Scope, now: datetime,
             everything: bool | None = None) -> None:
    """Add the sums of ``period`` for ``facilities``, computed from the bookings, to ``result``
    (``everything``: they are all the facilities there are)."""
    found = places(facilities, period)
    if not found:
        return
    bounds = Bounds(found)
    if everything is None:
        everything = _everything(scope, facilities)
    pairs: dict = {}
    for f, en, *sums in _per_pair(found, bounds, scope, everything, now):
        pairs[(f, en)] = [float(v or 0) for v in sums[:SHARED]] + [_money_value(v) for v in sums[SHARED:]] + [0.0]
    suspects: dict[int, list] = defaultdict(list)
    for f, en, start, end in _suspects(bounds, found, scope, everything):
        suspects[f].append((en, start, end))
    by_id = {p.facility.id: p for p in found}
    for f, items in suspects.items():
        place = by_id[f]
        result.outside[f] = result.outside.get(f, 0.0) + outside_seconds(place, [(s, e) for _en, s, e in items])
        for en, start, end in items:
            pairs[(f, en)][OUTSIDE] += outside_seconds(place, [(start, end)])
    for key, parts in pairs.items():
        _add(result.pairs, key, parts)


def store_months(now: datetime | None = None, facilities: list[Facility] | None = None) -> int:
    """Store every month that has ended everywhere and is not stored yet; returns how many
    facility-months were stored. Run from cron (``flask --app booking report-months``); the
    reports are right without it, only slower."""
    now = now or utcnow()
    facilities = list(db.session.scalars(select(Facility).options(selectinload(Facility.hours)))) \
        if facilities is None else facilities
    first = db.session.scalar(select(func.min(Booking.start_at)))
    if first is None or not facilities:
        return 0
    months, _rest = rollup.split(Period(first.date().replace(day=1), now.date()), now)
    stored = 0
    for month in months:
        _outside, _pairs, missing = rollup.read(db.session, [f.id for f in facilities], [month])
        ids = set(missing.get(month, ()))
        todo = [f for f in facilities if f.id in ids]
        if not todo:
            continue
        result = Base([], {}, {}, {}, 0)
        _report_memory()
        _compute(result, todo, month, Scope(facility_ids=frozenset(ids)), now)
        found = places(todo, month)
        heat = heat_minutes(found, Scope(), per_facility=True) if found else {}
        db.session.execute(insert(ReportMonth), [
            {"facility_id": f.id, "month": month.start, "outside_s": result.outside.get(f.id, 0.0), "computed_at": now,
             "heat": ",".join(map(str, heat.get(f.id) or [0] * (7 * 24)))}
            for f in todo])
        leads = [{"facility_id": f, "month": month.start, "lead_s": lead, "n": n}
                 for f, lead, n in (month_leads(found) if found else [])]
        if leads:
            db.session.execute(insert(ReportMonthLead), leads)
        rows = [{"facility_id": f, "month": month.start, "enterprise_id": en, **dict(zip(PART_COLUMNS, parts))}
                for (f, en), parts in result.pairs.items()]
        if rows:
            db.session.execute(insert(ReportMonthPair), rows)
        stored += len(todo)
    return stored


def utilization(scope: Scope, period: Period, group_by: str = "facility",
                now: datetime | None = None) -> tuple[dict, Figures]:
    """Rows keyed by the group (facility id, enterprise id, kind, chain id or "YYYY-MM") and the total."""
    if group_by == "month":
        rows, total, _whole, _others = _by_month(scope, period, facilities_in(scope), now)
        return rows, total
    found = base(scope, period, now=now)
    return group(found, group_by), _total(found, group_by)


def _by_month(scope: Scope, period: Period, facilities: list[Facility], now: datetime | None,
              others: tuple[Period, ...] = ()) -> tuple[dict, Figures, Base, list[Base]]:
    """A row per month, their total, the whole period's sums added up from the months, and the sums
    of ``others`` (read along with the months)."""
    months = month_periods(period)
    found_all = bases(scope, months + list(others), facilities, now)
    whole = Base(places(facilities, period), {}, {}, {}, period.days / 7)
    rows = {}
    for month, found in zip(months, found_all):
        rows[month.start.strftime("%Y-%m")] = _total(found, "facility")
        for f, seconds in found.available.items():
            whole.available[f] = whole.available.get(f, 0.0) + seconds
        for f, seconds in found.outside.items():
            whole.outside[f] = whole.outside.get(f, 0.0) + seconds
        for key, parts in found.pairs.items():
            _add(whole.pairs, key, list(parts))
    total = Figures()
    for figures in rows.values():
        total.add(figures)
    total.weeks, total.facilities = period.days / 7, len(facilities)
    return rows, total, whole, found_all[len(months):]


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
        rows, total, found, (found_before,) = _by_month(scope, period, facilities, now, (before,))
    else:
        found, found_before = bases(scope, [period, before], facilities, now)
        rows, total = group(found, group_by), _total(found, group_by)
    previous = _total(found_before, group_by)
    # Whether the months of both periods are stored (lead times and heatmap cells), read once.
    months = [m for p in (period, before) for m in rollup.split(p, now)[0]] if scope.enterprise_ids is None else []
    stored = rollup.stored_months(db.session, [f.id for f in facilities], months)
    lead = lead_times(scope, period, group_by, facilities, now, stored)
    lead_total, previous_lead = lead_totals(scope, [period, before], facilities, now, stored)
    return Report(scope=scope, period=period, group_by=group_by, rows=rows, total=total, previous=previous,
                  fairness=fairness(scope, period, found), previous_fairness=fairness(scope, before, found_before),
                  lead=lead,
                  lead_total=lead_total, previous_lead=previous_lead,
                  heatmap=heatmap(scope, period, facilities, now, stored), facilities=facilities)


def enterprise_names(ids) -> dict[int, Enterprise]:
    return {e.id: e for e in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(set(ids))))} if ids else {}

