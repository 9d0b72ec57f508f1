"""Facilities, their hours, closures and managers."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..accounts.permissions import Roles, forget_roles
from ..accounts.services import record
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..timeutil import is_valid_zone, parse_hhmm
from .models import KINDS, WEEKDAYS, BookableHours, Closure, Facility


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


# --- changes -------------------------------------------------------------------------------

FACILITY_FIELDS = (
    "chain_id", "name", "name_en", "kind", "host_enterprise_id", "park", "location", "description",
    "capacity", "throughput_per_hour", "output_unit", "timezone", "active", "requires_approval",
    "slot_minutes", "min_minutes", "max_minutes", "min_notice_minutes", "max_advance_days",
    "buffer_minutes", "currency", "rate_unit", "shared_rate", "reference_rate", "billing_basis",
    "no_show_fee", "late_cancel_fee",
)


def save_facility(actor: User, roles: Roles, facility: Facility | None, data: dict) -> Facility:
    require_admin(roles)
    if data.get("kind") not in KINDS:
        raise InvalidInput(_("Unknown facility kind."), code="invalid_kind", field="kind")
    if data.get("timezone") and not is_valid_zone(data["timezone"]):
        raise InvalidInput(_("Unknown time zone."), code="invalid_timezone", field="timezone")
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
