"""The booking workflow: request, approve, reject, cancel.

Services check permission and state, raise domain errors, write every
transition to ``booking_events`` and flush; the caller commits once.
The database guarantees that blocking bookings never overlap (an exclusion
constraint on PostgreSQL, a trigger inside serialized writes on SQLite); the
checks here come first so that people get a message naming the slot.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, insert, inspect, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..billing import charges
from ..errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from ..extensions import db
from ..facilities.models import Closure, Facility
from ..facilities.rules import check_request
from ..facilities.services import require_manager
from ..i18n import moment
from ..notifications import events as notices
from ..organisation.models import Enterprise, chain_enterprises
from ..quotas import services as quotas
from ..timeutil import iso, utcnow
from ..waitlist import services as waitlist
from . import reasons
from .models import (APPROVED, BLOCKING, CANCELLED, CHECKED_IN, OPEN, PENDING, REJECTED, Booking,
                     BookingEvent)
from .spans import current_longest_block, longest_block, meets

MAX_TEXT = 500


def get_booking(roles: Roles, booking_id: int) -> Booking:
    """A booking whose details the viewer may see; others answer 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not roles.sees_booking_details(booking):
        raise NotFound(_("There is no such booking."), code="unknown_booking")
    return booking


def overlapping(facility_id: int, start: datetime, block_end: datetime, statuses, exclude_id: int | None = None):
    """Bookings of the facility whose blocked time meets [start, block_end)."""
    query = select(Booking).where(
        Booking.facility_id == facility_id, Booking.status.in_(statuses),
        meets(start, block_end, current_longest_block([facility_id])),
    ).order_by(Booking.start_at)
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    # Never autoflush here: a half-made approval must reach the database only through _guarded_flush.
    with db.session.no_autoflush:
        return db.session.scalars(query).all()


def conflict_error(slot: Booking, facility: Facility) -> Conflict:
    tz = facility.tz
    return Conflict(
        _("The facility is already booked from %(start)s to %(end)s.",
          start=moment(slot.start_at, tz),
          end=moment(slot.end_at, tz, "time")
          if slot.end_at.astimezone(tz).date() == slot.start_at.astimezone(tz).date()
          else moment(slot.end_at, tz)),
        code="slot_taken",
        details={"conflict": {"start": iso(slot.start_at), "end": iso(slot.end_at),
                              "blocked_until": iso(slot.block_end), "status": slot.status}},
    )


def _guarded_flush(booking: Booking) -> None:
    """Flush inside a savepoint; the database's overlap guard becomes a 409 naming the slot."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        if "overlap" not in str(error.orig).lower():
            raise
        taken = overlapping(booking.facility_id, booking.start_at, booking.block_end, BLOCKING, booking.id)
        if taken:
            raise conflict_error(taken[0], booking.facility) from error
        raise Conflict(_("The facility was booked at the same moment; please choose another slot."),
                       code="slot_taken") from error


def lock(facility_id: int, booking: Booking | None = None) -> None:
    """Serialize the workflow per facility, then look at the booking as it is now.

    On PostgreSQL this row lock keeps two approvals of rival requests from deadlocking
    (each would wait for the row the other rejects) and makes the pre-checks exact; the
    exclusion constraint stays the guarantee. On SQLite, BEGIN IMMEDIATE already holds
    the database's write lock, and FOR UPDATE is not rendered.
    """
    db.session.execute(select(Facility.id).where(Facility.id == facility_id).with_for_update(key_share=True))
    if booking is not None and inspect(booking).persistent:
        db.session.refresh(booking)


def transition(booking: Booking, actor: User | None, to_status: str, reason: str = "",
                **details) -> BookingEvent:
    event = BookingEvent(booking=booking, actor_id=actor.id if actor else None, from_status=booking.status,
                         to_status=to_status, reason=reason, details=details)
    db.session.add(event)
    if inspect(booking).persistent:  # a calendar has seen it: tell it that it changed
        booking.sequence += 1
    booking.status = to_status
    return event


def transition_all(bookings, actor: User | None, to_status: str, reason: str = "", **details) -> None:
    """``transition`` for many persistent bookings at once: their events go in one bulk INSERT."""
    rows = [{"booking_id": b.id, "actor_id": actor.id if actor else None, "from_status": b.status,
             "to_status": to_status, "reason": reason, "details": details} for b in bookings]
    if not rows:
        return
    for booking in bookings:
        booking.sequence += 1
        booking.status = to_status
    db.session.execute(insert(BookingEvent), rows)
    for booking in bookings:  # a loaded history would miss the new events
        db.session.expire(booking, ["events"])


def _enterprise_for(actor: User, roles: Roles, facility: Facility, enterprise_id: int | None) -> Enterprise:
    """Members book for their own enterprise; managers and admins may book on an enterprise's behalf."""
    if enterprise_id is None or enterprise_id == roles.enterprise_id:
        if roles.enterprise_id is None and roles.manages(facility.id):
            raise InvalidInput(_("Choose the enterprise this booking is for."), code="enterprise_required",
                               field="enterprise_id")
        if roles.enterprise_id is None:
            raise Forbidden(_("Only members of an enterprise can request a booking."), code="no_enterprise")
        if facility.chain_id not in roles.member_chain_ids:
            raise Forbidden(_("Your enterprise is not a member of this facility's chain."), code="not_in_chain")
        if not actor.membership.enterprise.active:
            raise Forbidden(_("Your enterprise's account is suspended; ask the chain's administrator."),
                            code="enterprise_inactive")
        return actor.membership.enterprise
    if not roles.manages(facility.id):
        raise Forbidden(_("You may only book for your own enterprise."))
    in_chain = db.session.scalar(select(chain_enterprises.c.enterprise_id).where(
        chain_enterprises.c.chain_id == facility.chain_id, chain_enterprises.c.enterprise_id == enterprise_id))
    enterprise = db.session.get(Enterprise, enterprise_id) if in_chain else None
    if enterprise is None or not enterprise.active:
        raise InvalidInput(_("That enterprise is not a member of this facility's chain."),
                           code="unknown_enterprise", field="enterprise_id")
    return enterprise


def clean_text(value: str | None, field: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("Please give a reason."), code="reason_required", field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(_("Please keep it to at most %(n)d characters.", n=MAX_TEXT), code="too_long_text",
                           field=field)
    return value


def request_booking(actor: User, roles: Roles, facility: Facility, start: datetime, end: datetime, *,
                    purpose: str = "", enterprise_id: int | None = None, override: bool = False,
                    planned_output: Decimal | None = None, now: datetime | None = None) -> Booking:
    enterprise, purpose = prepare_request(actor, roles, facility, enterprise_id, override, purpose)
    now = now or utcnow()
    closures = closures_between(facility.id, start, end)
    lock(facility.id)
    blocking = overlapping(facility.id, start, end + timedelta(minutes=facility.buffer_minutes), BLOCKING)
    overridden, block_end = check_occurrence(facility, start, end, now, override=override, closures=closures,
                                             blocking=blocking)
    [overruns] = quotas.enforce(actor, roles, facility, enterprise, [(start, end)], now, override=override)
    booking = new_booking(actor, facility, enterprise, start, end, block_end, purpose=purpose,
                          planned_output=planned_output, overridden=overridden, overruns=overruns)
    auto = not facility.requires_approval and not overruns
    losers = _approve(booking, actor, now, automatic=True) if auto else []
    _guarded_flush(booking)
    _explain_losses(booking, losers)
    if booking.status == PENDING:
        notices.submitted(actor, booking, over_quota=booking.over_quota)
    return booking


def prepare_request(actor: User, roles: Roles, facility: Facility, enterprise_id: int | None, override: bool,
                    purpose: str) -> tuple[Enterprise, str]:
    """What a request needs before its times are looked at: an open facility, the enterprise, the rights."""
    if not facility.active:
        raise InvalidInput(_("This facility is not open for booking."), code="inactive_facility")
    enterprise = _enterprise_for(actor, roles, facility, enterprise_id)
    if override and not roles.manages(facility.id):
        raise Forbidden(_("Only the facility's managers may override its hours and closures."))
    return enterprise, clean_text(purpose, "purpose")


def closures_between(facility_id: int, start: datetime, end: datetime) -> list[Closure]:
    return db.session.scalars(select(Closure).where(
        Closure.facility_id == facility_id, Closure.start_at < end, Closure.end_at > start)).all()


def check_occurrence(facility: Facility, start: datetime, end: datetime, now: datetime, *, override: bool,
                     closures, blocking) -> tuple[bool, datetime]:
    """Every rule of one requested slot: hours, closures, limits, blocking bookings and the buffer.

    ``closures`` and ``blocking`` may cover more than the slot (a series loads them once);
    returns whether an override was needed and where the slot's changeover ends.
    """
    closures = [c for c in closures if c.start_at < end and c.end_at > start]
    overridden = check_request(facility, facility.hours, closures, start, end, now, override=override)
    block_end = end + timedelta(minutes=facility.buffer_minutes)
    taken = [b for b in blocking if b.start_at < block_end and b.block_end > start]
    if taken:
        raise conflict_error(min(taken, key=lambda b: b.start_at), facility)
    return overridden, block_end


def new_booking(actor: User, facility: Facility, enterprise: Enterprise, start: datetime, end: datetime,
                block_end: datetime, *, purpose: str, planned_output: Decimal | None, overridden: bool,
                series=None, overruns: list[dict] | None = None) -> Booking:
    """A pending request, with its first audit event; the caller approves it where no approval is needed
    (and where it stays within its quotas: ``overruns`` flag it for the manager)."""
    # The ids are set now, not at the flush: approving at once looks for rival requests by facility_id.
    booking = Booking(facility=facility, facility_id=facility.id, enterprise=enterprise,
                      enterprise_id=enterprise.id, requester_id=actor.id, start_at=start,
                      end_at=end, block_end=block_end, purpose=purpose, planned_output=planned_output,
                      output_unit=facility.output_unit, rules_overridden=overridden, series=series,
                      over_quota=bool(overruns))
    db.session.add(booking)
    details = {"override": True} if overridden else {}
    if overruns:
        details["quota_overrun"] = overruns
    transition(booking, actor, PENDING, **details)
    return booking


def _approve(booking: Booking, actor: User, now: datetime,
             automatic: bool = False) -> list[tuple[Booking, BookingEvent]]:
    """Approve and reject the pending requests it overlaps; their reasons are written after the flush."""
    decider = None if automatic else actor
    booking.decided_at = now
    booking.decided_by_id = decider.id if decider else None
    transition(booking, decider, APPROVED,
                _(reasons.AUTO_APPROVED) if automatic else "")
    losers = []
    for loser in overlapping(booking.facility_id, booking.start_at, booking.block_end, (PENDING,), booking.id):
        if loser.status != PENDING:  # already lost to another occurrence of the same series
            continue
        loser.decided_at = now
        loser.decided_by_id = booking.decided_by_id
        losers.append((loser, transition(loser, decider, REJECTED)))
    return losers


def _explain_losses(winner: Booking, losers: list[tuple[Booking, BookingEvent]]) -> None:
    """Give the rejected rivals their reason and tell their requesters."""
    reason = _(reasons.LOST_TO, id=winner.id)
    for loser, event in losers:
        loser.rejection_reason = event.reason = reason
        event.details = {"lost_to": winner.id}
    db.session.flush()
    for loser, _event in losers:
        notices.rejected(winner.decided_by, loser, reason=reason, lost_to=winner.id)


def approve(actor: User, roles: Roles, booking: Booking, now: datetime | None = None) -> list[Booking]:
    """Approve a pending request; returns the overlapping pending requests it rejected."""
    require_manager(roles, booking.facility)
    now = now or utcnow()
    lock(booking.facility_id, booking)
    if booking.status != PENDING:
        raise InvalidTransition(_("Only pending requests can be approved (this one is %(status)s).",
                                  status=booking.status_label))
    if booking.end_at <= now:
        raise InvalidTransition(_("The requested time has passed."), code="slot_passed")
    taken = overlapping(booking.facility_id, booking.start_at, booking.block_end, BLOCKING, booking.id)
    if taken:
        raise conflict_error(taken[0], booking.facility)
    losers = _approve(booking, actor, now)
    _guarded_flush(booking)
    _explain_losses(booking, losers)
    if booking.over_quota:
        quotas.on_approved(actor, booking)
    notices.approved(actor, booking)
    return [loser for loser, _event in losers]


def reject(actor: User, roles: Roles, booking: Booking, reason: str, now: datetime | None = None) -> None:
    require_manager(roles, booking.facility)
    reason = clean_text(reason, "reason", required=True)
    lock(booking.facility_id, booking)
    if booking.status != PENDING:
        raise InvalidTransition(_("Only pending requests can be rejected (this one is %(status)s).",
                                  status=booking.status_label))
    booking.decided_at = now or utcnow()
    booking.decided_by_id = actor.id
    booking.rejection_reason = reason
    transition(booking, actor, REJECTED, reason)
    db.session.flush()
    notices.rejected(actor, booking, reason=reason)
    waitlist.slots_freed([booking], booking.decided_at)


def can_cancel(roles: Roles, booking: Booking, now: datetime | None = None) -> bool:
    if booking.status not in (PENDING, APPROVED):
        return False
    now = now or utcnow()
    if roles.manages(booking.facility_id):
        return booking.end_at > now
    return booking.enterprise_id == roles.enterprise_id and booking.start_at > now


def cancel(actor: User, roles: Roles, booking: Booking, reason: str = "", now: datetime | None = None) -> None:
    """The requester's enterprise cancels before the start; a manager any time before the end, with a reason."""
    now = now or utcnow()
    own, manager = cancel_rights(roles, booking)
    reason = clean_text(reason, "reason", required=manager and not own)
    lock(booking.facility_id, booking)
    late = cancel_checked(actor, booking, reason, now, own=own, manager=manager)
    db.session.flush()
    notices.cancelled(actor, booking, reason=reason, by_manager=manager and not own, late=late)
    waitlist.slots_freed([booking], now)


def cancel_rights(roles: Roles, booking) -> tuple[bool, bool]:
    """(own enterprise, manager) for a booking or a series; neither is Forbidden."""
    own = booking.enterprise_id == roles.enterprise_id
    manager = roles.manages(booking.facility_id)
    if not (own or manager):
        raise Forbidden(_("Only the booking's enterprise or the facility's managers may cancel it."))
    return own, manager


def cancel_checked(actor: User, booking: Booking, reason: str, now: datetime, *, own: bool,
                   manager: bool) -> bool:
    """Cancel after the rights were checked and the facility locked; the state and the time decide.
    Returns whether the cancellation was late (within the facility's cancellation notice)."""
    if booking.status not in (PENDING, APPROVED):
        raise InvalidTransition(_("This booking can no longer be cancelled (it is %(status)s).",
                                  status=booking.status_label))
    if booking.start_at <= now and not manager:
        raise InvalidTransition(_("The booking has already started; ask the facility's manager."),
                                code="already_started")
    if booking.end_at <= now:
        raise InvalidTransition(_("The booking is over."), code="already_ended")
    late = booking.start_at - now < timedelta(minutes=booking.facility.cancel_notice_minutes)
    from_status = booking.status
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.cancel_reason = reason
    transition(booking, actor, CANCELLED, reason, late=late, by_manager=manager and not own)
    charges.charge_cancellation(booking, from_status, late=late, by_enterprise=own, now=now)
    return late


def approval_queue_query(roles: Roles, facility_id: int | None = None, now: datetime | None = None):
    """Pending requests still ahead of the facilities the viewer manages (all for administrators),
    oldest first, with what their rows show."""
    query = (select(Booking).where(Booking.status == literal(PENDING, literal_execute=True),
                                   Booking.end_at > (now or utcnow()))
             .options(joinedload(Booking.facility), joinedload(Booking.enterprise), joinedload(Booking.requester))
             .order_by(Booking.created_at, Booking.id))
    if not roles.is_admin:
        query = query.where(Booking.facility_id.in_(roles.managed_facility_ids))
    if facility_id is not None:
        query = query.where(Booking.facility_id == facility_id)
    return query


def competing(requests: list[Booking]) -> dict[int, list[Booking]]:
    """What each request overlaps (pending, approved or checked in), in one query: an index range of its
    facility's bookings around each request, however long the facility's history."""
    if not requests:
        return {}
    longest = longest_block(b.facility for b in requests)
    others = db.session.scalars(
        select(Booking).where(Booking.status.in_(OPEN), or_(*(
            and_(Booking.facility_id == b.facility_id, meets(b.start_at, b.block_end, longest))
            for b in requests)))
        .options(joinedload(Booking.enterprise)).order_by(Booking.start_at, Booking.id)).unique().all()
    return {b.id: [o for o in others if o.id != b.id and o.facility_id == b.facility_id
                   and o.start_at < b.block_end and b.start_at < o.block_end] for b in requests}


def visible_query(roles: Roles):
    """Bookings the viewer may see in full: their enterprise's, their facilities', their chains'."""
    query = select(Booking).options(joinedload(Booking.facility), joinedload(Booking.enterprise))
    if roles.is_admin:
        return query
    conditions = []
    if roles.enterprise_id is not None:
        conditions.append(Booking.enterprise_id == roles.enterprise_id)
    if roles.managed_facility_ids:
        conditions.append(Booking.facility_id.in_(roles.managed_facility_ids))
    if roles.committee_chain_ids:
        conditions.append(Booking.facility_id.in_(
            select(Facility.id).where(Facility.chain_id.in_(roles.committee_chain_ids))))
    if not conditions:
        return query.where(db.false())
    return query.where(db.or_(*conditions))
