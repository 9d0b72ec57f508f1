"""Recurring bookings: read a series, cancel all of it or from a date, approve or reject it whole,
move the dates still ahead to another time of day.

A series is created by ``POST /bookings`` with an ``rrule``; its occurrences are
ordinary bookings, decided and cancelled one by one under ``/bookings/<id>``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field, PlainValidator, TypeAdapter, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..bookings import series as services
from ..bookings.models import Series
from ..errors import InvalidInput
from ..timeutil import local_at
from . import bp
from .outputs import Occurrence, SeriesOut
from .schemas import MAX_INT, N_, Body, Day, Instant, Out, Text
from .serializers import occurrence_json, series_json
from .spec import operation

TAGS = ("series",)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):[0-5]\d", re.ASCII)
_DAY, _INSTANT = TypeAdapter(Day), TypeAdapter(Instant)


def _day_or_instant(value: Any) -> date | datetime:
    """A date (``2026-11-02``) or an ISO 8601 timestamp with an offset, refused with the codes of either."""
    if not isinstance(value, (str, date)):
        raise PydanticCustomError("invalid_type", "a date or an ISO 8601 timestamp with a UTC offset")
    try:
        if isinstance(value, str) and _DATE.fullmatch(value):
            return _DAY.validate_python(value)
        return _INSTANT.validate_python(value)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        if problem["type"] == "invalid_date":  # "from" names an instant: its code stays invalid_datetime
            raise PydanticCustomError("invalid_datetime", "out of range") from None
        raise PydanticCustomError(problem["type"], problem["msg"]) from None


DayOrInstant = Annotated[date | datetime, PlainValidator(_day_or_instant), WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
     "description": N_("a date (midnight in the facility's time zone) or an ISO 8601 timestamp with a UTC offset")})]


class SeriesCancellation(Body):
    from_: DayOrInstant | None = Field(None, alias="from", description=N_("cancel the occurrences from here on "
                                                                       "(absent: the whole series)"))
    reason: Text(500) = ""


class SeriesRejection(Body):
    reason: Text(500) = Field("", description=N_("required"))


class SeriesReschedule(Body):
    start_time: Text(16) = Field(description=N_("the new local time of day in the series' time zone, e.g. 14:00"),
                                 json_schema_extra={"pattern": f"^{TIME_OF_DAY.pattern}$"})
    duration_minutes: Annotated[int, Field(le=MAX_INT, description=N_("the new length, more than zero"))]


class SeriesDetail(Out):
    series: SeriesOut
    occurrences: list[Occurrence]


class SeriesCancelled(SeriesDetail):
    cancelled: list[int] = Field(description=N_("the occurrences this cancelled"))


class SeriesApproved(SeriesDetail):
    approved: list[int]
    rejected: list[int] = Field(description=N_("pending requests for the same times, rejected by this approval"))


class SeriesRejected(SeriesDetail):
    rejected: list[int]


class SeriesMoved(SeriesDetail):
    moved: list[int]


def _load(series_id: int) -> Series:
    return services.get_series(g.api_roles, series_id)


def _body(series: Series, **extra) -> dict:
    return {"series": series_json(series),
            "occurrences": [occurrence_json(b) for b in services.occurrences(series)], **extra}


@bp.get("/series/<int:series_id>")
@operation(_l("Read a recurring series with its occurrences"), tags=TAGS, response=SeriesDetail, etag=True)
def get_series(series_id: int):
    return _body(_load(series_id))


@bp.post("/series/<int:series_id>/cancel")
@operation(_l("Cancel a series, whole or from a date on"), tags=TAGS, body=SeriesCancellation,
           body_required=False, response=SeriesCancelled, errors=(409,))
def cancel_series(series_id: int, body: SeriesCancellation):
    series = _load(series_id)
    from_start = body.from_
    if from_start is not None and not isinstance(from_start, datetime):
        from_start = local_at(from_start, 0, series.facility.tz)
    cancelled = services.cancel_series(g.api_user, g.api_roles, series, from_start, body.reason)
    return _body(series, cancelled=[b.id for b in cancelled])


@bp.post("/series/<int:series_id>/approve")
@operation(_l("Approve every pending occurrence still ahead (facility managers)"), tags=TAGS,
           response=SeriesApproved, errors=(409,))
def approve_series(series_id: int):
    series = _load(series_id)
    approved, rejected = services.approve_series(g.api_user, g.api_roles, series)
    return _body(series, approved=[b.id for b in approved], rejected=[b.id for b in rejected])


@bp.post("/series/<int:series_id>/reject")
@operation(_l("Reject every pending occurrence still ahead, with a reason (facility managers)"), tags=TAGS,
           body=SeriesRejection, body_required=False, response=SeriesRejected, errors=(409,))
def reject_series(series_id: int, body: SeriesRejection):
    series = _load(series_id)
    rejected = services.reject_series(g.api_user, g.api_roles, series, body.reason)
    return _body(series, rejected=[b.id for b in rejected])


@bp.post("/series/<int:series_id>/reschedule")
@operation(_l("Move the occurrences still ahead to another time of day"), tags=TAGS, body=SeriesReschedule,
           response=SeriesMoved, errors=(409,))
def reschedule_series(series_id: int, body: SeriesReschedule):
    series = _load(series_id)
    if not TIME_OF_DAY.fullmatch(body.start_time):
        raise InvalidInput(_("The field “%(field)s” must be a time of day such as 14:00.", field="start_time"),
                           code="invalid_value", field="start_time")
    hours, minutes = body.start_time.split(":")
    moved = services.change_series_time(g.api_user, g.api_roles, series, time(int(hours), int(minutes)),
                                        body.duration_minutes)
    return _body(series, moved=[b.id for b in moved])
