"""Recurring bookings: read a series, cancel all of it or from a date, approve or reject it whole,
move the dates still ahead to another time of day.

A series is created by ``POST /bookings`` with an ``rrule``; its occurrences are
ordinary bookings, decided and cancelled one by one under ``/bookings/<id>``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

from flask import g
from flask_babel import gettext as _

from ..bookings import series as services
from ..bookings.models import Series
from ..errors import InvalidInput
from ..extensions import db
from ..timeutil import MINUTES_PER_DAY, local_at, parse_hhmm
from . import bp
from .parsing import MAX_YEAR, MIN_YEAR, json_object, read_int, read_str, to_datetime
from .serializers import occurrence_json, series_json

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _body(series: Series, **extra) -> dict:
    return {"series": series_json(series),
            "occurrences": [occurrence_json(b) for b in services.occurrences(series)], **extra}


def _read_from(data: dict, series: Series) -> datetime | None:
    """``from``: an ISO 8601 timestamp with an offset, or a date (midnight in the facility's time zone)."""
    value = data.get("from")
    if value is None:
        return None
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            day = None
        if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
            raise InvalidInput(_("The date “%(field)s” is not valid.", field="from"), code="invalid_datetime",
                               field="from")
        return local_at(day, 0, series.facility.tz)
    if not isinstance(value, str):
        raise InvalidInput(_("The field “%(field)s” must be %(expected)s.", field="from",
                             expected=_("a date or an ISO 8601 timestamp with a UTC offset")),
                           code="invalid_type", field="from")
    return to_datetime(value, "from")


@bp.get("/series/<int:series_id>")
def get_series(series_id: int):
    return _body(services.get_series(g.api_roles, series_id))


@bp.post("/series/<int:series_id>/cancel")
def cancel_series(series_id: int):
    series = services.get_series(g.api_roles, series_id)
    data = json_object(("from", "reason"), optional=True)
    from_start = _read_from(data, series)
    cancelled = services.cancel_series(g.api_user, g.api_roles, series, from_start, read_str(data, "reason"))
    body = _body(series, cancelled=[b.id for b in cancelled])
    db.session.commit()
    return body


@bp.post("/series/<int:series_id>/approve")
def approve_series(series_id: int):
    series = services.get_series(g.api_roles, series_id)
    json_object((), optional=True)
    approved, rejected = services.approve_series(g.api_user, g.api_roles, series)
    body = _body(series, approved=[b.id for b in approved], rejected=[b.id for b in rejected])
    db.session.commit()
    return body


@bp.post("/series/<int:series_id>/reject")
def reject_series(series_id: int):
    series = services.get_series(g.api_roles, series_id)
    reason = read_str(json_object(("reason",), optional=True), "reason")
    rejected = services.reject_series(g.api_user, g.api_roles, series, reason)
    body = _body(series, rejected=[b.id for b in rejected])
    db.session.commit()
    return body


@bp.post("/series/<int:series_id>/reschedule")
def reschedule_series(series_id: int):
    """``{"start_time": "14:00", "duration_minutes": 90}``: local time of day in the series' time zone."""
    series = services.get_series(g.api_roles, series_id)
    data = json_object(("start_time", "duration_minutes"))
    text = read_str(data, "start_time", required=True)
    try:
        minute = parse_hhmm(text)
    except ValueError:
        minute = MINUTES_PER_DAY
    if minute >= MINUTES_PER_DAY:
        raise InvalidInput(_("The field “%(field)s” must be a time of day such as 14:00.", field="start_time"),
                           code="invalid_value", field="start_time")
    duration = read_int(data, "duration_minutes", required=True)
    moved = services.change_series_time(g.api_user, g.api_roles, series, time(minute // 60, minute % 60), duration)
    body = _body(series, moved=[b.id for b in moved])
    db.session.commit()
    return body
