"""Bookings: request, list, read, approve, reject, cancel.

Each route calls one workflow service; ``operation`` validates the input before and
commits after. The services check roles and states. Bookings the caller may not see
in full answer 404, so their existence is not revealed.
"""
from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..bookings import services
from ..bookings.models import Booking
from ..bookings.series import request_series
from ..bookings.spans import current_longest_block
from ..errors import InvalidInput
from ..extensions import db
from . import bp
from .outputs import BookingDetail, BookingList, BookingStatus, Occurrence, SeriesOut, Skipped
from .paging import PAGE_HEADERS, Paging, paged
from .resources import visible_resource
from .schemas import N_, Amount, Body, CommaList, Id, Instant, Out, Text
from .serializers import booking_json, occurrence_json, series_json, skipped_json
from .spec import operation

TAGS = ("bookings",)


class BookingRequest(Body):
    resource_id: Id
    start: Instant
    end: Instant
    purpose: Text(500) = ""
    enterprise_id: Id | None = Field(None, description=N_("for administrators and managers booking for an "
                                                         "enterprise; members book for their own"))
    override: bool = Field(False, description=N_("managers: book outside the facility's rules (recorded)"))
    planned_output: Amount | None = None
    rrule: Text(500) = Field("", description=N_("RFC 5545 recurrence rule, e.g. `FREQ=WEEKLY;COUNT=8`: "
                                               "creates a series, one booking per date"))
    skip_conflicts: bool = Field(False, description=N_("with rrule: book the free dates and skip the others"))


class SeriesCreated(Out):
    series: SeriesOut
    occurrences: list[Occurrence]
    skipped: list[Skipped]


class Decided(BookingDetail):
    rejected: list[int] = Field(description=N_("pending requests for the same time, rejected by this approval"))


class Reason(Body):
    reason: Text(500) = ""


class BookingFilter(Paging):
    resource_id: Id | None = None
    start: Instant | None = Field(None, description=N_("bookings ending after this instant"))
    end: Instant | None = Field(None, description=N_("bookings starting before this instant"))
    status: CommaList(BookingStatus) = Field(default_factory=list, description=N_("comma-separated statuses"))
    enterprise_id: Id | None = None


def _load(booking_id: int) -> Booking:
    return services.get_booking(g.api_roles, booking_id)


def _detail(booking: Booking, **extra) -> dict:
    return {**booking_json(booking, history=True), **extra}


@bp.post("/bookings")
@operation(_l("Request a booking, or a recurring series with rrule"), tags=TAGS, body=BookingRequest,
           response=(BookingDetail, SeriesCreated), status=201, errors=(409,), idempotent=True,
           headers={"Location": _l("the new booking (or series)")})
def create_booking(body: BookingRequest):
    facility = visible_resource(body.resource_id, error=InvalidInput)
    options = dict(purpose=body.purpose, enterprise_id=body.enterprise_id, override=body.override,
                   planned_output=body.planned_output)
    if body.rrule:
        return _create_series(facility, body, options)
    booking = services.request_booking(g.api_user, g.api_roles, facility, body.start, body.end, **options)
    db.session.flush()
    return _detail(booking), 201, {"Location": url_for(".get_booking", booking_id=booking.id)}


def _create_series(facility, body: BookingRequest, options: dict):
    """A recurring request: one booking per date; 409 lists the dates that cannot be booked."""
    series, bookings, skipped = request_series(g.api_user, g.api_roles, facility, body.start, body.end,
                                               body.rrule, skip_conflicts=body.skip_conflicts, **options)
    db.session.flush()
    result = {"series": series_json(series), "occurrences": [occurrence_json(b) for b in bookings],
              "skipped": [skipped_json(*item) for item in skipped]}
    return result, 201, {"Location": url_for(".get_series", series_id=series.id)}


@bp.get("/bookings")
@operation(_l("List the bookings the caller may see"), tags=TAGS, query=BookingFilter, response=BookingList,
           headers=PAGE_HEADERS)
def list_bookings(query: BookingFilter):
    if query.start and query.end and query.end <= query.start:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    statement = services.visible_query(g.api_roles)
    if query.resource_id is not None:
        statement = statement.where(Booking.facility_id == query.resource_id)
    if query.enterprise_id is not None:
        statement = statement.where(Booking.enterprise_id == query.enterprise_id)
    if query.start:
        statement = statement.where(Booking.end_at > query.start,
                                    Booking.start_at > query.start - current_longest_block())
    if query.end:
        statement = statement.where(Booking.start_at < query.end)
    if query.status:
        statement = statement.where(Booking.status.in_(query.status))
    bookings, headers = paged(statement.order_by(Booking.start_at, Booking.id), query, ".list_bookings")
    return {"bookings": [booking_json(b) for b in bookings]}, 200, headers


@bp.get("/bookings/<int:booking_id>")
@operation(_l("Read a booking with its history"), tags=TAGS, response=BookingDetail, etag=True)
def get_booking(booking_id: int):
    return _detail(_load(booking_id))


@bp.post("/bookings/<int:booking_id>/approve")
@operation(_l("Approve a pending booking (facility managers)"), tags=TAGS, response=Decided, errors=(409,))
def approve_booking(booking_id: int):
    booking = _load(booking_id)
    rejected = services.approve(g.api_user, g.api_roles, booking)
    return _detail(booking, rejected=[b.id for b in rejected])


@bp.post("/bookings/<int:booking_id>/reject")
@operation(_l("Reject a pending booking, with a reason (facility managers)"), tags=TAGS, body=Reason,
           body_required=False, response=BookingDetail, errors=(409,))
def reject_booking(booking_id: int, body: Reason):
    booking = _load(booking_id)
    services.reject(g.api_user, g.api_roles, booking, body.reason)
    return _detail(booking)


@bp.post("/bookings/<int:booking_id>/cancel")
@operation(_l("Cancel a booking (its enterprise, or its facility's managers)"), tags=TAGS, body=Reason,
           body_required=False, response=BookingDetail, errors=(409,))
def cancel_booking(booking_id: int, body: Reason):
    booking = _load(booking_id)
    services.cancel(g.api_user, g.api_roles, booking, body.reason)
    return _detail(booking)
