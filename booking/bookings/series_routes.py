"""Pages for recurring bookings: the series part of a booking's page and its whole-series actions.

One occurrence is cancelled, approved or rejected with the single-booking routes.
"""
from __future__ import annotations

from datetime import datetime, time

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..accounts.permissions import Roles, roles_of
from ..accounts.routes import safe_next
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..timeutil import utcnow
from . import recurrence, series
from .models import APPROVED, PENDING, Booking
from .routes import act_and_return, bp


def series_view(roles: Roles, booking: Booking) -> dict | None:
    """What the booking page shows of its series, and which whole-series actions the viewer has."""
    if booking.series_id is None:
        return None
    row = booking.series
    now = utcnow()
    bookings = series.occurrences(row)
    manager = roles.manages(row.facility_id)
    own = row.enterprise_id == roles.enterprise_id

    def cancellable(b: Booking) -> bool:
        return b.status in (PENDING, APPROVED) and (b.start_at > now or (manager and b.end_at > now))

    return {
        "row": row,
        "description": recurrence.describe(row.rrule, booking.facility.tz),
        "occurrences": bookings,
        "can_cancel_following": (own or manager) and any(cancellable(b) for b in bookings
                                                          if b.start_at >= booking.start_at),
        "can_cancel_all": (own or manager) and any(cancellable(b) for b in bookings),
        "can_decide": manager and any(b.status == PENDING and b.end_at > now for b in bookings),
        "can_reschedule": (own or manager) and any(b.status in (PENDING, APPROVED) and b.start_at > now
                                                   for b in bookings),
        "reason_required": manager and not own,
    }


def _act(series_id: int, action):
    """Run one whole-series action, commit, and go back to the booking page it came from."""
    roles = roles_of(current_user)
    row = series.get_series(roles, series_id)
    return act_and_return(lambda: action(roles, row), safe_next(request.form.get("next"), url_for("bookings.home")))


@bp.post("/series/<int:series_id>/cancel")
@login_required
def cancel_series(series_id: int):
    reason = request.form.get("reason", "")
    from_id = request.form.get("from_booking", type=int)

    def action(roles, row):
        start = None
        if from_id is not None:
            start = _occurrence_start(row, from_id)
        cancelled = series.cancel_series(current_user, roles, row, start, reason)
        return ngettext("%(num)d date has been cancelled.", "%(num)d dates have been cancelled.", len(cancelled))
    return _act(series_id, action)


def _occurrence_start(row, booking_id: int) -> datetime:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.series_id != row.id:
        raise NotFound(_("There is no such booking."), code="unknown_booking")
    return booking.start_at


@bp.post("/series/<int:series_id>/approve")
@login_required
def approve_series(series_id: int):
    def action(roles, row):
        approved, rejected = series.approve_series(current_user, roles, row)
        message = ngettext("%(num)d date approved.", "%(num)d dates approved.", len(approved))
        if rejected:
            message += " " + ngettext("%(num)d overlapping request was rejected.",
                                      "%(num)d overlapping requests were rejected.", len(rejected))
        return message
    return _act(series_id, action)


@bp.post("/series/<int:series_id>/reject")
@login_required
def reject_series(series_id: int):
    reason = request.form.get("reason", "")

    def action(roles, row):
        rejected = series.reject_series(current_user, roles, row, reason)
        return ngettext("%(num)d date rejected.", "%(num)d dates rejected.", len(rejected))
    return _act(series_id, action)


@bp.post("/series/<int:series_id>/reschedule")
@login_required
def reschedule_series(series_id: int):
    start_text = request.form.get("start_time", "")
    minutes = request.form.get("duration_minutes", type=int)

    def action(roles, row):
        try:
            start = time.fromisoformat(start_text)
        except ValueError:
            raise InvalidInput(_("Please choose a start time."), code="invalid_time", field="start_time") from None
        if minutes is None:
            raise InvalidInput(_("Please give the length in minutes."), code="invalid_duration",
                               field="duration_minutes")
        moved = series.change_series_time(current_user, roles, row, start, minutes)
        return ngettext("%(num)d date has been moved.", "%(num)d dates have been moved.", len(moved))
    return _act(series_id, action)
