"""Actual use: check in, check out, no-shows, forgotten check-outs and corrections.

Services check permission and state, raise domain errors, write every status change
through the booking workflow's ``transition`` and flush; the caller commits once.
Reports (and anything else that reads actual use) call ``close_overdue`` first, so
that they never wait for the scheduled ``close-no-shows`` command.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..accounts.services import record as audit
from ..billing import charges
from ..bookings import reasons
from ..bookings.models import APPROVED, CHECKED_IN, COMPLETED, NO_SHOW, Booking
from ..bookings.services import clean_text, lock, transition, transition_all
from ..errors import Forbidden, InvalidInput, InvalidTransition
from ..extensions import db
from ..facilities.models import OUTPUT_UNITS, Facility
from ..timeutil import iso, utcnow
from ..waitlist import services as waitlist
from .models import UsageCorrection, UsageRecord

# How long before the booked start a check-in is accepted.
EARLY_MINUTES = 30
CHUNK = 1000  # bookings closed per round of close_overdue
EARLY_CHECK_IN = timedelta(minutes=EARLY_MINUTES)
MAX_NOTES = 2000
MAX_QUANTITY = Decimal(10) ** 12  # Numeric(14, 2)
CORRECTABLE = (CHECKED_IN, COMPLETED)


def can_record(roles: Roles, booking: Booking) -> bool:
    """Managers of the facility, or the booking's enterprise where the facility lets it check itself in."""
    return roles.manages(booking.facility_id) or (
        booking.facility.self_check_in and roles.enterprise_id is not None
        and booking.enterprise_id == roles.enterprise_id)


def _require_recorder(roles: Roles, booking: Booking) -> None:
    if not can_record(roles, booking):
        raise Forbidden(_("You may not check this booking in or out: the facility's managers do that, "
                          "or the booking's enterprise where the facility allows it."))


def check_in(actor: User, roles: Roles, booking: Booking, at: datetime | None = None,
             now: datetime | None = None) -> UsageRecord:
    """An approved booking starts being used; ``at`` (default now) is the actual start."""
    _require_recorder(roles, booking)
    now = now or utcnow()
    lock(booking.facility_id, booking)
    if booking.status != APPROVED:
        raise InvalidTransition(_("Only approved bookings can be checked in (this one is %(status)s).",
                                  status=booking.status_label))
    if now < booking.start_at - EARLY_CHECK_IN:
        raise InvalidTransition(_("Check-in opens %(n)d minutes before the booked start.", n=EARLY_MINUTES), code="too_early")
    if now >= booking.end_at:
        raise InvalidTransition(_("The booked time is over; it can no longer be checked in."),
                                code="already_ended")
    at = at or now
    if at > now:
        raise InvalidInput(_("The check-in time may not be in the future."), code="future_time", field="at")
    if at < booking.start_at - EARLY_CHECK_IN:
        raise InvalidInput(_("The check-in time may be at most %(n)d minutes before the booked start.", n=EARLY_MINUTES),
                           code="too_early", field="at")
    usage = booking.usage or UsageRecord(booking=booking, output_unit=booking.facility.output_unit)
    db.session.add(usage)
    usage.actual_start, usage.actual_end, usage.recorded_by_id = at, None, actor.id
    transition(booking, actor, CHECKED_IN, **({"at": iso(at)} if at != now else {}))
    db.session.flush()
    return usage


def check_out(actor: User, roles: Roles, booking: Booking, at: datetime | None = None,
              output_quantity: Decimal | None = None, output_unit: str | None = None, notes: str = "",
              now: datetime | None = None) -> UsageRecord:
    """A checked-in booking ends: the actual end, the output and notes are recorded."""
    _require_recorder(roles, booking)
    now = now or utcnow()
    lock(booking.facility_id, booking)
    if booking.status != CHECKED_IN or booking.usage is None:
        raise InvalidTransition(_("Only checked-in bookings can be checked out (this one is %(status)s).",
                                  status=booking.status_label))
    usage = booking.usage
    at = at or now
    if at > now:
        raise InvalidInput(_("The check-out time may not be in the future."), code="future_time", field="at")
    if at <= usage.actual_start:
        raise InvalidInput(_("The check-out must come after the check-in."), code="invalid_interval", field="at")
    quantity = check_quantity(output_quantity)
    unit = check_unit(output_unit or usage.output_unit or booking.facility.output_unit,
                      required=quantity is not None)
    usage.actual_end, usage.output_quantity, usage.output_unit = at, quantity, unit
    usage.notes = clean_notes(notes)
    usage.recorded_by_id = actor.id
    transition(booking, actor, COMPLETED, **({"at": iso(at)} if at != now else {}))
    charges.charge_use(booking, now)
    db.session.flush()
    return usage


def check_quantity(value) -> Decimal | None:
    """Output is a non-negative amount with at most two decimals."""
    if value is None or value == "":
        return None
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        quantity = None
    if (quantity is None or not quantity.is_finite() or quantity < 0 or quantity >= MAX_QUANTITY
            or quantity.as_tuple().exponent < -2):
        raise InvalidInput(_("The output must be a non-negative number with at most two decimals."),
                           code="invalid_quantity", field="output_quantity")
    return quantity


def check_unit(unit: str | None, *, required: bool = False) -> str:
    unit = (unit or "").strip()
    if unit and unit not in OUTPUT_UNITS:
        raise InvalidInput(_("Unknown unit of output; use one of: %(units)s.", units=", ".join(OUTPUT_UNITS)),
                           code="invalid_unit", field="output_unit")
    if required and not unit:
        raise InvalidInput(_("Choose the unit of the output."), code="unit_required", field="output_unit")
    return unit


def clean_notes(notes: str | None) -> str:
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise InvalidInput(_("Please keep it to at most %(n)d characters.", n=MAX_NOTES), code="too_long_text",
                           field="notes")
    return notes


# --- no-shows and forgotten check-outs -------------------------------------------------------

def _overdue_query(now: datetime, facility_ids=None):
    # A superset in SQL (adding the grace period portably is not worth it): approved bookings that
    # have started, checked-in ones that have ended; the grace period is applied in Python.
    query = (select(Booking).join(Booking.facility).options(contains_eager(Booking.facility))
             .where(or_(and_(Booking.status == APPROVED, Booking.start_at < now),
                        and_(Booking.status == CHECKED_IN, Booking.end_at <= now)))
             .order_by(Booking.id))
    if facility_ids is not None:
        query = query.where(Booking.facility_id.in_(facility_ids))
    return query


def _is_overdue(booking: Booking, now: datetime) -> bool:
    if booking.status == APPROVED:
        return booking.start_at + timedelta(minutes=booking.facility.no_show_grace_minutes) <= now
    return booking.status == CHECKED_IN and booking.end_at <= now


def has_overdue(now: datetime | None = None) -> bool:
    """Whether ``close_overdue`` has anything to do (a read, for callers that must not write otherwise)."""
    now = now or utcnow()
    with db.session.no_autoflush:
        return any(_is_overdue(b, now) for b in db.session.scalars(_overdue_query(now)).unique())


def close_overdue(now: datetime | None = None, facility_ids=None) -> tuple[int, int]:
    """Approved bookings past their grace period become no-shows; checked-in ones past their end are
    completed at the booked end and flagged ``auto_closed`` for the manager. Returns (no_shows, auto_closed).

    A fixed number of queries per thousand bookings, and one when there is nothing to do (chunks keep
    a first run over a long backlog within the databases' limits on query parameters).
    Concurrent runs (and check-ins) are serialized by the facilities' workflow locks, taken in id order;
    the candidates are read again under the locks, so each booking is closed exactly once.
    """
    now = now or utcnow()
    with db.session.no_autoflush:
        candidates = [b for b in db.session.scalars(_overdue_query(now, facility_ids)).unique()
                      if _is_overdue(b, now)]
    if not candidates:
        return 0, 0
    db.session.flush()
    db.session.execute(select(Facility.id).where(Facility.id.in_({b.facility_id for b in candidates}))
                       .order_by(Facility.id).with_for_update(key_share=True))
    ids = [b.id for b in candidates]
    closed = [_close_chunk(ids[i:i + CHUNK], now) for i in range(0, len(ids), CHUNK)]
    return sum(c[0] for c in closed), sum(c[1] for c in closed)


def _close_chunk(ids: list[int], now: datetime) -> tuple[int, int]:
    fresh = db.session.scalars(
        _overdue_query(now).where(Booking.id.in_(ids))
        .options(selectinload(Booking.usage), selectinload(Booking.charges))
        .execution_options(populate_existing=True)).unique().all()
    fresh = [b for b in fresh if _is_overdue(b, now)]
    absent = [b for b in fresh if b.status == APPROVED]
    transition_all(absent, None, NO_SHOW, _(reasons.NOT_CHECKED_IN))
    forgotten = [b for b in fresh if b.status == CHECKED_IN]
    for booking in forgotten:
        usage = booking.usage or UsageRecord(booking=booking, actual_start=booking.start_at,
                                             output_unit=booking.facility.output_unit)
        db.session.add(usage)
        usage.actual_end = max(booking.end_at, usage.actual_start + timedelta(minutes=1))
        usage.auto_closed = True
    transition_all(forgotten, None, COMPLETED, _(reasons.NOT_CHECKED_OUT),
                   auto_closed=True)
    charges.charge_closed(absent, forgotten, now)
    no_shows, auto_closed = len(absent), len(forgotten)
    db.session.flush()
    waitlist.slots_freed(absent, now)  # a no-show releases the rest of its slot
    return no_shows, auto_closed


# --- corrections -----------------------------------------------------------------------------

def _json_value(value):
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value


def correct_usage(actor: User, roles: Roles, booking: Booking, *, actual_start: datetime | None = None,
                  actual_end: datetime | None = None, output_quantity=None, output_unit: str | None = None,
                  notes: str | None = None, reason: str, now: datetime | None = None) -> UsageCorrection:
    """A manager corrects recorded use; the correction keeps the values it replaced."""
    if not roles.manages(booking.facility_id):
        raise Forbidden(_("Only the facility's managers may correct recorded use."))
    reason = clean_text(reason, "reason", required=True)
    now = now or utcnow()
    lock(booking.facility_id, booking)
    usage = booking.usage
    if booking.status not in CORRECTABLE or usage is None:
        raise InvalidTransition(_("Only the use of checked-in or completed bookings can be corrected "
                                  "(this one is %(status)s).", status=booking.status_label))
    wanted = {"actual_start": actual_start, "actual_end": actual_end,
              "output_quantity": check_quantity(output_quantity),
              "output_unit": None if output_unit is None else check_unit(output_unit),
              "notes": None if notes is None else clean_notes(notes)}
    changes = {name: value for name, value in wanted.items()
               if value is not None and value != getattr(usage, name)}
    if not changes:
        raise InvalidInput(_("Nothing to correct: the values are the ones recorded."), code="no_changes")
    start = changes.get("actual_start", usage.actual_start)
    end = changes.get("actual_end", usage.actual_end)
    if "actual_end" in changes and booking.status == CHECKED_IN:
        raise InvalidInput(_("The booking is still checked in; check it out to record its end."),
                           code="still_checked_in", field="actual_end")
    for name, value in (("actual_start", start), ("actual_end", end)):
        if value is not None and value > now:
            raise InvalidInput(_("The actual times may not be in the future."), code="future_time", field=name)
    if end is not None and end <= start:
        raise InvalidInput(_("The actual end must come after the actual start."), code="invalid_interval",
                           field="actual_end")
    quantity = changes.get("output_quantity", usage.output_quantity)
    check_unit(changes.get("output_unit", usage.output_unit), required=quantity is not None)
    before = {name: _json_value(getattr(usage, name)) for name in changes}
    after = {name: _json_value(value) for name, value in changes.items()}
    for name, value in changes.items():
        setattr(usage, name, value)
    correction = UsageCorrection(usage_record=usage, at=now, actor_id=actor.id, reason=reason, before=before,
                                 after=after)
    db.session.add(correction)
    billed = {}
    if booking.status == COMPLETED:  # the use charge follows the corrected use
        previous = charges.use_charge(booking)
        before_amount = _json_value(previous.amount) if previous else None
        billed["charge_amount"] = [before_amount, _json_value(charges.charge_use(booking, now).amount)]
    audit(actor, "usage_corrected", "booking", booking.id, reason=reason, before=before, after=after, **billed)
    db.session.flush()
    return correction
