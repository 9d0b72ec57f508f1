"""Pages of actual use: check in, check out and correct, from the booking's page.

The forms sit on the booking page (templates/bookings/_usage.html); each POST runs one
usage service through ``act_and_return`` (one commit, a flashed message) and goes back.
Times are entered in the facility's local time.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..accounts.permissions import roles_of
from ..accounts.routes import safe_next
from ..bookings.models import APPROVED, CHECKED_IN
from ..bookings.routes import act_and_return
from ..bookings.services import get_booking
from ..errors import InvalidInput
from ..facilities.models import OUTPUT_UNITS
from ..i18n import moment
from ..timeutil import parse_iso
from . import services

bp = Blueprint("usage", __name__)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
USAGE_FIELDS = {"actual_start": _l("Checked in at"), "actual_end": _l("Checked out at"),
                "output_quantity": _l("Output"), "output_unit": _l("Unit"), "notes": _l("Notes")}


@bp.app_context_processor
def _usage_helpers():
    return {"usage_rights": usage_rights, "output_units": OUTPUT_UNITS, "local_input": local_input,
            "usage_fields": USAGE_FIELDS, "correction_value": correction_value}


def usage_rights(booking) -> dict[str, bool]:
    """Which usage forms the current user sees on the booking's page."""
    roles = roles_of(current_user)
    record = services.can_record(roles, booking)
    return {"check_in": record and booking.status == APPROVED,
            "check_out": record and booking.status == CHECKED_IN,
            "correct": roles.manages(booking.facility_id) and booking.usage is not None
            and booking.status in services.CORRECTABLE}


def correction_value(name: str, value, tz) -> str:
    """A value kept in a correction (ISO text, decimal text, a unit code) as people read it."""
    if value is None or value == "":
        return "—"
    if name in ("actual_start", "actual_end"):
        return moment(parse_iso(value), tz)
    if name == "output_unit":
        return str(OUTPUT_UNITS.get(value, value))
    return str(value)


def local_input(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime(LOCAL_FORMAT) if value else ""


def _local_time(name: str, tz, current: datetime | None = None) -> datetime | None:
    """A datetime-local field as aware UTC; empty, or unchanged to the minute, is None."""
    text = request.form.get(name, "").strip()
    if not text or (current is not None and text == local_input(current, tz)):
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=tz)
    except ValueError:
        raise InvalidInput(_("Please give the time as date and hour, e.g. 2025-03-03 09:00."),
                           code="invalid_datetime", field=name) from None


def _act(booking_id: int, action):
    roles = roles_of(current_user)
    booking = get_booking(roles, booking_id)
    back = safe_next(request.form.get("next"), url_for("bookings.detail", booking_id=booking_id))
    return act_and_return(lambda: action(roles, booking), back)


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int):
    def action(roles, booking):
        services.check_in(current_user, roles, booking, at=_local_time("at", booking.facility.tz))
        return _("Checked in.")
    return _act(booking_id, action)


@bp.post("/bookings/<int:booking_id>/check-out")
@login_required
def check_out(booking_id: int):
    form = request.form

    def action(roles, booking):
        services.check_out(current_user, roles, booking, at=_local_time("at", booking.facility.tz),
                           output_quantity=form.get("output_quantity", "").strip() or None,
                           output_unit=form.get("output_unit") or None, notes=form.get("notes", ""))
        return _("Checked out; the use is recorded.")
    return _act(booking_id, action)


@bp.post("/bookings/<int:booking_id>/usage")
@login_required
def correct(booking_id: int):
    form = request.form

    def action(roles, booking):
        usage, tz = booking.usage, booking.facility.tz
        services.correct_usage(
            current_user, roles, booking,
            actual_start=_local_time("actual_start", tz, usage.actual_start if usage else None),
            actual_end=_local_time("actual_end", tz, usage.actual_end if usage else None),
            output_quantity=form.get("output_quantity", "").strip() or None,
            output_unit=form.get("output_unit") or None, notes=form.get("notes"), reason=form.get("reason", ""))
        return _("The correction is recorded.")
    return _act(booking_id, action)
