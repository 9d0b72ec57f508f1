"""A facility's booking rules as pure functions over intervals (aware UTC, half-open)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flask_babel import gettext as _

from ..errors import InvalidInput
from ..i18n import moment
from ..timeutil import format_hhmm, iso, local_at

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    result = list(intervals)
    for hole_start, hole_end in holes:
        pieces = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                pieces.append((start, end))
                continue
            if start < hole_start:
                pieces.append((start, hole_start))
            if hole_end < end:
                pieces.append((hole_end, end))
        result = pieces
    return result


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def bookable_intervals(facility, windows: Iterable, start: datetime, end: datetime) -> list[Interval]:
    """The facility's bookable hours (weekday windows in its local time) that fall in [start, end)."""
    tz = facility.tz
    by_weekday: dict[int, list[tuple[int, int]]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append((window.start_minute, window.end_minute))
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    found: list[Interval] = []
    while day <= last:
        for first_minute, last_minute in by_weekday.get(day.weekday(), ()):
            s, e = local_at(day, first_minute, tz), local_at(day, last_minute, tz)
            s, e = max(s, start), min(e, end)
            if s < e:
                found.append((s, e))
        day += timedelta(days=1)
    return merge(found)


def check_request(facility, windows, closures: Sequence, start: datetime, end: datetime,
                  now: datetime, *, override: bool = False) -> bool:
    """Raise InvalidInput naming the first rule that [start, end) breaks.

    ``override`` (a manager or administrator) lifts bookable hours and closures only;
    the result says whether it had to, so that the override can be recorded.
    """
    if end <= start:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    minutes = (end - start).total_seconds() / 60
    tz = facility.tz
    for value, field in ((start, "start"), (end, "end")):
        local = value.astimezone(tz)
        if local.second or local.microsecond or (local.hour * 60 + local.minute) % facility.slot_minutes:
            raise InvalidInput(
                _("Times must fall on the facility's %(n)d-minute slots.", n=facility.slot_minutes),
                code="not_aligned", field=field)
    if minutes < facility.min_minutes:
        raise InvalidInput(_("A booking must last at least %(n)d minutes.", n=facility.min_minutes),
                           code="too_short", field="end")
    if minutes > facility.max_minutes:
        raise InvalidInput(_("A booking may last at most %(n)d minutes.", n=facility.max_minutes),
                           code="too_long", field="end")
    if start < now + timedelta(minutes=facility.min_notice_minutes):
        raise InvalidInput(
            _("Bookings must be made at least %(n)d minutes ahead.", n=facility.min_notice_minutes),
            code="too_soon", field="start")
    if start > now + timedelta(days=facility.max_advance_days):
        raise InvalidInput(
            _("Bookings may be made at most %(n)d days ahead.", n=facility.max_advance_days),
            code="too_far", field="start")
    if not any(s <= start and end <= e for s, e in bookable_intervals(facility, windows, start, end)):
        if override:
            return True
        raise InvalidInput(_("The facility cannot be booked at this time (outside its bookable hours)."),
                           code="outside_hours", field="start")
    for closure in closures:
        if overlaps(start, end, closure.start_at, closure.end_at):
            if override:
                return True
            raise InvalidInput(
                _("The facility is closed from %(start)s to %(end)s: %(reason)s",
                  start=moment(closure.start_at, tz), end=moment(closure.end_at, tz),
                  reason=closure.reason or _("closure")),
                code="closed", field="start",
                details={"closure": {"start": iso(closure.start_at), "end": iso(closure.end_at),
                                     "reason": closure.reason}})
    return False


def hours_as_dict(windows: Iterable) -> dict[str, list[list[str]]]:
    from .models import WEEKDAYS
    result: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for window in sorted(windows, key=lambda w: (w.weekday, w.start_minute)):
        result[WEEKDAYS[window.weekday]].append([format_hhmm(window.start_minute), format_hhmm(window.end_minute)])
    return result
