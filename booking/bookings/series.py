"""Recurring bookings: a series is one request repeated by an RRULE, one booking per occurrence.

Every occurrence passes the same checks as a single booking (services.check_occurrence)
and goes through the same transitions and audit events. Closures and blocking bookings
are loaded once for the whole series, under the facility's lock, so a series costs a
fixed number of queries however many dates it has. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.services import require_manager
from ..i18n import join, moment
from ..notifications import events as notices
from ..quotas import services as quotas
from ..timeutil import iso, utcnow
from ..waitlist import services as waitlist
from . import reasons, recurrence
from .models import APPROVED, BLOCKING, PENDING, REJECTED, Booking, Series
from .services import (
    _approve,
    _explain_losses,
    _guarded_flush,
    lock,
    transition,
    cancel_checked,
    cancel_rights,
    check_occurrence,
    clean_text,
    closures_between,
    conflict_error,
    new_booking,
    overlapping,
    prepare_request,
)

# Refusals that would be the same on every date: the whole request is wrong, not one date.
SHAPE_CODES = ("invalid_interval", "not_aligned", "too_short", "too_long")
# How many dates an error message names before it says "and n more" (details list them all).
NAMED_DATES = 10


@dataclass
class Slot:
    """One occurrence as planned: where it would go and, if it cannot, why."""
    start: datetime
    end: datetime
    block_end: datetime | None = None
    overridden: bool = False
    code: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is None

    def as_dict(self) -> dict:
        return {"start": iso(self.start), "end": iso(self.end), "code": self.code, "message": self.message}


def get_series(roles: Roles, series_id: int) -> Series:
    """A series whose bookings the viewer may see in full; others answer 404."""
    series = db.session.get(Series, series_id)
    if series is None or not roles.sees_booking_details(series):
        raise NotFound(_("There is no such series."), code="unknown_series")
    return series


def occurrences(series: Series, statuses=None) -> list[Booking]:
    """The series' bookings as they are in the database now, in time order."""
    query = (select(Booking).where(Booking.series_id == series.id).order_by(Booking.start_at)
             .execution_options(populate_existing=True))
    if statuses is not None:
        query = query.where(Booking.status.in_(statuses))
    return db.session.scalars(query).all()


# --- planning -------------------------------------------------------------------------------

def _check_slots(facility: Facility, slots: list[Slot], now: datetime, *, override: bool,
                 exclude_ids=()) -> None:
    """Run every rule of a single booking on each slot; record why a slot cannot be booked."""
    if not slots:
        return
    lo, hi = slots[0].start, max(s.end for s in slots)
    buffer = timedelta(minutes=facility.buffer_minutes)
    closures = closures_between(facility.id, lo, hi)
    blocking = [b for b in overlapping(facility.id, lo, hi + buffer, BLOCKING) if b.id not in exclude_ids]
    for slot in slots:
        if slot.code:
            continue
        try:
            slot.overridden, slot.block_end = check_occurrence(
                facility, slot.start, slot.end, now, override=override, closures=closures, blocking=blocking)
        except (InvalidInput, Conflict) as error:
            if error.code in SHAPE_CODES:
                raise
            slot.code, slot.message = error.code, error.message


def _refuse_self_overlap(facility: Facility, slots: list[Slot]) -> None:
    buffer = timedelta(minutes=facility.buffer_minutes)
    for previous, slot in pairwise(slots):
        if slot.start < previous.end + buffer:
            raise InvalidInput(
                _("The dates of the series overlap each other (%(first)s and %(second)s), changeover included.",
                  first=_local_day(previous.start, facility), second=_local_day(slot.start, facility)),
                code="series_overlaps_itself", field="rrule")


def _slots_from_rule(facility: Facility, rule: str, start: datetime, end: datetime) -> list[Slot]:
    if end <= start:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    slots = []
    for occurrence in recurrence.expand(rule, start, end - start, facility.tz):
        slot = Slot(occurrence.start, occurrence.end)
        if occurrence.error:
            slot.code, slot.message = occurrence.error, recurrence.nonexistent_message(occurrence.local_start)
        slots.append(slot)
    return slots


def plan_series(actor: User, roles: Roles, facility: Facility, start: datetime, end: datetime, rrule: str, *,
                enterprise_id: int | None = None, override: bool = False,
                now: datetime | None = None) -> list[Slot]:
    """The dates a request would book and, for each, whether it can be booked: the form's preview."""
    prepare_request(actor, roles, facility, enterprise_id, override, "")
    slots = _slots_from_rule(facility, recurrence.normalise(rrule, facility.tz), start, end)
    _refuse_self_overlap(facility, slots)
    _check_slots(facility, slots, now or utcnow(), override=override)
    return slots


def _local_day(instant: datetime, facility: Facility) -> str:
    return moment(instant, facility.tz, "date")


def _dates_error(facility: Facility, bad: list[Slot], code: str = "series_conflicts") -> Conflict:
    days = [_local_day(s.start, facility) for s in bad]
    named = join(days[:NAMED_DATES]) + (" …" if len(days) > NAMED_DATES else "")
    return Conflict(ngettext("%(num)d date cannot be booked: %(dates)s.",
                             "%(num)d dates cannot be booked: %(dates)s.", len(bad), dates=named),
                    code=code, details={"conflicts": [s.as_dict() for s in bad]})


# --- requesting -----------------------------------------------------------------------------

def request_series(actor: User, roles: Roles, facility: Facility, start: datetime, end: datetime, rrule: str, *,
                   purpose: str = "", skip_conflicts: bool = False, enterprise_id: int | None = None,
                   override: bool = False, planned_output: Decimal | None = None,
                   now: datetime | None = None) -> tuple[Series, list[Booking], list[tuple]]:
    """Book every date of the rule, or none (``skip_conflicts``: every date that can be booked).

    Returns the series, the bookings made and the skipped dates as (start, end, code, message).
    """
    enterprise, purpose = prepare_request(actor, roles, facility, enterprise_id, override, purpose)
    now = now or utcnow()
    rule = recurrence.normalise(rrule, facility.tz)
    slots = _slots_from_rule(facility, rule, start, end)
    _refuse_self_overlap(facility, slots)
    lock(facility.id)
    _check_slots(facility, slots, now, override=override)
    bad = [s for s in slots if not s.ok]
    if bad and not skip_conflicts:
        raise _dates_error(facility, bad)
    if len(bad) == len(slots):
        raise _dates_error(facility, bad, code="no_dates_left")
    good = [s for s in slots if s.ok]
    overruns = quotas.enforce(actor, roles, facility, enterprise, [(s.start, s.end) for s in good], now,
                              override=override)

    series = Series(facility=facility, enterprise=enterprise, requester_id=actor.id, rrule=rule,
                    tzid=facility.tzname, dtstart=slots[0].start,
                    duration_minutes=int((end - start).total_seconds() // 60), purpose=purpose)
    db.session.add(series)
    bookings, decided = [], []
    for slot, slot_overruns in zip(good, overruns):
        booking = new_booking(actor, facility, enterprise, slot.start, slot.end, slot.block_end, purpose=purpose,
                              planned_output=planned_output, overridden=slot.overridden, series=series,
                              overruns=slot_overruns)
        if not facility.requires_approval and not slot_overruns:
            decided.append((booking, _approve(booking, actor, now, automatic=True)))
        bookings.append(booking)
    _guarded_flush(bookings[0])
    for booking, losers in decided:
        _explain_losses(booking, losers)
    pending = [b for b in bookings if b.status == PENDING]
    if pending:
        notices.submitted(actor, series=series, count=len(pending), over_quota=any(b.over_quota for b in pending))
    return series, bookings, [(s.start, s.end, s.code, s.message) for s in bad]


# --- deciding -------------------------------------------------------------------------------

def _pending_ahead(series: Series, now: datetime) -> list[Booking]:
    pending = [b for b in occurrences(series, (PENDING,)) if b.end_at > now]
    if not pending:
        raise InvalidTransition(_("No occurrence of this series is waiting for a decision."),
                                code="nothing_pending")
    return pending


def approve_series(actor: User, roles: Roles, series: Series,
                   now: datetime | None = None) -> tuple[list[Booking], list[Booking]]:
    """Approve every pending occurrence still ahead, or none; returns them and the requests they beat."""
    require_manager(roles, series.facility)
    now = now or utcnow()
    lock(series.facility_id)
    pending = _pending_ahead(series, now)
    slots = [Slot(b.start_at, b.end_at) for b in pending]
    blocking = overlapping(series.facility_id, pending[0].start_at, max(b.block_end for b in pending), BLOCKING)
    for slot, booking in zip(slots, pending):
        taken = [o for o in blocking if o.start_at < booking.block_end and booking.start_at < o.block_end]
        if taken:
            slot.code = "slot_taken"
            slot.message = conflict_error(taken[0], series.facility).message
    bad = [s for s in slots if not s.ok]
    if bad:
        raise _dates_error(series.facility, bad)
    decided = [(booking, _approve(booking, actor, now)) for booking in pending]
    _guarded_flush(pending[0])
    for booking, losers in decided:
        _explain_losses(booking, losers)
    for booking in pending:
        if booking.over_quota:
            quotas.on_approved(actor, booking)
    notices.approved(actor, series=series, count=len(pending))
    return pending, [loser for _booking, losers in decided for loser, _event in losers]


def reject_series(actor: User, roles: Roles, series: Series, reason: str,
                  now: datetime | None = None) -> list[Booking]:
    require_manager(roles, series.facility)
    reason = clean_text(reason, "reason", required=True)
    now = now or utcnow()
    lock(series.facility_id)
    pending = _pending_ahead(series, now)
    for booking in pending:
        booking.decided_at = now
        booking.decided_by_id = actor.id
        booking.rejection_reason = reason
        transition(booking, actor, REJECTED, reason, series=True)
    db.session.flush()
    notices.rejected(actor, series=series, reason=reason, count=len(pending))
    waitlist.slots_freed(pending, now)
    return pending


# --- cancelling and changing ----------------------------------------------------------------

def cancel_series(actor: User, roles: Roles, series: Series, from_start: datetime | None = None,
                  reason: str = "", now: datetime | None = None) -> list[Booking]:
    """Cancel every occurrence from ``from_start`` on (None: the whole series) that can still be cancelled.

    Occurrences that are over, under way (for the enterprise) or already decided otherwise stay as they were.
    """
    now = now or utcnow()
    own, manager = cancel_rights(roles, series)
    reason = clean_text(reason, "reason", required=manager and not own)
    lock(series.facility_id)
    chosen = [b for b in occurrences(series, (PENDING, APPROVED))
              if (from_start is None or b.start_at >= from_start)
              and (b.start_at > now or (manager and b.end_at > now))]
    if not chosen:
        raise InvalidTransition(_("No occurrence of this series can still be cancelled from that date."),
                                code="nothing_to_cancel")
    late = [cancel_checked(actor, booking, reason, now, own=own, manager=manager) for booking in chosen]
    db.session.flush()
    notices.cancelled(actor, series=series, reason=reason, by_manager=manager and not own, count=len(chosen),
                      late=any(late), start=min(b.start_at for b in chosen))
    waitlist.slots_freed(chosen, now)
    return chosen


def change_series_time(actor: User, roles: Roles, series: Series, new_start_time: time, new_duration_minutes: int,
                       now: datetime | None = None) -> list[Booking]:
    """Move every occurrence that has not started to a new local time of day, all or none.

    Past occurrences keep their times. Moved ones are checked like new requests and go
    back to pending where the facility needs approval.
    """
    facility = series.facility
    if series.enterprise_id != roles.enterprise_id and not roles.manages(series.facility_id):
        raise Forbidden(_("Only the series' enterprise or the facility's managers may change it."))
    if not isinstance(new_duration_minutes, int) or new_duration_minutes <= 0:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    now = now or utcnow()
    tz, duration = facility.tz, timedelta(minutes=new_duration_minutes)
    lock(series.facility_id)
    movable = [b for b in occurrences(series, (PENDING, APPROVED)) if b.start_at > now]
    if not movable:
        raise InvalidTransition(_("No occurrence of this series is still ahead."), code="nothing_to_change")
    slots = []
    for booking in movable:
        day = booking.start_at.astimezone(tz).date()
        start, exists = recurrence.at_local_time(day, new_start_time, tz)
        slot = Slot(start, start + duration)
        if not exists:
            slot.code = "nonexistent_time"
            slot.message = recurrence.nonexistent_message(datetime.combine(day, new_start_time))
        slots.append(slot)
    _refuse_self_overlap(facility, slots)
    _check_slots(facility, slots, now, override=False, exclude_ids={b.id for b in movable})
    bad = [s for s in slots if not s.ok]
    if bad:
        raise _dates_error(facility, bad)
    overruns = quotas.enforce(actor, roles, facility, series.enterprise, [(s.start, s.end) for s in slots], now,
                              exclude_ids={b.id for b in movable})

    decided = []
    for booking, slot, slot_overruns in zip(movable, slots, overruns):
        old = {"old_start": iso(booking.start_at), "old_end": iso(booking.end_at)}
        booking.start_at, booking.end_at, booking.block_end = slot.start, slot.end, slot.block_end
        booking.rules_overridden = slot.overridden
        booking.decided_at = booking.decided_by_id = None
        booking.over_quota = bool(slot_overruns)
        if slot_overruns:
            old["quota_overrun"] = slot_overruns
        transition(booking, actor, PENDING, _(reasons.SERIES_MOVED), **old)
        if not facility.requires_approval and not slot_overruns:
            decided.append((booking, _approve(booking, actor, now, automatic=True)))
    first_day = series.dtstart.astimezone(tz).date()
    series.dtstart = recurrence.at_local_time(first_day, new_start_time, tz)[0]
    series.duration_minutes = new_duration_minutes
    series.sequence += 1
    _guarded_flush(movable[0])
    for booking, losers in decided:
        _explain_losses(booking, losers)
    pending = [b for b in movable if b.status == PENDING]
    if pending:
        notices.submitted(actor, series=series, count=len(pending), over_quota=any(b.over_quota for b in pending))
    return movable
