"""Maintenance windows from an .ics file into a facility's closures.

The file comes from outside, so it is read defensively: a bounded size and number of
events, parser failures reported as a form error, and every event checked on its own.
Date-only values are whole local days in the facility's zone, floating (naive) times
are the facility's local time. Events without an end, ending before they start or
already over are skipped, as are recurring events and cancelled ones (a closure is
one interval) and windows the facility already has (importing a file twice adds
nothing). Each closure goes through ``add_closure``, so it is checked and audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, vBroken
from sqlalchemy import select

from ..accounts.models import User
from ..accounts.permissions import Roles
from ..errors import InvalidInput
from ..extensions import db
from ..facilities.models import Closure, Facility
from ..facilities.services import add_closure, require_manager
from ..timeutil import utcnow

MAX_BYTES = 1024 * 1024
MAX_EVENTS = 500
MAX_REASON = 500
# Outside these years an event is a typo or garbage, and local-time arithmetic could overflow.
MIN_YEAR, MAX_YEAR = 2000, 2999


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0


def import_closures(actor: User, roles: Roles, facility: Facility, data: bytes,
                    now: datetime | None = None) -> ImportResult:
    require_manager(roles, facility)
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is too large (at most %(n)d MB).", n=MAX_BYTES // 2**20),
                           code="file_too_large", field="file")
    events = _events(data)
    now = now or utcnow()
    existing = {(c.start_at, c.end_at) for c in db.session.scalars(
        select(Closure).where(Closure.facility_id == facility.id, Closure.end_at > now))}
    result = ImportResult()
    for event in events:
        window = _window(event, facility)
        if window is None or window[1] <= now or window in existing:
            result.skipped += 1
            continue
        add_closure(actor, roles, facility, window[0], window[1], _reason(event), kind="maintenance")
        existing.add(window)
        result.imported += 1
    return result


def _events(data: bytes) -> list:
    try:
        # The parser is third-party code fed with untrusted bytes: whatever it raises means "not a
        # calendar we can read", and the person gets a message rather than an error page.
        calendars = Calendar.from_ical(data, multiple=True)
    except Exception:  # noqa: BLE001
        raise InvalidInput(_("This file is not a valid iCalendar (.ics) file."), code="invalid_ics",
                           field="file") from None
    if not calendars or any(c.name != "VCALENDAR" for c in calendars):
        raise InvalidInput(_("This file is not a valid iCalendar (.ics) file."), code="invalid_ics",
                           field="file")
    events = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    if len(events) > MAX_EVENTS:
        raise InvalidInput(_("The file holds more than %(n)d events; please import it in parts.", n=MAX_EVENTS),
                           code="too_many_events", field="file")
    return events


def _value(event, name: str):
    """A property's date, datetime or duration; None where it is missing or broken."""
    prop = event.get(name)
    if prop is None or isinstance(prop, vBroken):  # a value the parser could not read
        return None
    value = getattr(prop, "dt", None)
    return value if isinstance(value, (date, timedelta)) else None


def _window(event, facility: Facility) -> tuple[datetime, datetime] | None:
    if event.get("RRULE") or event.get("RDATE") or event.get("RECURRENCE-ID"):
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start_value, end_value, duration = _value(event, "DTSTART"), _value(event, "DTEND"), _value(event, "DURATION")
    if not isinstance(start_value, date) or not (isinstance(end_value, date) or isinstance(duration, timedelta)):
        return None
    try:
        if not isinstance(end_value, date):
            end_value = start_value + duration
        start, end = _instant(start_value, facility), _instant(end_value, facility)
    except (OverflowError, ValueError):
        return None
    if start is None or end is None or end <= start:
        return None
    return start, end


def _instant(value: date, facility: Facility) -> datetime | None:
    """Aware UTC; dates are local midnights and floating times local times of the facility."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=facility.tz)
    return value.astimezone(UTC)


def _reason(event) -> str:
    summary = str(event.get("SUMMARY", "") or "").replace("\x00", "").strip()
    return " ".join(summary.split())[:MAX_REASON]
