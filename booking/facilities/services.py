"""Facilities, their hours, closures and managers."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.permissions import Roles, forget_roles
from ..accounts.services import record
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..organisation.models import Chain, Enterprise
from ..timeutil import format_hhmm, is_valid_zone, parse_hhmm, utcnow
from .models import BILLING_BASES, KINDS, OUTPUT_UNITS, RATE_UNITS, WEEKDAYS, BookableHours, Closure, Facility


def get_visible(roles: Roles, facility_id: int) -> Facility:
    """A facility the viewer may see; others answer 404 so their existence is not revealed."""
    facility = db.session.get(Facility, facility_id)
    if facility is None or not roles.can_see_facility(facility):
        raise NotFound(_("There is no such facility."), code="unknown_facility")
    return facility


def visible_query(roles: Roles):
    query = select(Facility)
    chains = roles.visible_chain_ids()
    if chains is not None:
        query = query.where(Facility.chain_id.in_(chains) | Facility.id.in_(roles.managed_facility_ids))
    return query


def hours_by_facility(facility_ids: Iterable[int]) -> dict[int, list[BookableHours]]:
    result: dict[int, list[BookableHours]] = defaultdict(list)
    ids = list(facility_ids)
    if ids:
        for window in db.session.scalars(select(BookableHours).where(BookableHours.facility_id.in_(ids))):
            result[window.facility_id].append(window)
    return result


def closures_by_facility(facility_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Closure]]:
    result: dict[int, list[Closure]] = defaultdict(list)
    ids = list(facility_ids)
    if ids:
        query = (select(Closure).where(Closure.facility_id.in_(ids), Closure.start_at < end, Closure.end_at > start)
                 .order_by(Closure.start_at))
        for closure in db.session.scalars(query):
            result[closure.facility_id].append(closure)
    return result


def require_manager(roles: Roles, facility: Facility) -> None:
    if not roles.manages(facility.id):
        raise Forbidden(_("Only the facility's managers may do this."))


def require_admin(roles: Roles) -> None:
    if not roles.is_admin:
        raise Forbidden(_("Only administrators may do this."))


def get_for_admin(roles: Roles, facility_id: int) -> Facility:
    require_admin(roles)
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(_("There is no such facility."), code="unknown_facility")
    return facility


def get_managed(roles: Roles, facility_id: int) -> Facility:
    """A facility whose hours and closures the viewer manages: 404 if unknown, 403 if not theirs."""
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(_("There is no such facility."), code="unknown_facility")
    require_manager(roles, facility)
    return facility


def admin_query(roles: Roles, chain_id: int | None = None, kind: str | None = None) -> Select:
    """Every facility for the administrators' list, with host and managers loaded up front."""
    require_admin(roles)
    query = (select(Facility).options(selectinload(Facility.host_enterprise), selectinload(Facility.managers))
             .order_by(Facility.chain_id, Facility.name, Facility.id))
    if chain_id:
        query = query.where(Facility.chain_id == chain_id)
    if kind:
        query = query.where(Facility.kind == kind)
    return query


def upcoming_closures(facility: Facility, now: datetime | None = None) -> list[Closure]:
    """Closures not yet over, soonest first."""
    return list(db.session.scalars(
        select(Closure).where(Closure.facility_id == facility.id, Closure.end_at > (now or utcnow()))
        .order_by(Closure.start_at, Closure.id)))


def get_closure(facility: Facility, closure_id: int) -> Closure:
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.facility_id != facility.id:
        raise NotFound(_("There is no such closure."), code="unknown_closure")
    return closure


# --- changes -------------------------------------------------------------------------------

FACILITY_FIELDS = (
    "chain_id", "name", "name_en", "kind", "host_enterprise_id", "park", "location", "description",
    "capacity", "throughput_per_hour", "output_unit", "timezone", "active", "requires_approval",
    "slot_minutes", "min_minutes", "max_minutes", "min_notice_minutes", "max_advance_days",
    "buffer_minutes", "currency", "rate_unit", "shared_rate", "reference_rate", "billing_basis",
    "no_show_fee", "late_cancel_fee", "cancel_notice_minutes", "reminder_hours", "peak_start_minute",
    "peak_end_minute", "peak_weekdays",
)


_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONEY_FIELDS = ("shared_rate", "reference_rate", "no_show_fee", "late_cancel_fee")
_CENT = Decimal("0.01")
_LARGEST_NUMBER = 1_000_000  # minutes, days, people: far beyond any real rule, well inside an integer column
_LONGEST_REMINDER = 24 * 366  # hours
# field: (smallest allowed value, error message)
_MINUTE_LIMITS = {
    "slot_minutes": (1, _l("The slot length must be at least one minute.")),
    "min_minutes": (1, _l("The shortest booking must last at least one minute.")),
    "max_minutes": (1, _l("The longest booking must last at least one minute.")),
    "min_notice_minutes": (0, _l("The minimum notice cannot be negative.")),
    "max_advance_days": (1, _l("Bookings must be possible at least one day ahead.")),
    "buffer_minutes": (0, _l("The changeover buffer cannot be negative.")),
}


def _check_facility_data(data: dict) -> None:
    """Refuse what the database would refuse (or store wrongly) with a message on the field."""
    if "name" in data and not (data["name"] or "").strip():
        raise InvalidInput(_("Please give the facility a name."), code="required", field="name")
    if "chain_id" in data and db.session.get(Chain, data["chain_id"] or 0) is None:
        raise InvalidInput(_("Please choose the facility's chain."), code="invalid_chain", field="chain_id")
    if data.get("host_enterprise_id"):
        host = db.session.get(Enterprise, data["host_enterprise_id"])
        if host is None or ("chain_id" in data and data["chain_id"] not in {c.id for c in host.chains}):
            raise InvalidInput(_("The host enterprise must belong to the facility's chain."),
                               code="invalid_host", field="host_enterprise_id")
    for field, (smallest, message) in _MINUTE_LIMITS.items():
        if field in data and (data[field] is None or data[field] < smallest):
            raise InvalidInput(message, code="out_of_range", field=field)
        if field in data and data[field] > _LARGEST_NUMBER:
            raise InvalidInput(_("This number is too large."), code="out_of_range", field=field)
    if data.get("capacity") is not None and not 0 <= data["capacity"] <= _LARGEST_NUMBER:
        raise InvalidInput(_("The capacity must be between 0 and %(n)d.", n=_LARGEST_NUMBER),
                           code="out_of_range", field="capacity")
    if data.get("throughput_per_hour") is not None:
        _check_amount(data["throughput_per_hour"], "throughput_per_hour")
    for field in _MONEY_FIELDS:
        if field in data:
            _check_amount(data[field], field)
    if "currency" in data and not _CURRENCY.match(data["currency"] or ""):
        raise InvalidInput(_("Use a three-letter currency code such as CNY."), code="invalid_currency",
                           field="currency")
    if "rate_unit" in data and data["rate_unit"] not in RATE_UNITS:
        raise InvalidInput(_("Unknown rate unit."), code="invalid_rate_unit", field="rate_unit")
    if "billing_basis" in data and data["billing_basis"] not in BILLING_BASES:
        raise InvalidInput(_("Unknown billing basis."), code="invalid_billing_basis", field="billing_basis")
    _check_policies(data)


def _check_policies(data: dict) -> None:
    """Cancellation notice, reminder and peak hours (each only where ``data`` sets it)."""
    if "cancel_notice_minutes" in data:
        notice = data["cancel_notice_minutes"]
        if notice is None:
            raise InvalidInput(_("Please give the cancellation notice in minutes (0: cancelling is never late)."),
                               code="required", field="cancel_notice_minutes")
        if not 0 <= notice <= _LARGEST_NUMBER:
            raise InvalidInput(_("The cancellation notice must be between 0 and %(n)d minutes.", n=_LARGEST_NUMBER),
                               code="out_of_range", field="cancel_notice_minutes")
    reminder = data.get("reminder_hours")
    if reminder is not None and not 0 < reminder <= _LONGEST_REMINDER:
        raise InvalidInput(_("Send the reminder between 1 and %(n)d hours before the start, or leave it empty "
                             "for no reminder.", n=_LONGEST_REMINDER), code="out_of_range", field="reminder_hours")
    if "peak_start_minute" not in data and "peak_end_minute" not in data:
        return
    start, end = data.get("peak_start_minute"), data.get("peak_end_minute")
    if (start is None) != (end is None):
        raise InvalidInput(_("Give both the start and the end of the peak hours, or neither."),
                           code="invalid_peak_hours", field="peak_end_minute" if end is None else "peak_start_minute")
    if start is None:
        return
    if not 0 <= start < 24 * 60:
        raise InvalidInput(_("The peak hours must start between 00:00 and 23:59."), code="invalid_peak_hours",
                           field="peak_start_minute")
    if not start < end <= 24 * 60:
        raise InvalidInput(_("The peak hours must end after they start, at 24:00 at the latest."),
                           code="invalid_peak_hours", field="peak_end_minute")
    weekdays = data.get("peak_weekdays", "01234")
    if not weekdays:
        raise InvalidInput(_("Choose the days that have peak hours."), code="invalid_peak_hours",
                           field="peak_weekdays")
    if any(day not in "0123456" for day in weekdays) or len(set(weekdays)) != len(weekdays):
        raise InvalidInput(_("Unknown weekday in the peak days."), code="invalid_peak_hours", field="peak_weekdays")


def _check_amount(value, field: str) -> None:
    """A Decimal that fits a Numeric(12, 2) column exactly: never rounded behind the user's back."""
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidInput(_("Please enter an amount of zero or more."), code="invalid_amount", field=field)
    if value >= Decimal("1e10") or value.quantize(_CENT) != value:
        raise InvalidInput(_("Amounts have at most two decimal places and ten digits before the point."),
                           code="invalid_amount", field=field)


def save_facility(actor: User, roles: Roles, facility: Facility | None, data: dict) -> Facility:
    require_admin(roles)
    if data.get("kind") not in KINDS:
        raise InvalidInput(_("Unknown facility kind."), code="invalid_kind", field="kind")
    if data.get("timezone") and not is_valid_zone(data["timezone"]):
        raise InvalidInput(_("Unknown time zone."), code="invalid_timezone", field="timezone")
    if data.get("output_unit") and data["output_unit"] not in OUTPUT_UNITS:
        raise InvalidInput(_("Unknown output unit."), code="invalid_unit", field="output_unit")
    _check_facility_data(data)
    if data["max_minutes"] < data["min_minutes"]:
        raise InvalidInput(_("The longest booking cannot be shorter than the shortest."),
                           code="invalid_duration", field="max_minutes")
    for field in ("min_minutes", "max_minutes"):
        if data[field] % data["slot_minutes"]:
            raise InvalidInput(_("Durations must be whole multiples of the slot length."),
                               code="invalid_duration", field=field)
    created = facility is None
    facility = facility or Facility()
    before = {f: str(getattr(facility, f)) for f in FACILITY_FIELDS} if not created else {}
    for field in FACILITY_FIELDS:
        if field in data:
            setattr(facility, field, data[field])
    if created:
        db.session.add(facility)
    db.session.flush()
    changed = {f: [before.get(f), str(getattr(facility, f))] for f in FACILITY_FIELDS
               if before.get(f) != str(getattr(facility, f))}
    record(actor, "facility_created" if created else "facility_updated", "facility", facility.id, changes=changed)
    return facility


def update_facility(actor: User, roles: Roles, facility: Facility, changes: dict) -> Facility:
    """Change some of a facility's fields; the others keep their values and everything is checked
    as by ``save_facility`` (administrators)."""
    require_admin(roles)
    unknown = set(changes) - set(FACILITY_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field “%(field)s”.", field=sorted(unknown)[0]), code="unknown_field",
                           field=sorted(unknown)[0])
    data = {field: getattr(facility, field) for field in FACILITY_FIELDS}
    return save_facility(actor, roles, facility, {**data, **changes})


def parse_hours(text_by_day: dict[str, str]) -> list[tuple[int, int, int]]:
    """``{"mon": "08:00-12:00, 13:00-20:00", ...}`` → [(weekday, start, end)]; raises InvalidInput."""
    windows = []
    for weekday, day in enumerate(WEEKDAYS):
        spans = [s.strip() for s in (text_by_day.get(day) or "").replace("，", ",").split(",") if s.strip()]
        day_windows = []
        for span in spans:
            first, sep, last = span.partition("-")
            try:
                start, end = parse_hhmm(first), parse_hhmm(last)
            except ValueError:
                start = end = -1
            if not sep or start < 0 or start >= end:
                raise InvalidInput(_("Write hours as 08:00-12:00, 13:00-20:00 (%(span)s)", span=span),
                                   code="invalid_hours", field=day)
            day_windows.append((start, end))
        day_windows.sort()
        if any(a[1] > b[0] for a, b in zip(day_windows, day_windows[1:])):
            raise InvalidInput(_("The windows of one day must not overlap."), code="invalid_hours", field=day)
        windows.extend((weekday, s, e) for s, e in day_windows)
    return windows


def set_hours(actor: User, roles: Roles, facility: Facility, windows: list[tuple[int, int, int]]) -> None:
    require_manager(roles, facility)
    facility.hours = [BookableHours(weekday=d, start_minute=s, end_minute=e) for d, s, e in windows]
    db.session.flush()
    record(actor, "hours_set", "facility", facility.id, windows=windows)


def add_closure(actor: User, roles: Roles, facility: Facility, start: datetime, end: datetime,
                reason: str, kind: str = "closure") -> Closure:
    require_manager(roles, facility)
    if end <= start:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    if kind not in ("closure", "maintenance"):
        raise InvalidInput(_("Unknown closure kind."), code="invalid_kind", field="kind")
    closure = Closure(facility_id=facility.id, start_at=start, end_at=end, reason=reason.strip(), kind=kind,
                      created_by_id=actor.id)
    db.session.add(closure)
    db.session.flush()
    record(actor, "closure_added", "facility", facility.id, closure_id=closure.id,
           start=start.isoformat(), end=end.isoformat(), reason=reason)
    return closure


def remove_closure(actor: User, roles: Roles, closure: Closure) -> None:
    require_manager(roles, closure.facility)
    record(actor, "closure_removed", "facility", closure.facility_id, start=closure.start_at.isoformat(),
           end=closure.end_at.isoformat(), reason=closure.reason)
    db.session.delete(closure)
    db.session.flush()


def set_managers(actor: User, roles: Roles, facility: Facility, users: list[User]) -> None:
    require_admin(roles)
    facility.managers = users
    db.session.flush()
    forget_roles()
    record(actor, "managers_set", "facility", facility.id, user_ids=[u.id for u in users])


def set_managed_facilities(actor: User, roles: Roles, user: User, facilities: list[Facility]) -> None:
    """The same relation seen from the user: which facilities ``user`` manages."""
    require_admin(roles)
    before = sorted(f.id for f in user.managed_facilities)
    after = sorted(f.id for f in facilities)
    if before == after:
        return
    user.managed_facilities = list(facilities)
    db.session.flush()
    forget_roles()
    record(actor, "managed_facilities_set", "user", user.id, facility_ids=after)


def hours_as_text(facility: Facility) -> dict[str, str]:
    """The inverse of parse_hours: ``{"mon": "08:00-12:00, 13:00-20:00", ...}``."""
    text: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
    for window in sorted(facility.hours, key=lambda w: (w.weekday, w.start_minute)):
        span = f"{format_hhmm(window.start_minute)}-{format_hhmm(window.end_minute)}"
        text[WEEKDAYS[window.weekday]].append(span)
    return {day: ", ".join(spans) for day, spans in text.items()}
