"""Recurrence rules (RFC 5545 RRULE): built from form choices, checked, expanded in local time.

A rule is evaluated on the facility's naive wall-clock times, starting at the first
occurrence's local start, and only then placed in the facility's zone and converted to
UTC: 09:00 stays 09:00 local across daylight-saving changes. A wall-clock time that a
DST change skips is reported on its occurrence (``error``), never shifted silently; a
time that occurs twice takes its first (summer-time) instant.

UNTIL may be a UTC time (``20270301T000000Z``), a local wall-clock time
(``20270301T090000``) or a date (``20270301``: up to and including that local day);
the stored rule always carries UNTIL in UTC, as RFC 5545 requires next to a DTSTART
with a time zone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import InvalidInput
from ..i18n import join, moment

MAX_OCCURRENCES = 366
# Rules are never followed further than this: nothing can be booked that far ahead anyway.
HORIZON_YEARS = 10
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORKDAYS = WEEKDAY_CODES[:5]
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
SUPPORTED_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST",
                   "BYYEARDAY", "BYWEEKNO")
MAX_INTERVAL = 999

# The choices of the request form's "Repeat" section.
REPEAT_CHOICES = {
    "": _l("Does not repeat"),
    "daily": _l("Daily"),
    "weekdays": _l("Every weekday (Monday to Friday)"),
    "weekly": _l("Weekly on chosen weekdays"),
    "monthly_day": _l("Monthly on a day of the month"),
    "monthly_nth": _l("Monthly on the n-th or last weekday"),
}
NTH_CHOICES = {1: _l("first"), 2: _l("second"), 3: _l("third"), 4: _l("fourth"), -1: _l("last")}

_UNTIL = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # aware UTC
    end: datetime
    local_start: datetime  # naive wall-clock time in the facility's zone
    error: str | None = None  # "nonexistent_time": the wall-clock time does not exist that day


def _invalid(message: str, code: str = "invalid_rrule") -> InvalidInput:
    return InvalidInput(message, code=code, field="rrule")


def too_many() -> InvalidInput:
    return _invalid(_("A series may have at most %(n)d occurrences; end it sooner, repeat it less often "
                      "or give a smaller number of times.", n=MAX_OCCURRENCES), code="too_many_occurrences")


# --- building from form choices -------------------------------------------------------------

def build_rrule(repeat: str, start_day: date, *, interval: int = 1, weekdays=(), month_day: int | None = None,
                nth: int | None = None, nth_weekday: int | None = None, until: date | None = None,
                count: int | None = None) -> str:
    """An RRULE from the form's choices; weekdays are 0 (Monday) to 6, defaults come from ``start_day``."""
    if (until is None) == (count is None):
        raise _invalid(_("Say when the series ends: on a date or after a number of times."), "rrule_end_required")
    interval = max(int(interval or 1), 1)
    parts = []
    if repeat == "daily":
        parts = ["FREQ=DAILY"]
    elif repeat == "weekdays":
        parts = ["FREQ=DAILY", "BYDAY=" + ",".join(WORKDAYS)]
        interval = 1
    elif repeat == "weekly":
        days = sorted(set(weekdays)) or [start_day.weekday()]
        parts = ["FREQ=WEEKLY", "BYDAY=" + ",".join(WEEKDAY_CODES[d] for d in days)]
    elif repeat == "monthly_day":
        parts = ["FREQ=MONTHLY", f"BYMONTHDAY={month_day or start_day.day}"]
    elif repeat == "monthly_nth":
        if nth is None:
            nth = (start_day.day - 1) // 7 + 1
            nth = -1 if nth > 4 else nth
        weekday = start_day.weekday() if nth_weekday is None else nth_weekday
        parts = ["FREQ=MONTHLY", f"BYDAY={nth}{WEEKDAY_CODES[weekday]}"]
    else:
        raise _invalid(_("Choose how the booking repeats."))
    if interval > 1:
        parts.insert(1, f"INTERVAL={interval}")
    parts.append(f"UNTIL={until:%Y%m%d}" if until is not None else f"COUNT={count}")
    return ";".join(parts)


# --- parsing and checking -------------------------------------------------------------------

def parse(text: str) -> dict[str, str]:
    """The parts of an RRULE, checked for what this application supports; raises InvalidInput."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "DTSTART" in text.upper():
        raise _invalid(_("The rule may not contain DTSTART: the series starts at the booking's start."))
    if not text or any(c in text for c in "\r\n:") or len(text) > 400:
        raise _invalid(_("The recurrence rule is not valid; write an RFC 5545 RRULE such as "
                         "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10."))
    parts: dict[str, str] = {}
    for pair in text.upper().split(";"):
        name, sep, value = pair.partition("=")
        if not sep or not name or not value or name in parts:
            raise _invalid(_("The recurrence rule is not valid; write an RFC 5545 RRULE such as "
                             "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10."))
        if name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise _invalid(_("The time of day comes from the booking's start; BYHOUR, BYMINUTE and BYSECOND "
                             "are not supported."))
        if name not in SUPPORTED_PARTS:
            raise _invalid(_("The rule part “%(part)s” is not supported.", part=name))
        parts[name] = value
    if parts.get("FREQ") not in FREQUENCIES:
        raise _invalid(_("A series repeats daily, weekly, monthly or yearly (FREQ=DAILY, WEEKLY, MONTHLY or "
                         "YEARLY)."), "unsupported_frequency")
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise _invalid(_("A series must end: give either UNTIL or COUNT (not both)."), "rrule_end_required")
    for name, low, high in (("INTERVAL", 1, MAX_INTERVAL), ("COUNT", 1, None)):
        if name in parts:
            value = parts[name]
            if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
                raise _invalid(_("The rule part %(part)s must be a whole number from %(low)d to %(high)d.",
                                 part=name, low=low, high=high or MAX_OCCURRENCES))
    if int(parts.get("COUNT", 0)) > MAX_OCCURRENCES:
        raise too_many()
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"]):
        raise _invalid(_("UNTIL must be a date (20270301) or a UTC time (20270301T000000Z)."))
    for name, low, high in (("BYMONTHDAY", 1, 31), ("BYMONTH", 1, 12), ("BYSETPOS", 1, 366),
                            ("BYYEARDAY", 1, 366), ("BYWEEKNO", 1, 53)):
        for value in parts.get(name, "").split(",") if name in parts else ():
            number = value.lstrip("+-")
            if not number.isdigit() or not low <= int(number) <= high or (low == 1 and name == "BYMONTH"
                                                                          and value[0] in "+-"):
                raise _invalid(_("The rule part %(part)s has an invalid value “%(value)s”.", part=name,
                                 value=value))
    for value in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else ():
        match = _BYDAY.match(value)
        if not match or (match.group(1) and not 1 <= abs(int(match.group(1))) <= 53):
            raise _invalid(_("The rule part %(part)s has an invalid value “%(value)s”.", part="BYDAY",
                             value=value))
    if parts.get("WKST", "MO") not in WEEKDAY_CODES:
        raise _invalid(_("The rule part %(part)s has an invalid value “%(value)s”.", part="WKST",
                         value=parts["WKST"]))
    return parts


def _until_local(value: str, tz: ZoneInfo) -> datetime:
    """UNTIL as a naive wall-clock time in ``tz``: a date reaches to the end of that local day."""
    day, clock, utc = _UNTIL.match(value).groups()
    try:
        moment = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
    except ValueError:
        raise _invalid(_("UNTIL must be a date (20270301) or a UTC time (20270301T000000Z).")) from None
    if utc:
        moment = moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    return moment


def normalise(text: str, tz: ZoneInfo) -> str:
    """The rule as stored: upper case, UNTIL as a UTC time."""
    parts = parse(text)
    if "UNTIL" in parts:
        until = _until_local(parts["UNTIL"], tz).replace(tzinfo=tz).astimezone(UTC)
        parts["UNTIL"] = until.strftime("%Y%m%dT%H%M%SZ")
    return ";".join(f"{name}={value}" for name, value in parts.items())


# --- expansion ------------------------------------------------------------------------------

def expand(text: str, first_start: datetime, duration: timedelta, tz: ZoneInfo) -> list[Occurrence]:
    """Every occurrence of the rule from ``first_start`` (aware) on, at most MAX_OCCURRENCES."""
    parts = parse(text)
    local_start = first_start.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
    horizon = local_start.replace(year=local_start.year + HORIZON_YEARS, day=min(local_start.day, 28))
    count = int(parts.pop("COUNT", 0)) or None
    until = _until_local(parts.pop("UNTIL"), tz) if "UNTIL" in parts else None
    limit = min(until, horizon) if until else horizon
    rule_text = ";".join(f"{n}={v}" for n, v in parts.items()) + f";UNTIL={limit:%Y%m%dT%H%M%S}"
    try:
        rule = rrulestr(rule_text, dtstart=local_start)
        wanted = count if count is not None else MAX_OCCURRENCES + 1
        moments = list(islice(iter(rule), wanted))
    except (ValueError, TypeError, OverflowError):
        raise _invalid(_("The recurrence rule is not valid; write an RFC 5545 RRULE such as "
                         "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10.")) from None
    if len(moments) > MAX_OCCURRENCES:
        raise too_many()
    if count is not None and len(moments) < count:
        raise _invalid(_("The series would reach more than %(n)d years ahead.", n=HORIZON_YEARS), "rrule_too_far")
    if not moments:
        raise _invalid(_("The rule gives no dates on or after the start."), "no_occurrences")
    return [_occurrence(moment, duration, tz) for moment in moments]


def _occurrence(local: datetime, duration: timedelta, tz: ZoneInfo) -> Occurrence:
    start = local.replace(tzinfo=tz).astimezone(UTC)
    error = None
    if start.astimezone(tz).replace(tzinfo=None) != local:
        error = "nonexistent_time"
    return Occurrence(start=start, end=start + duration, local_start=local, error=error)


def at_local_time(day: date, clock: time, tz: ZoneInfo) -> tuple[datetime, bool]:
    """``clock`` on ``day`` in ``tz`` as aware UTC, and whether that wall-clock time exists."""
    local = datetime.combine(day, clock)
    occurrence = _occurrence(local, timedelta(0), tz)
    return occurrence.start, occurrence.error is None


def nonexistent_message(occurrence_local: datetime) -> str:
    return _("%(time)s does not exist on %(date)s: the clocks change that day.",
             time=occurrence_local.strftime("%H:%M"), date=moment(occurrence_local.date(), style="date"))


# --- description ----------------------------------------------------------------------------

def describe(text: str, tz: ZoneInfo | None = None) -> str:
    """A short description of the common rules, for pages; other rules are shown as written."""
    try:
        parts = parse(text)
    except InvalidInput:
        return text
    interval = int(parts.get("INTERVAL", 1))
    freq, byday = parts["FREQ"], parts.get("BYDAY", "")
    names = dict(zip(WEEKDAY_CODES, (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))))
    extra = set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST"}
    if extra:
        return text
    if freq == "DAILY" and byday == ",".join(WORKDAYS) and interval == 1:
        what = _("Every weekday")
    elif freq == "DAILY" and not byday:
        what = _("Every day") if interval == 1 else _("Every %(n)d days", n=interval)
    elif freq == "WEEKLY" and byday and all(d in names for d in byday.split(",")):
        days = join(names[d] for d in byday.split(","))
        what = (_("Weekly on %(days)s", days=days) if interval == 1
                else _("Every %(n)d weeks on %(days)s", n=interval, days=days))
    elif freq == "MONTHLY" and "BYMONTHDAY" in parts and "," not in parts["BYMONTHDAY"] and not byday:
        what = (_("Monthly on day %(day)s", day=parts["BYMONTHDAY"]) if interval == 1
                else _("Every %(n)d months on day %(day)s", n=interval, day=parts["BYMONTHDAY"]))
    elif freq == "MONTHLY" and byday and "," not in byday and _BYDAY.match(byday).group(1):
        nth, code = _BYDAY.match(byday).groups()
        label = NTH_CHOICES.get(int(nth))
        if label is None:
            return text
        what = (_("Monthly on the %(nth)s %(day)s", nth=label, day=names[code]) if interval == 1
                else _("Every %(n)d months on the %(nth)s %(day)s", n=interval, nth=label, day=names[code]))
    else:
        return text
    if "COUNT" in parts:
        return _("%(rule)s, %(n)s times", rule=what, n=parts["COUNT"])
    if tz is not None:
        return _("%(rule)s, until %(date)s", rule=what, date=f"{_until_local(parts['UNTIL'], tz):%Y-%m-%d}")
    return what
