"""Bookings as iCalendar (RFC 5545), written with the ``icalendar`` package.

One VEVENT per booking, with a stable UID (``booking-<id>@<CALENDAR_UID_DOMAIN>``), the
booking's SEQUENCE (bumped by the workflow on every change) and its times in the
facility's own zone, for which the calendar carries a VTIMEZONE.

Recurring series are exported as separate events, one per occurrence, never as an
RRULE: every occurrence is a booking of its own that is approved, moved or cancelled
on its own, so a calendar client sees exactly the rows the application shows. A
cancelled (or rejected, or missed) occurrence stays in the calendar as a
STATUS:CANCELLED event with a higher SEQUENCE, so that clients drop it.

What a viewer reads follows the schedule's privacy rule: the purpose and the details
only for those who may see them (``Roles.sees_booking_details``); everyone else reads
"Booked", with the enterprise's name where the chain shows booker names.

``booking_ics(booking, roles, method)`` also writes the METHOD:REQUEST / CANCEL
attachments that approval and cancellation e-mails will carry once notifications exist.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..accounts.permissions import Roles
from ..bookings.models import (APPROVED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW, PENDING, REJECTED,
                               Booking)
from ..bookings.reasons import shown
from ..timeutil import utcnow

PRODID = "-//Lianxiang//链享//ZH"
MEDIA_TYPE = "text/calendar; charset=utf-8"
PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"
METHODS = (PUBLISH, REQUEST, CANCEL)

EVENT_STATUS = {
    PENDING: "TENTATIVE",
    APPROVED: "CONFIRMED",
    CHECKED_IN: "CONFIRMED",
    COMPLETED: "CONFIRMED",
    CANCELLED: "CANCELLED",
    REJECTED: "CANCELLED",
    NO_SHOW: "CANCELLED",
}


def uid_domain() -> str:
    return current_app.config.get("CALENDAR_UID_DOMAIN") or "lianxiang.local"


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.id}@{uid_domain()}"


def new_calendar(method: str = PUBLISH, *, name: str | None = None, uid: str | None = None) -> Calendar:
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    return Calendar.new(prodid=PRODID, method=method, calscale="GREGORIAN", name=name,
                        uid=uid or f"calendar@{uid_domain()}")


def calendar_for(bookings: Iterable[Booking], roles: Roles, *, method: str = PUBLISH, name: str | None = None,
                 uid: str | None = None, now: datetime | None = None) -> Calendar:
    """A VCALENDAR with one VEVENT per booking and a VTIMEZONE for every facility zone used.

    The bookings should come with their facility, enterprise and series loaded.
    """
    calendar = new_calendar(method, name=name, uid=uid)
    stamp = now or utcnow()
    first: date | None = None
    last: date | None = None
    for booking in bookings:
        calendar.add_component(booking_event(booking, roles, stamp=stamp, cancel=method == CANCEL))
        start, end = booking.start_at.date(), booking.end_at.date()
        first = start if first is None else min(first, start)
        last = end if last is None else max(last, end)
    if first is not None:
        # Only the transitions the events need: a zone's full history would bloat every poll.
        calendar.add_missing_timezones(first_date=first - timedelta(days=1),
                                       last_date=last + timedelta(days=366))
    return calendar


def booking_ics(booking: Booking, roles: Roles, method: str = PUBLISH, *, now: datetime | None = None) -> bytes:
    """One booking as a complete .ics file (a download, or an e-mail attachment with REQUEST/CANCEL)."""
    return calendar_for([booking], roles, method=method, uid=f"calendar-{booking_uid(booking)}",
                        now=now).to_ical()


def booking_event(booking: Booking, roles: Roles, *, stamp: datetime, cancel: bool = False) -> Event:
    facility = booking.facility
    tz = facility.tz
    details = roles.sees_booking_details(booking)
    status = "CANCELLED" if cancel else EVENT_STATUS.get(booking.status, "TENTATIVE")
    return Event.new(
        uid=booking_uid(booking),
        stamp=stamp,
        start=booking.start_at.astimezone(tz),
        end=booking.end_at.astimezone(tz),
        sequence=booking.sequence,
        last_modified=booking.updated_at,
        status=status,
        summary=_summary(booking, details),
        location=_location(booking),
        description=_description(booking, details),
        url=_url(booking) if details else None,
    )


def _summary(booking: Booking, details: bool) -> str:
    facility = booking.facility.display_name
    if details:
        return f"{facility} · {booking.purpose or booking.enterprise.display_name}"
    if booking.facility.chain.show_booker_names:
        return f"{facility} · {_('Booked')} ({booking.enterprise.display_name})"
    return f"{facility} · {_('Booked')}"


def _location(booking: Booking) -> str:
    facility = booking.facility
    return ", ".join(part for part in (facility.display_name, facility.park, facility.location) if part)


def _description(booking: Booking, details: bool) -> str:
    if not details:
        lines = [_("Booked")]
        if booking.facility.chain.show_booker_names:
            lines.append(_("Enterprise: %(name)s", name=booking.enterprise.display_name))
        return "\n".join(lines)
    lines = [
        _("Enterprise: %(name)s", name=booking.enterprise.display_name),
        _("Status: %(status)s", status=booking.status_label),
    ]
    if booking.purpose:
        lines.append(_("Purpose: %(purpose)s", purpose=booking.purpose))
    if booking.rejection_reason:
        lines.append(_("Reason for rejecting: %(reason)s", reason=shown(booking.rejection_reason)))
    if booking.status == CANCELLED and booking.cancel_reason:
        lines.append(_("Reason for cancelling: %(reason)s", reason=booking.cancel_reason))
    if booking.series_id is not None:
        lines.append(_("Part of recurring series #%(id)d.", id=booking.series_id))
    lines.append(_url(booking))
    return "\n".join(lines)


def _url(booking: Booking) -> str:
    return url_for("bookings.detail", booking_id=booking.id, _external=True)
