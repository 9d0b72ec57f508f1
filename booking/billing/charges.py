"""What a booking costs: the use of a completed booking, a no-show fee, a late-cancellation fee.

The pure part (``use_amounts``, ``whole_minutes``) is shared by the services below, the demo
loader and anything that generates charges in bulk. Every amount is computed exactly in
``Decimal`` and rounded once, half up, to the cent.

The services write charges through the booking's ``charges`` collection (one row per booking
and kind: computing again replaces the row) and never commit: they run inside the workflow
service that called them (check-out, correction, cancellation, ``close_overdue``), which flushes,
and whose caller commits once.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert

from ..bookings.models import APPROVED, Booking
from ..extensions import db
from ..timeutil import utcnow
from .models import LATE_CANCEL, NO_SHOW_FEE, USE, Charge

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MINUTE = timedelta(minutes=1)
FEES = (LATE_CANCEL, NO_SHOW_FEE)
CHARGE_KINDS = {USE: _l("Use"), LATE_CANCEL: _l("Late cancellation fee"), NO_SHOW_FEE: _l("No-show fee")}


class UseAmounts(NamedTuple):
    billable_hours: Decimal            # for display; the amounts use the exact minutes
    billable_quantity: Decimal | None  # units billed, where the facility charges per unit
    amount: Decimal                    # at the shared rate
    reference_amount: Decimal          # at the rate the enterprise would pay alone


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def whole_minutes(start: datetime | None, end: datetime | None) -> int | None:
    """Minutes between two instants as the clock shows them (seconds dropped), None without both."""
    if start is None or end is None:
        return None
    span = end.replace(second=0, microsecond=0) - start.replace(second=0, microsecond=0)
    return max(0, span // MINUTE)


def billable_minutes(basis: str, booked_minutes: int, actual_minutes: int | None) -> int:
    """The time billed under the facility's basis; without an actual time, the booked time."""
    if actual_minutes is None or basis == "booked":
        return booked_minutes
    if basis == "actual":
        return actual_minutes
    return max(booked_minutes, actual_minutes)


def use_amounts(facility, booked_minutes: int, actual_minutes: int | None,
                quantity: Decimal | None) -> UseAmounts:
    """The use charge of a booking at ``facility``'s rates (its billing basis, rate unit and rates)."""
    minutes = billable_minutes(facility.billing_basis, booked_minutes, actual_minutes)
    with localcontext() as context:
        context.prec = 34  # rate × minutes ÷ 60 rounds once, at the cent, whatever the defaults
        hours = round_money(Decimal(minutes) / 60)
        if facility.rate_unit == "unit":
            billed = Decimal(quantity) if quantity is not None else ZERO
            return UseAmounts(hours, billed, round_money(Decimal(facility.shared_rate) * billed),
                              round_money(Decimal(facility.reference_rate) * billed))
        return UseAmounts(hours, None, round_money(Decimal(facility.shared_rate) * minutes / 60),
                          round_money(Decimal(facility.reference_rate) * minutes / 60))


def booking_use_amounts(booking: Booking, usage) -> UseAmounts:
    """``use_amounts`` of a booking and its usage record (None: nothing recorded)."""
    actual = whole_minutes(usage.actual_start, usage.actual_end) if usage is not None else None
    quantity = usage.output_quantity if usage is not None else None
    return use_amounts(booking.facility, whole_minutes(booking.start_at, booking.end_at), actual, quantity)


def fee_amount(facility, kind: str) -> Decimal | None:
    """The facility's no-show or late-cancellation fee, None where it sets none."""
    fee = facility.no_show_fee if kind == NO_SHOW_FEE else facility.late_cancel_fee
    return fee if fee is not None and fee > 0 else None


def fee_values(facility, kind: str) -> dict | None:
    """A fee charge's amounts at ``facility`` (None where it sets no such fee)."""
    fee = fee_amount(facility, kind)
    return None if fee is None else {"amount": fee, "reference_amount": ZERO, "billable_hours": ZERO}


def is_late_cancel_charged(from_status: str, *, late: bool, by_enterprise: bool) -> bool:
    """The enterprise itself gave up an approved slot inside the notice period (managers' and
    pending requests' cancellations cost nothing)."""
    return late and by_enterprise and from_status == APPROVED


# --- services ------------------------------------------------------------------------------

def _find(booking: Booking, kind: str) -> Charge | None:
    return next((c for c in booking.charges if c.kind == kind), None)


def _put(booking: Booking, kind: str, now: datetime, **values) -> Charge:
    """The booking's charge of ``kind``, created or replaced (the booking's charges are loaded
    on first use: one query, or none where they were eagerly loaded)."""
    charge = _find(booking, kind)
    if charge is None:
        charge = Charge(booking=booking, kind=kind)
        db.session.add(charge)
    for name, value in _values(booking, now, values).items():
        setattr(charge, name, value)
    return charge


def _values(booking: Booking, now: datetime, values: dict) -> dict:
    return {"billable_quantity": None, **values, "currency": booking.facility.currency, "computed_at": now}


def use_charge(booking: Booking) -> Charge | None:
    return _find(booking, USE)


def charge_use(booking: Booking, now: datetime | None = None) -> Charge:
    """Charge a completed booking for its use, from its usage record."""
    return _put(booking, USE, now or utcnow(), **booking_use_amounts(booking, booking.usage)._asdict())


def charge_fee(booking: Booking, kind: str, now: datetime | None = None) -> Charge | None:
    """A no-show or late-cancellation fee, where the facility sets one."""
    values = fee_values(booking.facility, kind)
    return None if values is None else _put(booking, kind, now or utcnow(), **values)


def charge_cancellation(booking: Booking, from_status: str, *, late: bool, by_enterprise: bool,
                        now: datetime | None = None) -> Charge | None:
    if not is_late_cancel_charged(from_status, late=late, by_enterprise=by_enterprise):
        return None
    return charge_fee(booking, LATE_CANCEL, now)


def charge_closed(no_shows: Iterable[Booking], completed: Iterable[Booking], now: datetime) -> None:
    """The charges of a round of ``close_overdue``: no-show fees and the use of auto-closed bookings.

    The bookings come with their facility, usage and charges loaded; new charges go to the database
    in one bulk INSERT (the ORM would insert them one by one to learn their ids), so that a round
    costs the same number of statements however many bookings it closes.
    """
    wanted = [(b, NO_SHOW_FEE, fee_values(b.facility, NO_SHOW_FEE)) for b in no_shows]
    wanted += [(b, USE, booking_use_amounts(b, b.usage)._asdict()) for b in completed]
    rows, touched = [], []
    for booking, kind, values in wanted:
        if values is None:
            continue
        if _find(booking, kind) is not None:  # computed before: replace it
            _put(booking, kind, now, **values)
            continue
        rows.append({"booking_id": booking.id, "kind": kind, **_values(booking, now, values)})
        touched.append(booking)
    if rows:
        db.session.execute(insert(Charge), rows)
        for booking in touched:  # a loaded collection would miss the new rows
            db.session.expire(booking, ["charges"])
