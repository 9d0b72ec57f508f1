"""Place the demo bookings: per facility, walk the days and fill free, bookable, non-overlapping slots.

Every planned slot respects the facility's rules (bookable hours, closures, slot grid, duration,
changeover buffer) and no other slot of the facility, so blocking bookings never overlap. Then each
slot gets a status that fits its time (past, running, upcoming) and the audit trail, decisions and
usage record that status implies, as the workflow services would have written them.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext

from ..accounts.models import User
from ..billing.charges import fee_values, is_late_cancel_charged, use_amounts, whole_minutes
from ..billing.models import LATE_CANCEL, NO_SHOW_FEE, USE, Charge
from ..bookings.models import (APPROVED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW, PENDING, REJECTED, Booking,
                               BookingEvent)
from ..bookings.reasons import AUTO_APPROVED, LOST_TO
from ..facilities.models import Closure, Facility
from ..facilities.rules import bookable_intervals, overlaps
from ..organisation.models import Enterprise
from ..timeutil import local_at, parse_hhmm
from ..usage.models import UsageRecord
from . import data

MINUTE = timedelta(minutes=1)


@dataclass
class Slot:
    facility: Facility
    start: datetime
    end: datetime
    enterprise: Enterprise
    requester: User
    purpose: str
    status: str | None = None  # None: drawn from the slot's time


class Calendar:
    """One facility's time while planning: bookable hours, closures and the slots taken so far."""

    def __init__(self, facility: Facility, closures: list[Closure]):
        self.facility = facility
        self.buffer = timedelta(minutes=facility.buffer_minutes)
        self.closures = [(c.start_at, c.end_at) for c in closures]
        self.taken: dict[date, list[tuple[datetime, datetime]]] = defaultdict(list)

    def at(self, day: date, start: int, end: int) -> tuple[datetime, datetime]:
        tz = self.facility.tz
        return local_at(day, start, tz), local_at(day, end, tz)

    def fits(self, start: datetime, end: datetime) -> bool:
        f = self.facility
        minutes = (end - start) / MINUTE
        local = start.astimezone(f.tz)
        if not f.min_minutes <= minutes <= f.max_minutes or minutes % f.slot_minutes:
            return False
        if (local.hour * 60 + local.minute) % f.slot_minutes:
            return False
        if not any(s <= start and end <= e for s, e in bookable_intervals(f, f.hours, start, end)):
            return False
        if any(overlaps(start, end, s, e) for s, e in self.closures):
            return False
        day = local.date()
        return not any(overlaps(start, end + self.buffer, s, e)
                       for d in (day - timedelta(days=1), day, day + timedelta(days=1)) for s, e in self.taken[d])

    def take(self, start: datetime, end: datetime) -> None:
        self.taken[start.astimezone(self.facility.tz).date()].append((start, end + self.buffer))


class Scheduler:
    """Plans the slots of every facility, then turns them into bookings with their history."""

    def __init__(self, rng: random.Random, now: datetime, facilities: dict[str, Facility],
                 closures: dict[str, list[Closure]], enterprises: dict[str, Enterprise], users: dict[str, User]):
        self.rng, self.now = rng, now
        self.facilities, self.enterprises, self.users = facilities, enterprises, users
        self.trade = {enterprises[row[0]]: row[2] for row in data.ENTERPRISES}
        self.staff: dict[Enterprise, list[User]] = defaultdict(list)
        for user in users.values():
            if user.membership is not None:
                self.staff[user.membership.enterprise].append(user)
        self.calendars = {key: Calendar(f, closures.get(key, [])) for key, f in facilities.items()}
        self.pools = {f: self.pool(data.FACILITY_SPECS[key]) for key, f in facilities.items()}
        self.today = now.astimezone(next(iter(facilities.values())).tz).date()
        self.trails: list[tuple[Booking, Trail]] = []
        self.usage: list[tuple[Booking, UsageRecord]] = []
        self.charges: list[tuple[Booking, Charge]] = []
        self.rivals: list[tuple[Booking, BookingEvent, Booking]] = []

    # --- planning ---------------------------------------------------------------------------

    def plan(self, first: date, last: date) -> list[Slot]:
        slots = self.scripted()
        for key, facility in self.facilities.items():
            spec = data.FACILITY_SPECS[key]
            calendar, pool = self.calendars[key], self.pools[facility]
            day = first
            while day <= last:
                if self.rng.random() < spec["busy"]:
                    for start_minute, end_minute in self.rng.choice(data.PLANS[spec["plans"]]):
                        start, end = calendar.at(day, start_minute, end_minute)
                        if calendar.fits(start, end):
                            calendar.take(start, end)
                            enterprise = self.rng.choice(pool)
                            slots.append(Slot(facility, start, end, enterprise,
                                              self.rng.choice(self.staff[enterprise]),
                                              self.purpose(facility, enterprise)))
                day += timedelta(days=1)
        return slots

    def scripted(self) -> list[Slot]:
        groups: dict[str, list[dict]] = defaultdict(list)
        for n, row in enumerate(data.SCRIPTED):
            groups[row.get("group", str(n))].append(row)
        slots = []
        for rows in groups.values():
            calendar = self.calendars[rows[0]["facility"]]
            offset = rows[0]["days"]
            step = 1 if offset >= 0 else -1
            for _attempt in range(60):  # the set piece moves off closed or busy days, away from today
                day = self.today + timedelta(days=offset)
                times = [calendar.at(day, parse_hhmm(r["start"]), parse_hhmm(r["end"])) for r in rows]
                if all(calendar.fits(start, end) for start, end in times):
                    break
                offset += step
            else:
                raise ValueError(f"no day fits the demo booking {rows[0]}")
            for row, (start, end) in zip(rows, times):
                calendar.take(start, end)
                slots.append(Slot(calendar.facility, start, end, self.enterprises[row["enterprise"]],
                                  self.users[row["requester"]], row["purpose"], row["status"]))
        return slots

    def pool(self, spec: dict) -> list[Enterprise]:
        """Who books the facility: the line serves the shoe firms, the Liwei labs mostly Chuangtai."""
        members = [self.enterprises[row[0]] for row in data.ENTERPRISES
                   if row[1] == spec["chain"] and row[0] != spec.get("host")]
        if spec["kind"] == "production_line":
            return [e for e in members if self.trade[e] == "shoes"]
        if spec["chain"] == "yihuang":
            return members + [self.enterprises["chuangtai"]] * 5
        if spec["kind"] == "livestream_studio":  # shoe firms stream most
            return members + [e for e in members if self.trade[e] == "shoes"]
        return members

    def purpose(self, facility: Facility, enterprise: Enterprise) -> str:
        text = self.rng.choice(data.PURPOSES[facility.kind])
        products = data.PRODUCTS.get(self.trade[enterprise], data.PRODUCTS["shoes"])
        return text.format(p=self.rng.choice(products))

    # --- bookings ---------------------------------------------------------------------------

    def bookings(self, slots: list[Slot]) -> list[Booking]:
        """The bookings, oldest first; their events and usage records wait for ``attach``."""
        bookings = []
        for slot in sorted(slots, key=lambda s: (s.start, s.facility.name)):
            booking = self.booking(slot, slot.status or self.status(slot))
            bookings.append(booking)
            if (booking.status in (COMPLETED, NO_SHOW) and slot.facility.requires_approval
                    and slot.status is None and self.rng.random() < 0.06):
                bookings.append(self.rival(slot, booking))
        return bookings

    def attach(self) -> tuple[list[BookingEvent], list[UsageRecord], list[Charge]]:
        """Once the bookings have ids: their events, usage records and charges, and the rivals' reasons.

        Linking by id rather than through the relationships keeps the flush of ~10,000 rows fast.
        """
        for rival, event, winner in self.rivals:
            rival.rejection_reason = event.reason = gettext(LOST_TO, id=winner.id)
            event.details = {"lost_to": winner.id}
        events = []
        for booking, trail in self.trails:
            for event in trail.events:
                event.booking_id = booking.id
            events.extend(trail.events)
        for booking, record in self.usage:
            record.booking_id = booking.id
        for booking, charge in self.charges:
            charge.booking_id = booking.id
        return events, [record for _booking, record in self.usage], [charge for _booking, charge in self.charges]

    def status(self, slot: Slot) -> str:
        r, approval = self.rng.random(), slot.facility.requires_approval
        if slot.end <= self.now:
            if r < 0.05:
                return NO_SHOW
            if r < 0.13:
                return CANCELLED
            return REJECTED if r < 0.19 and approval else COMPLETED
        if slot.start <= self.now:
            return CHECKED_IN
        if r < 0.06:
            return CANCELLED
        soon = slot.start - self.now < timedelta(days=3)
        return PENDING if approval and r < (0.08 if soon else 0.2) else APPROVED

    def booking(self, slot: Slot, status: str) -> Booking:
        f, rng = slot.facility, self.rng
        manager = f.managers[0]
        created = self.requested_at(f, slot.start)
        booking = Booking(
            facility_id=f.id, enterprise_id=slot.enterprise.id, requester_id=slot.requester.id,
            start_at=slot.start, end_at=slot.end, block_end=slot.end + timedelta(minutes=f.buffer_minutes),
            status=status, purpose=slot.purpose, planned_output=self.planned_output(f, slot),
            output_unit=f.output_unit, created_at=created)
        trail = Trail(created, slot.requester)
        cancel_pending = status == CANCELLED and f.requires_approval and rng.random() < 0.3
        if status == REJECTED:
            reason = rng.choice(data.REJECT_REASONS)
            booking.rejection_reason = reason
            self.decide(booking, trail, manager, REJECTED, reason)
        elif status != PENDING and not cancel_pending:
            self.decide(booking, trail, manager if f.requires_approval else None, APPROVED,
                        "" if f.requires_approval else gettext(AUTO_APPROVED))
        if status == CANCELLED:
            self.cancel(booking, trail, slot, manager)
        elif status == NO_SHOW:
            trail.step(NO_SHOW, slot.start + 30 * MINUTE, manager, data.NO_SHOW_REASON)
            self.fee(booking, f, NO_SHOW_FEE, trail.events[-1].at)
        elif status in (CHECKED_IN, COMPLETED):
            record = self.use(booking, trail, slot, manager, status)
            self.usage.append((booking, record))
            if status == COMPLETED:
                self.charge_use(booking, f, record)
        self.trails.append((booking, trail))
        booking.updated_at = trail.events[-1].at
        # A calendar first sees the booking after the request (and an automatic approval with it).
        booking.sequence = len(trail.events) - (1 if f.requires_approval else 2)
        return booking

    def requested_at(self, f: Facility, start: datetime) -> datetime:
        latest = min(start - timedelta(minutes=f.min_notice_minutes), self.now - 10 * MINUTE)
        created = latest - self.rng.randint(30, 10 * 24 * 60) * MINUTE
        return max(created, start - timedelta(days=f.max_advance_days) + timedelta(hours=1))

    def between(self, first: datetime, limit: datetime, low: float = 0.05, high: float = 0.6) -> datetime:
        """A moment in (first, limit), on a whole minute where one fits."""
        when = first + (limit - first) * self.rng.uniform(low, high)
        whole = when.replace(second=0, microsecond=0)
        return whole if whole > first else when

    def decide(self, booking: Booking, trail: Trail, manager: User | None, to: str, reason: str) -> None:
        """A manager decides within minutes to a day and a half, always before the start."""
        at = requested = trail.events[-1].at
        if manager is not None:
            at = min(requested + self.rng.randint(10, 36 * 60) * MINUTE,
                     self.between(requested, min(booking.start_at, self.now), 0.5, 0.9))
        booking.decided_at, booking.decided_by_id = at, manager.id if manager else None
        trail.step(to, at, manager, reason)

    def cancel(self, booking: Booking, trail: Trail, slot: Slot, manager: User) -> None:
        at = self.between(trail.events[-1].at, min(slot.start, self.now), 0.3, 0.95)
        by_manager = self.rng.random() < 0.2
        actor = manager if by_manager else slot.requester
        reason = self.rng.choice(data.MANAGER_CANCEL_REASONS if by_manager else data.CANCEL_REASONS)
        booking.cancelled_at, booking.cancelled_by_id, booking.cancel_reason = at, actor.id, reason
        late = slot.start - at < timedelta(minutes=slot.facility.cancel_notice_minutes)
        from_status = trail.events[-1].to_status
        trail.step(CANCELLED, at, actor, reason, late=late, by_manager=by_manager)
        if is_late_cancel_charged(from_status, late=late, by_enterprise=not by_manager):
            self.fee(booking, slot.facility, LATE_CANCEL, at)

    # --- charges, as the billing services would have written them ---------------------------

    def charge_use(self, booking: Booking, f: Facility, record: UsageRecord) -> None:
        amounts = use_amounts(f, whole_minutes(booking.start_at, booking.end_at),
                              whole_minutes(record.actual_start, record.actual_end), record.output_quantity)
        self.charges.append((booking, Charge(kind=USE, currency=f.currency, computed_at=record.actual_end,
                                             **amounts._asdict())))

    def fee(self, booking: Booking, f: Facility, kind: str, at: datetime) -> None:
        values = fee_values(f, kind)
        if values is not None:
            self.charges.append((booking, Charge(kind=kind, currency=f.currency, computed_at=at, **values)))

    def use(self, booking: Booking, trail: Trail, slot: Slot, manager: User, status: str) -> UsageRecord:
        rng, f = self.rng, slot.facility
        actual_start = min(slot.start + rng.choice((-5, 0, 0, 0, 5, 10, 15, 25)) * MINUTE, self.now)
        trail.step(CHECKED_IN, actual_start, manager)
        record = UsageRecord(actual_start=actual_start, output_unit=f.output_unit,
                             recorded_by_id=manager.id, recorded_at=actual_start)
        if status == COMPLETED:
            actual_end = slot.end + rng.choice((-40, -20, -10, 0, 0, 0, 5, 10)) * MINUTE
            actual_end = min(max(actual_end, actual_start + 30 * MINUTE), booking.block_end, self.now)
            record.actual_end = record.recorded_at = actual_end
            record.output_quantity, record.notes = self.output(f, (actual_end - actual_start) / timedelta(hours=1))
            trail.step(COMPLETED, actual_end, manager)
        return record

    def output(self, f: Facility, hours: float) -> tuple[Decimal | None, str]:
        rng = self.rng
        if f.output_unit == "sessions":
            viewers = rng.randint(800, 12000)
            return Decimal(1), f"观看 {viewers} 人次，成交 {int(viewers * rng.uniform(0.01, 0.06))} 单"
        if f.output_unit in ("pairs", "pieces"):
            made = int(float(f.throughput_per_hour) * hours * rng.uniform(0.78, 0.97))
            return Decimal(made), f"良品率 {rng.uniform(96.5, 99.6):.1f}%"
        if f.output_unit == "samples":
            return Decimal(rng.randint(2, 12)), ""
        return None, ""

    def planned_output(self, f: Facility, slot: Slot) -> Decimal | None:
        hours = (slot.end - slot.start) / timedelta(hours=1)
        if f.output_unit in ("pairs", "pieces"):
            return Decimal(round(float(f.throughput_per_hour) * hours * 0.9, -1))
        if f.output_unit == "sessions":
            return Decimal(1)
        if f.output_unit == "samples":
            return Decimal(self.rng.randint(3, 10))
        return None

    def rival(self, slot: Slot, winner: Booking) -> Booking:
        """A competing request for the same slot, rejected when the winner was approved."""
        enterprise = self.rng.choice([e for e in self.pools[slot.facility] if e is not slot.enterprise])
        requester = self.rng.choice(self.staff[enterprise])
        created = self.between(winner.created_at, winner.decided_at, 0.1, 0.9)
        f = slot.facility
        rival = Booking(
            facility_id=f.id, enterprise_id=enterprise.id, requester_id=requester.id, start_at=slot.start,
            end_at=slot.end, block_end=winner.block_end, status=REJECTED,
            purpose=self.purpose(f, enterprise), planned_output=winner.planned_output,
            output_unit=f.output_unit, created_at=created, decided_at=winner.decided_at,
            decided_by_id=winner.decided_by_id, updated_at=winner.decided_at, sequence=1)
        trail = Trail(created, requester)
        event = trail.step(REJECTED, winner.decided_at, f.managers[0])
        self.trails.append((rival, trail))
        self.rivals.append((rival, event, winner))
        return rival


class Trail:
    """A booking's transitions, the first being the request itself."""

    def __init__(self, at: datetime, requester: User):
        self.events = [BookingEvent(actor_id=requester.id, from_status=None, to_status=PENDING, at=at,
                                    reason="", details={})]

    def step(self, to: str, at: datetime, actor: User | None, reason: str = "", **details) -> BookingEvent:
        event = BookingEvent(actor_id=actor.id if actor else None, from_status=self.events[-1].to_status,
                             to_status=to, at=at, reason=reason, details=details)
        self.events.append(event)
        return event

