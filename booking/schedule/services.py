"""What is free and what is taken: availability, the week view of a facility and the day view of a chain.

Each view issues a fixed number of queries (facilities, hours, closures, bookings)
whatever the number of rows. Other enterprises' bookings are shown as "booked"
blocks only, with the enterprise's name where the chain allows it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.permissions import Roles
from ..bookings.models import APPROVED, BLOCKING, CHECKED_IN, COMPLETED, PENDING, Booking
from ..bookings.spans import longest_block, meets
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.rules import bookable_intervals, overlaps, subtract
from ..facilities.services import closures_by_facility, hours_by_facility, visible_query
from ..organisation.models import Enterprise
from ..timeutil import format_hhmm, iso, local_at, zone


def sees_chain(roles: Roles, chain_id: int) -> bool:
    """Whether the chain's day page is the caller's: their enterprise's or committee's chains, or a
    chain where they manage a facility. Other chains answer 404, so their existence is not revealed."""
    visible = roles.visible_chain_ids()
    if visible is None or chain_id in visible:
        return True
    return bool(roles.managed_facility_ids) and db.session.scalar(
        select(Facility.id).where(Facility.id.in_(roles.managed_facility_ids), Facility.chain_id == chain_id)
        .limit(1)) is not None

SHOWN = (PENDING, APPROVED, CHECKED_IN, COMPLETED)


def bookings_between(facilities: list[Facility], start: datetime, end: datetime, statuses=SHOWN) -> list[Booking]:
    if not facilities:
        return []
    query = (select(Booking).where(Booking.facility_id.in_([f.id for f in facilities]), Booking.status.in_(statuses),
                                   meets(start, end, longest_block(facilities), until=Booking.end_at))
             .options(joinedload(Booking.enterprise)).order_by(Booking.start_at))
    return db.session.scalars(query).unique().all()


def block_label(roles: Roles, booking: Booking, facility: Facility) -> str:
    """What a viewer may read on a block: details for those allowed, "Booked" for everyone else."""
    if roles.sees_booking_details(booking):
        return booking.enterprise.display_name + (" · " + booking.purpose if booking.purpose else "")
    if facility.chain.show_booker_names:
        return booking.enterprise.display_name
    return _("Booked")


def availability(roles: Roles, facility: Facility, start: datetime, end: datetime) -> dict:
    return availabilities(roles, [facility], start, end)[0]


def availabilities(roles: Roles, facilities: list[Facility], start: datetime, end: datetime) -> list[dict]:
    """Bookable, busy and closed time of each facility within [start, end), in the facilities' order.

    Three queries whatever the number of facilities: their hours, their closures, their bookings.
    """
    ids = [f.id for f in facilities]
    hours = hours_by_facility(ids)
    closures = closures_by_facility(ids, start, end)
    bookings: dict[int, list] = defaultdict(list)
    if facilities:  # plain rows, not Booking objects: hundreds of facilities may have thousands of bookings
        rows = db.session.execute(
            select(Booking.id, Booking.facility_id, Booking.enterprise_id, Booking.status, Booking.start_at,
                   Booking.end_at, Booking.block_end, Booking.purpose, Enterprise.name.label("enterprise"))
            .join(Enterprise, Enterprise.id == Booking.enterprise_id)
            .where(Booking.facility_id.in_(ids), Booking.status.in_(SHOWN),
                   meets(start, end, longest_block(facilities), until=Booking.end_at))
            .order_by(Booking.start_at, Booking.id))
        for row in rows:
            bookings[row.facility_id].append(row)
    return [_availability(roles, f, hours[f.id], closures[f.id], bookings[f.id], start, end) for f in facilities]


def _availability(roles: Roles, facility: Facility, hours, closures, bookings, start: datetime,
                  end: datetime) -> dict:
    free = subtract(bookable_intervals(facility, hours, start, end), [(c.start_at, c.end_at) for c in closures])
    busy = []
    for booking in bookings:
        detail = roles.sees_details_at(facility, booking.enterprise_id)
        if booking.status == PENDING and not detail:
            continue  # another enterprise's request does not hold the slot (as in the week view)
        item = {"start": iso(booking.start_at), "end": iso(booking.end_at), "status": booking.status,
                "blocked_until": iso(booking.block_end)}
        if detail:
            item.update(id=booking.id, enterprise=booking.enterprise, purpose=booking.purpose)
        elif facility.chain.show_booker_names:
            item["enterprise"] = booking.enterprise
        busy.append(item)
    return {
        "resource_id": facility.id,
        "timezone": facility.tzname,
        "bookable": [{"start": iso(s), "end": iso(e)} for s, e in free],
        "busy": busy,
        "closures": [{"start": iso(c.start_at), "end": iso(c.end_at), "reason": c.reason, "kind": c.kind}
                     for c in closures],
    }


@dataclass
class Cell:
    state: str  # free | past | closed | closure | booked | pending | mine
    label: str = ""
    start: datetime | None = None
    booking_id: int | None = None  # set only where the viewer may open the booking
    key: tuple | None = None  # the booking or closure behind the cell: equal keys merge into one block
    span: int = 1


def merge_runs(cells: list[Cell]) -> list[Cell | None]:
    """Join neighbouring cells of one booking or closure into a block; covered cells become None."""
    merged: list[Cell | None] = []
    head: Cell | None = None
    for cell in cells:
        if head is not None and cell.key is not None and cell.key == head.key:
            head.span += 1
            merged.append(None)
        else:
            head = cell
            merged.append(cell)
    return merged


def _cell(roles: Roles, facility: Facility, start: datetime, end: datetime, bookable, closures,
          bookings, now: datetime) -> Cell:
    for booking in bookings:
        if overlaps(start, end, booking.start_at, booking.end_at):
            mine = booking.enterprise_id == roles.enterprise_id
            detail = roles.sees_booking_details(booking)
            state = "mine" if mine else ("pending" if booking.status == PENDING else "booked")
            if booking.status == PENDING and not mine and not detail:
                continue  # another enterprise's request does not hold the slot: others may still ask
            return Cell(state, block_label(roles, booking, facility), start, booking.id if detail else None,
                        key=("booking", booking.id))
    for closure in closures:
        if overlaps(start, end, closure.start_at, closure.end_at):
            return Cell("closure", closure.reason or _("Closed"), start, key=("closure", closure.id))
    if not any(s <= start and end <= e for s, e in bookable):
        return Cell("closed", "", start)
    if any(overlaps(start, end, b.start_at, b.block_end) for b in bookings if b.status in BLOCKING):
        return Cell("closure", _("Changeover"), start)
    if start < now + timedelta(minutes=facility.min_notice_minutes):
        return Cell("past", "", start)
    return Cell("free", "", start)


def week_view(roles: Roles, facility: Facility, monday: date, now: datetime) -> dict:
    tz = facility.tz
    start, end = local_at(monday, 0, tz), local_at(monday + timedelta(days=7), 0, tz)
    windows = facility.hours
    first = min((w.start_minute for w in windows), default=8 * 60)
    last = max((w.end_minute for w in windows), default=18 * 60)
    step = facility.slot_minutes if (last - first) / facility.slot_minutes <= 48 else 60
    first -= first % step
    bookable = bookable_intervals(facility, windows, start, end)
    closures = closures_by_facility([facility.id], start, end)[facility.id]
    bookings = bookings_between([facility], start, end)
    days = [monday + timedelta(days=i) for i in range(7)]
    minutes = range(first, last, step)
    columns = [merge_runs([_cell(roles, facility, local_at(day, m, tz), local_at(day, m + step, tz),
                                 bookable, closures, bookings, now) for m in minutes]) for day in days]
    rows = [{"time": format_hhmm(m), "cells": [column[i] for column in columns]} for i, m in enumerate(minutes)]
    return {"days": days, "rows": rows, "step": step, "closures": closures}


def day_view(roles: Roles, chain, day: date, now: datetime) -> dict:
    """Every visible facility of a chain on one day of the chain's calendar, an hour a column."""
    facilities = db.session.scalars(
        visible_query(roles).where(Facility.chain_id == chain.id, Facility.active)
        .order_by(Facility.kind, Facility.name)).all()
    if not facilities:
        return {"facilities": [], "hours": [], "rows": []}
    tz = zone(chain.timezone)
    start, end = local_at(day, 0, tz), local_at(day + timedelta(days=1), 0, tz)
    ids = [f.id for f in facilities]
    hours = hours_by_facility(ids)
    closures = closures_by_facility(ids, start, end)
    bookings: dict[int, list[Booking]] = {}
    for booking in bookings_between(facilities, start, end):
        bookings.setdefault(booking.facility_id, []).append(booking)
    weekday = day.weekday()
    today = [w for ws in hours.values() for w in ws if w.weekday == weekday]
    first = min((w.start_minute for w in today), default=8 * 60) // 60
    last = -(-max((w.end_minute for w in today), default=18 * 60) // 60)
    rows = []
    for facility in facilities:
        bookable = bookable_intervals(facility, hours[facility.id], start, end)
        cells = merge_runs([_cell(roles, facility, local_at(day, h * 60, tz), local_at(day, h * 60 + 60, tz),
                                  bookable, closures[facility.id], bookings.get(facility.id, []), now)
                            for h in range(first, last)])
        rows.append({"facility": facility, "cells": cells})
    return {"facilities": facilities, "hours": [format_hhmm(h * 60) for h in range(first, last)], "rows": rows}


def free_facility_ids(facilities: list[Facility], start: datetime, end: datetime) -> set[int]:
    """Facilities bookable for all of [start, end): within hours, not closed, not blocked."""
    ids = [f.id for f in facilities]
    hours = hours_by_facility(ids)
    closures = closures_by_facility(ids, start, end)
    busy = set(db.session.scalars(select(Booking.facility_id).where(
        Booking.facility_id.in_(ids), Booking.status.in_(BLOCKING), meets(start, end, longest_block(facilities)))))
    return {f.id for f in facilities
            if f.id not in busy and not closures[f.id]
            and any(s <= start and end <= e for s, e in bookable_intervals(f, hours[f.id], start, end))}
