"""Actual use: check in, check out, read and correct the usage record of a booking.

Each route calls one usage service; ``operation`` validates the input before and commits
after. The services check roles (403) and states (409 ``invalid_state``); bad input is 422.
"""
from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..bookings import services as bookings
from ..bookings.models import Booking
from ..usage import services
from ..usage.services import MAX_NOTES
from . import bp
from .outputs import BookingDetail, Usage
from .schemas import N_, Amount, Body, Instant, Text
from .serializers import booking_json, usage_json
from .spec import operation

TAGS = ("usage",)
UNIT = dict(description=N_("the unit of the output, e.g. `pairs`, `pieces`, `sessions` (default: the facility's)"))


class CheckIn(Body):
    at: Instant | None = Field(None, description=N_("the actual start (default: now)"))


class CheckOut(Body):
    at: Instant | None = Field(None, description=N_("the actual end (default: now)"))
    output_quantity: Amount | None = None
    output_unit: Text(32) | None = Field(None, **UNIT)
    notes: Text(MAX_NOTES) = ""


class UsageCorrection(Body):
    actual_start: Instant | None = None
    actual_end: Instant | None = None
    output_quantity: Amount | None = None
    output_unit: Text(32) | None = Field(None, **UNIT)
    notes: Text(MAX_NOTES) | None = None
    reason: Text(500) = Field("", description=N_("required: why the recorded use is corrected"))


class BookingUsage(BookingDetail):
    usage: Usage | None = Field(description=N_("`null` until the booking is checked in"))


def _load(booking_id: int) -> Booking:
    return bookings.get_booking(g.api_roles, booking_id)


def _body(booking: Booking) -> dict:
    return {**booking_json(booking, history=True), "usage": usage_json(booking.usage)}


@bp.post("/bookings/<int:booking_id>/check-in")
@operation(_l("Check a booking in: its use starts (facility managers)"), tags=TAGS, body=CheckIn,
           body_required=False, response=BookingUsage, errors=(409,))
def check_in(booking_id: int, body: CheckIn):
    booking = _load(booking_id)
    services.check_in(g.api_user, g.api_roles, booking, at=body.at)
    return _body(booking)


@bp.post("/bookings/<int:booking_id>/check-out")
@operation(_l("Check a booking out, with its output and notes (facility managers)"), tags=TAGS, body=CheckOut,
           body_required=False, response=BookingUsage, errors=(409,))
def check_out(booking_id: int, body: CheckOut):
    booking = _load(booking_id)
    services.check_out(g.api_user, g.api_roles, booking, at=body.at, output_quantity=body.output_quantity,
                       output_unit=body.output_unit, notes=body.notes)
    return _body(booking)


@bp.get("/bookings/<int:booking_id>/usage")
@operation(_l("Read a booking with its recorded use"), tags=TAGS, response=BookingUsage, etag=True)
def get_usage(booking_id: int):
    return _body(_load(booking_id))


@bp.patch("/bookings/<int:booking_id>/usage")
@operation(_l("Correct the recorded use of a booking, with a reason (facility managers)"), tags=TAGS,
           body=UsageCorrection, response=BookingUsage, errors=(409,))
def correct_usage(booking_id: int, body: UsageCorrection):
    booking = _load(booking_id)
    services.correct_usage(g.api_user, g.api_roles, booking, actual_start=body.actual_start,
                           actual_end=body.actual_end, output_quantity=body.output_quantity,
                           output_unit=body.output_unit, notes=body.notes, reason=body.reason)
    return _body(booking)
