"""Bookings: request, list, read, approve, reject, cancel.

Each route reads its input, calls one workflow service and commits once; the
services check roles and states. Bookings the caller may not see in full answer
404, so their existence is not revealed.
"""
from __future__ import annotations

from flask import g, request, url_for

from ..bookings import services
from ..bookings.models import STATUSES, Booking
from ..bookings.series import request_series
from ..errors import InvalidInput
from ..extensions import db
from . import bp
from .parsing import (
    arg_choices,
    arg_datetime,
    arg_int,
    check_interval,
    json_object,
    read_bool,
    read_datetime,
    read_decimal,
    read_int,
    read_str,
)
from .resources import visible_resource
from .serializers import booking_json, occurrence_json, series_json, skipped_json

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
REQUEST_FIELDS = ("resource_id", "start", "end", "purpose", "enterprise_id", "override", "planned_output", "rrule",
                  "skip_conflicts")


def _load(booking_id: int) -> Booking:
    return services.get_booking(g.api_roles, booking_id)


def _detail(booking: Booking, **extra) -> dict:
    return {**booking_json(booking, history=True), **extra}


@bp.post("/bookings")
def create_booking():
    data = json_object(REQUEST_FIELDS)
    resource_id = read_int(data, "resource_id", required=True)
    start, end = read_datetime(data, "start"), read_datetime(data, "end")
    purpose = read_str(data, "purpose")
    enterprise_id = read_int(data, "enterprise_id")
    override = read_bool(data, "override")
    planned_output = read_decimal(data, "planned_output")
    rrule = read_str(data, "rrule")
    skip_conflicts = read_bool(data, "skip_conflicts")
    facility = visible_resource(resource_id, error=InvalidInput)
    if rrule:
        return _create_series(facility, start, end, rrule, purpose=purpose, skip_conflicts=skip_conflicts,
                              enterprise_id=enterprise_id, override=override, planned_output=planned_output)
    booking = services.request_booking(g.api_user, g.api_roles, facility, start, end, purpose=purpose,
                                       enterprise_id=enterprise_id, override=override,
                                       planned_output=planned_output)
    body = _detail(booking)
    db.session.commit()
    return body, 201, {"Location": url_for(".get_booking", booking_id=booking.id)}


def _create_series(facility, start, end, rrule, **options):
    """A recurring request: one booking per date; 409 lists the dates that cannot be booked."""
    series, bookings, skipped = request_series(g.api_user, g.api_roles, facility, start, end, rrule, **options)
    body = {"series": series_json(series), "occurrences": [occurrence_json(b) for b in bookings],
            "skipped": [skipped_json(*item) for item in skipped]}
    db.session.commit()
    return body, 201, {"Location": url_for(".get_series", series_id=series.id)}


@bp.get("/bookings")
def list_bookings():
    resource_id = arg_int("resource_id")
    start, end = arg_datetime("start"), arg_datetime("end")
    if start and end:
        check_interval(start, end)
    statuses = arg_choices("status", STATUSES)
    page_number = arg_int("page", default=1, minimum=1)
    per_page = arg_int("per_page", default=DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)

    query = services.visible_query(g.api_roles)
    if resource_id is not None:
        query = query.where(Booking.facility_id == resource_id)
    if start:
        query = query.where(Booking.end_at > start)
    if end:
        query = query.where(Booking.start_at < end)
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    page = db.paginate(query.order_by(Booking.start_at, Booking.id), page=page_number, per_page=per_page,
                       max_per_page=MAX_PER_PAGE, error_out=False)
    headers = {"X-Total-Count": str(page.total)}
    links = _page_links(page)
    if links:
        headers["Link"] = links
    return {"bookings": [booking_json(b) for b in page.items]}, 200, headers


def _page_links(page) -> str:
    """RFC 8288 links to the neighbouring pages, keeping the caller's filters."""
    def link(number: int, rel: str) -> str:
        args = {**request.args.to_dict(), "page": number, "per_page": page.per_page}
        return f'<{url_for(".list_bookings", _external=True, **args)}>; rel="{rel}"'

    links = []
    if page.has_prev:
        links += [link(1, "first"), link(min(page.prev_num, max(page.pages, 1)), "prev")]
    if page.has_next:
        links += [link(page.next_num, "next"), link(page.pages, "last")]
    return ", ".join(links)


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id: int):
    return _detail(_load(booking_id))


@bp.post("/bookings/<int:booking_id>/approve")
def approve_booking(booking_id: int):
    booking = _load(booking_id)
    json_object((), optional=True)
    rejected = services.approve(g.api_user, g.api_roles, booking)
    body = _detail(booking, rejected=[b.id for b in rejected])
    db.session.commit()
    return body


@bp.post("/bookings/<int:booking_id>/reject")
def reject_booking(booking_id: int):
    booking = _load(booking_id)
    reason = read_str(json_object(("reason",), optional=True), "reason")
    services.reject(g.api_user, g.api_roles, booking, reason)
    body = _detail(booking)
    db.session.commit()
    return body


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id: int):
    booking = _load(booking_id)
    reason = read_str(json_object(("reason",), optional=True), "reason")
    services.cancel(g.api_user, g.api_roles, booking, reason)
    body = _detail(booking)
    db.session.commit()
    return body
