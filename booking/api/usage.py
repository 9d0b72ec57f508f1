"""Actual use: check in, check out, read and correct the usage record of a booking.

Each route reads its input, calls one usage service and commits once; the services
check roles (403) and states (409 ``invalid_state``); bad input is 422.
"""
from __future__ import annotations

from flask import g

from ..bookings import services as bookings
from ..bookings.models import Booking
from ..extensions import db
from ..usage import services
from . import bp
from .parsing import json_object, read_datetime, read_decimal, read_str
from .serializers import booking_json, usage_json


def _load(booking_id: int) -> Booking:
    return bookings.get_booking(g.api_roles, booking_id)


def _optional_datetime(data: dict, name: str):
    return read_datetime(data, name) if data.get(name) is not None else None


def _optional_str(data: dict, name: str) -> str | None:
    return read_str(data, name) if data.get(name) is not None else None


def _body(booking: Booking) -> dict:
    return {**booking_json(booking, history=True), "usage": usage_json(booking.usage)}


@bp.post("/bookings/<int:booking_id>/check-in")
def check_in(booking_id: int):
    booking = _load(booking_id)
    data = json_object(("at",), optional=True)
    services.check_in(g.api_user, g.api_roles, booking, at=_optional_datetime(data, "at"))
    body = _body(booking)
    db.session.commit()
    return body


@bp.post("/bookings/<int:booking_id>/check-out")
def check_out(booking_id: int):
    booking = _load(booking_id)
    data = json_object(("at", "output_quantity", "output_unit", "notes"), optional=True)
    services.check_out(g.api_user, g.api_roles, booking, at=_optional_datetime(data, "at"),
                       output_quantity=read_decimal(data, "output_quantity"),
                       output_unit=_optional_str(data, "output_unit"), notes=read_str(data, "notes"))
    body = _body(booking)
    db.session.commit()
    return body


@bp.get("/bookings/<int:booking_id>/usage")
def get_usage(booking_id: int):
    return _body(_load(booking_id))


@bp.patch("/bookings/<int:booking_id>/usage")
def correct_usage(booking_id: int):
    booking = _load(booking_id)
    data = json_object(("actual_start", "actual_end", "output_quantity", "output_unit", "notes", "reason"))
    services.correct_usage(g.api_user, g.api_roles, booking,
                           actual_start=_optional_datetime(data, "actual_start"),
                           actual_end=_optional_datetime(data, "actual_end"),
                           output_quantity=read_decimal(data, "output_quantity"),
                           output_unit=_optional_str(data, "output_unit"), notes=_optional_str(data, "notes"),
                           reason=read_str(data, "reason"))
    body = _body(booking)
    db.session.commit()
    return body
