"""Waiting lists: members wait for a taken slot and are told, in line order, when it frees up.

A slot is *taken* for an enterprise when an open booking (pending, approved, checked in) of
another enterprise overlaps it, changeover buffers included (or when its own enterprise already
holds it). The line for a slot is every waiting entry of the facility that overlaps it, ordered
by (created_at, id). ``slots_freed`` runs in the transaction of the change that frees time
(cancellation, rejection, no-show release), so the message commits with it or not at all.

booking.bookings.services imports this module, so it is imported lazily here.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..accounts.permissions import Roles, roles_of
from ..accounts.services import record
from ..errors import Conflict, DomainError, Forbidden, InvalidInput, InvalidTransition, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.rules import check_request
from ..notifications import models as kinds
from ..notifications.services import notify
from ..timeutil import iso, utcnow
from .models import EXPIRED, FULFILLED, WAITING, WITHDRAWN, WaitlistEntry


def _buffer(facility: Facility) -> timedelta:
    return timedelta(minutes=facility.buffer_minutes)


def _meets(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime, buffer: timedelta) -> bool:
    """Two slots of one facility collide when they overlap with the changeover after each."""
    return a_start < b_end + buffer and b_start < a_end + buffer


def _covers(booking, entry: WaitlistEntry, buffer: timedelta) -> bool:
    """Whether an open booking keeps the entry's slot taken: another enterprise's booking, or an
    approved (or checked-in) booking of the entry's own enterprise."""
    from ..bookings.models import BLOCKING
    if booking.enterprise_id == entry.enterprise_id and booking.status not in BLOCKING:
        return False
    return booking.start_at < entry.end_at + buffer and entry.start_at < booking.block_end


# --- reading ---------------------------------------------------------------------------------

def get_entry(roles: Roles, entry_id: int) -> WaitlistEntry:
    """An entry of the viewer's enterprise or of a facility they manage; others answer 404."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not (entry.enterprise_id == roles.enterprise_id or roles.manages(entry.facility_id)):
        raise NotFound(_("There is no such waiting-list entry."), code="unknown_entry")
    return entry


def can_withdraw(roles: Roles, entry: WaitlistEntry) -> bool:
    return entry.status == WAITING and (
        entry.user_id == roles.user_id
        or (roles.is_enterprise_admin and roles.enterprise_id == entry.enterprise_id))


def enterprise_entries(enterprise_id: int, *, waiting: bool, limit: int | None = None) -> list[WaitlistEntry]:
    """The enterprise's waiting entries by start, or its closed ones, latest first."""
    query = (select(WaitlistEntry).where(WaitlistEntry.enterprise_id == enterprise_id)
             .options(joinedload(WaitlistEntry.facility), joinedload(WaitlistEntry.user)))
    if waiting:
        query = query.where(WaitlistEntry.status == WAITING).order_by(WaitlistEntry.start_at, WaitlistEntry.id)
    else:
        query = query.where(WaitlistEntry.status != WAITING).order_by(
            WaitlistEntry.start_at.desc(), WaitlistEntry.id.desc())
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).unique().all()


def facility_line(facility: Facility, now: datetime | None = None) -> list[WaitlistEntry]:
    """The facility's waiting entries for slots still ahead, in line order."""
    now = now or utcnow()
    return db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.facility_id == facility.id, WaitlistEntry.status == WAITING,
                                    WaitlistEntry.start_at > now)
        .options(joinedload(WaitlistEntry.enterprise), joinedload(WaitlistEntry.user))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).unique().all()


def positions(entries) -> dict[int, int]:
    """Each waiting entry's place (1 = first) in its slot's line; one query for all of them."""
    waiting = [e for e in entries if e.status == WAITING]
    if not waiting:
        return {}
    bounds: dict[int, tuple[datetime, datetime]] = {}
    for e in waiting:
        lo, hi = bounds.get(e.facility_id, (e.start_at, e.end_at))
        bounds[e.facility_id] = (min(lo, e.start_at), max(hi, e.end_at))
    buffers = {e.facility_id: _buffer(e.facility) for e in waiting}
    rivals = db.session.execute(
        select(WaitlistEntry.id, WaitlistEntry.facility_id, WaitlistEntry.start_at, WaitlistEntry.end_at,
               WaitlistEntry.created_at)
        .where(WaitlistEntry.status == WAITING,
               or_(*(and_(WaitlistEntry.facility_id == f, WaitlistEntry.start_at < hi + buffers[f],
                          WaitlistEntry.end_at > lo - buffers[f]) for f, (lo, hi) in bounds.items())))).all()
    by_facility = defaultdict(list)
    for row in rivals:
        by_facility[row.facility_id].append(row)
    result = {}
    for e in waiting:
        buffer = buffers[e.facility_id]
        result[e.id] = 1 + sum(1 for r in by_facility[e.facility_id]
                               if (r.created_at, r.id) < (e.created_at, e.id)
                               and _meets(r.start_at, r.end_at, e.start_at, e.end_at, buffer))
    return result


# --- joining and leaving ---------------------------------------------------------------------

def join(actor: User, roles: Roles, facility: Facility, start: datetime, end: datetime, *, purpose: str = "",
         auto_request: bool = False, now: datetime | None = None) -> WaitlistEntry:
    """Wait for a slot that obeys the facility's rules but is taken by another enterprise."""
    from ..bookings import services as bookings
    from ..bookings.models import BLOCKING, OPEN

    enterprise, purpose = bookings.prepare_request(actor, roles, facility, None, False, purpose)
    now = now or utcnow()
    closures = bookings.closures_between(facility.id, start, end)
    check_request(facility, facility.hours, closures, start, end, now)
    # Under the facility's lock, a cancellation cannot free the slot between this look and the entry.
    bookings.lock(facility.id)
    buffer = _buffer(facility)
    open_bookings = bookings.overlapping(facility.id, start, end + buffer, OPEN)
    if not any(b.enterprise_id != enterprise.id for b in open_bookings):
        if any(b.status in BLOCKING for b in open_bookings):
            raise InvalidInput(_("Your enterprise already holds this slot."), code="already_booked")
        raise InvalidInput(_("The slot is free: book it."), code="slot_free")
    mine = db.session.scalar(select(WaitlistEntry.id).where(
        WaitlistEntry.user_id == actor.id, WaitlistEntry.facility_id == facility.id,
        WaitlistEntry.status == WAITING, WaitlistEntry.start_at < end, WaitlistEntry.end_at > start).limit(1))
    if mine is not None:
        raise Conflict(_("You are already waiting for this slot."), code="already_waiting",
                       details={"entry_id": mine})
    entry = WaitlistEntry(facility=facility, facility_id=facility.id, enterprise_id=enterprise.id,
                          user_id=actor.id, start_at=start, end_at=end, purpose=purpose,
                          auto_request=auto_request, status=WAITING, created_at=now)
    db.session.add(entry)
    db.session.flush()
    record(actor, "waitlist_joined", "waitlist_entry", entry.id, facility_id=facility.id, start=iso(start),
           end=iso(end), auto_request=auto_request)
    db.session.flush()
    return entry


def withdraw(actor: User, roles: Roles, entry: WaitlistEntry, now: datetime | None = None) -> None:
    """The member who waits, or their enterprise's administrator, leaves the line (the entry stays)."""
    if not (entry.user_id == actor.id
            or (roles.is_enterprise_admin and roles.enterprise_id == entry.enterprise_id)):
        raise Forbidden(_("Only the member who waits or their enterprise's administrator may withdraw."))
    if entry.status != WAITING:
        raise InvalidTransition(_("This entry is no longer waiting (it is %(status)s).",
                                  status=entry.status_label), code="not_waiting")
    entry.status = WITHDRAWN
    entry.closed_at = now or utcnow()
    record(actor, "waitlist_withdrawn", "waitlist_entry", entry.id, facility_id=entry.facility_id)
    db.session.flush()


def expire(now: datetime | None = None) -> int:
    """Waiting entries whose slot has started can no longer be had: one UPDATE; returns how many."""
    now = now or utcnow()
    result = db.session.execute(
        update(WaitlistEntry).where(WaitlistEntry.status == WAITING, WaitlistEntry.start_at <= now)
        .values(status=EXPIRED, closed_at=now).execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


# --- a slot frees up -------------------------------------------------------------------------

def _bounds(items, start, end) -> dict[int, tuple[datetime, datetime]]:
    bounds: dict[int, tuple[datetime, datetime]] = {}
    for item in items:
        s, e = start(item), end(item)
        lo, hi = bounds.get(item.facility_id, (s, e))
        bounds[item.facility_id] = (min(lo, s), max(hi, e))
    return bounds


def slots_freed(bookings, now: datetime) -> None:
    """Tell the people waiting for any of these bookings' slots, in line order, that it is free.

    Two queries however many bookings were freed (the waiting entries they overlap, and the open
    bookings that could still cover those entries), then one notification per entry told. The
    first in its slot's line who asked for it gets a pending request made in their name.
    """
    from ..bookings.models import OPEN, Booking
    from ..bookings.spans import longest_block, meets

    bookings = list(bookings)
    if not bookings:
        return
    buffers = {b.facility_id: _buffer(b.facility) for b in bookings}
    freed = _bounds(bookings, lambda b: b.start_at, lambda b: b.block_end)
    candidates = db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.status == WAITING, WaitlistEntry.start_at > now,
            or_(*(and_(WaitlistEntry.facility_id == f, WaitlistEntry.start_at < hi,
                       WaitlistEntry.end_at > lo - buffers[f]) for f, (lo, hi) in freed.items())))
        .options(joinedload(WaitlistEntry.user), joinedload(WaitlistEntry.facility))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).unique().all()
    entries = [e for e in candidates
               if any(b.facility_id == e.facility_id and e.start_at < b.block_end
                      and b.start_at < e.end_at + buffers[b.facility_id] for b in bookings)]
    if not entries:
        return
    wanted = _bounds(entries, lambda e: e.start_at, lambda e: e.end_at + buffers[e.facility_id])
    longest = longest_block(e.facility for e in entries)
    covering = db.session.scalars(select(Booking).where(
        Booking.status.in_(OPEN),
        or_(*(and_(Booking.facility_id == f, meets(lo, hi, longest)) for f, (lo, hi) in wanted.items())))).all()
    told: list[WaitlistEntry] = []
    for entry in entries:
        buffer = buffers[entry.facility_id]
        if any(b.facility_id == entry.facility_id and _covers(b, entry, buffer) for b in covering):
            continue
        position = 1 + sum(1 for t in told if t.facility_id == entry.facility_id
                           and _meets(t.start_at, t.end_at, entry.start_at, entry.end_at, buffer))
        told.append(entry)
        _tell(entry, position, now)


def _tell(entry: WaitlistEntry, position: int, now: datetime) -> None:
    params = {"entry_id": entry.id, "facility_id": entry.facility_id, "start": iso(entry.start_at),
              "end": iso(entry.end_at), "position": position}
    booking = None
    if position == 1 and entry.auto_request:
        booking, refusal = _request_for(entry, now)
        if booking is not None:
            entry.status, entry.booking_id, entry.closed_at = FULFILLED, booking.id, now
            params["booking_id"] = booking.id
            record(None, "waitlist_fulfilled", "waitlist_entry", entry.id, booking_id=booking.id)
        else:
            params["refusal"] = {"code": refusal.code, "message": refusal.message}
    entry.notified_at = now
    entry.times_notified += 1
    notify(kinds.WAITLIST_FREED, [entry.user], booking=booking, params=params, now=now)


def _request_for(entry: WaitlistEntry, now: datetime):
    """The entry's request, made as its member would make it; (None, the refusal) when a rule says no."""
    from ..bookings.services import request_booking

    user = entry.user
    roles = roles_of(user)
    try:
        if not user.active or roles.enterprise_id != entry.enterprise_id:
            raise Forbidden(_("The member who waits no longer books for this enterprise."),
                            code="not_a_member")
        with db.session.begin_nested():
            booking = request_booking(user, roles, entry.facility, entry.start_at, entry.end_at,
                                      purpose=entry.purpose, now=now)
    except DomainError as error:
        return None, error
    return booking, None
