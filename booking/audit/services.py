"""Reading the audit trail: a booking's whole history, a facility's, and the administrator's log.

Nothing here writes or deletes: history is only ever added to. Each reader issues a fixed
number of queries; the lines it returns are already in words (the current locale), so the
pages only lay them out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import joinedload

from ..accounts.models import AuditEntry, User
from ..accounts.permissions import Roles
from ..billing.charges import CHARGE_KINDS
from ..billing.models import Charge
from ..bookings.models import STATUSES, Booking, BookingEvent
from ..bookings.reasons import shown
from ..bookings.services import get_booking
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..facilities.models import Facility
from ..i18n import moment, money
from ..notifications.models import Notification
from ..quotas.models import Quota
from ..timeutil import zone
from ..usage.models import UsageCorrection, UsageRecord

# What the recorded actions mean; others are shown by their code.
ACTIONS = {
    "facility_created": _l("Facility created"),
    "facility_updated": _l("Facility settings changed"),
    "hours_set": _l("Bookable hours set"),
    "closure_added": _l("Closure added"),
    "closure_removed": _l("Closure removed"),
    "managers_set": _l("Managers set"),
    "managed_facilities_set": _l("Managed facilities set"),
    "quota_created": _l("Quota created"),
    "quota_retired": _l("Quota retired"),
    "quota_exception": _l("Quota exception granted"),
    "usage_corrected": _l("Recorded use corrected"),
    "chain_created": _l("Chain created"),
    "chain_updated": _l("Chain changed"),
    "enterprise_created": _l("Enterprise created"),
    "enterprise_updated": _l("Enterprise changed"),
    "baseline_created": _l("Baseline created"),
    "baseline_updated": _l("Baseline changed"),
    "baseline_deleted": _l("Baseline removed"),
    "user_created": _l("User created"),
    "user_updated": _l("User changed"),
    "user_deactivated": _l("User deactivated"),
    "user_reactivated": _l("User reactivated"),
    "password_reset": _l("Password reset"),
    "password_changed": _l("Password changed"),
    "login_locked": _l("Sign-in locked after repeated failures"),
    "member_added": _l("Member added"),
    "member_role_changed": _l("Member's role changed"),
    "api_token_created": _l("API token created"),
    "api_token_revoked": _l("API token revoked"),
    "calendar_feed_created": _l("Calendar feed created"),
    "calendar_feed_renewed": _l("Calendar feed renewed"),
    "calendar_feed_revoked": _l("Calendar feed revoked"),
    "waitlist_joined": _l("Joined a waiting list"),
    "waitlist_withdrawn": _l("Left a waiting list"),
    "waitlist_fulfilled": _l("Waiting-list request made"),
}
# Booking transitions in the administrator's log are actions named "booking_<status>".
EVENT_PREFIX = "booking_"

OBJECT_TYPES = {
    "booking": _l("Booking"),
    "facility": _l("Facility"),
    "quota": _l("Quota"),
    "user": _l("User"),
    "enterprise": _l("Enterprise"),
    "chain": _l("Chain"),
    "waitlist_entry": _l("Waiting-list entry"),
    "calendar_feed": _l("Calendar feed"),
    "api_token": _l("API token"),
}

# Words for the keys of recorded details; unknown keys are shown as they are.
DETAIL_LABELS = {
    "reason": _l("Reason"),
    "override": _l("Outside the usual hours or closures (manager's override)"),
    "late": _l("Late cancellation: a fee may apply"),
    "by_manager": _l("Cancelled by a manager"),
    "lost_to": _l("Given to booking"),
    "quota_overrun": _l("Over quota"),
    "series": _l("The whole series"),
    "old_start": _l("Previous start"),
    "old_end": _l("Previous end"),
    "at": _l("At"),
    "windows": _l("Bookable hours"),
    "user_ids": _l("Users"),
    "facility_ids": _l("Facilities"),
    "facility_id": _l("Facility"),
    "enterprise_id": _l("Enterprise"),
    "quota_id": _l("Quota"),
    "booking_id": _l("Booking"),
    "closure_id": _l("Closure"),
    "start": _l("Start time"),
    "end": _l("End time"),
    "charge_amount": _l("Charge"),
    "actual_start": _l("Actual start"),
    "actual_end": _l("Actual end"),
    "output_quantity": _l("Output"),
    "output_unit": _l("Output unit"),
    "notes": _l("Notes"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "name": _l("Name"),
    "scopes": _l("Scopes"),
    "kind": _l("Kind"),
    "period": _l("Period"),
    "limit_hours": _l("Limit (hours)"),
    "limit_bookings": _l("Limit (bookings)"),
    "peak_only": _l("Peak hours only"),
    "over_limit": _l("Over the limit"),
}
# Boolean flags that read as a sentence when true and are left out when false.
FLAGS = ("override", "late", "by_manager", "series", "peak_only")
EMAIL_STATUSES = {"none": _l("not by e-mail"), "queued": _l("e-mail queued"), "sent": _l("e-mail sent"),
                  "failed": _l("e-mail failed")}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Line:
    """One thing that happened, in words."""
    at: datetime
    source: str  # event | audit | correction | charge | notification
    title: str
    actor: User | None = None
    system: bool = False  # no actor: the system did it
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    link: str | None = None
    sort_key: tuple = ()


# --- words ---------------------------------------------------------------------------------------

def action_label(action: str) -> str:
    if action.startswith(EVENT_PREFIX) and action[len(EVENT_PREFIX):] in STATUSES:
        return _("Booking: %(status)s", status=STATUSES[action[len(EVENT_PREFIX):]])
    return str(ACTIONS.get(action, action))


def object_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, object_type))


def facility_field_labels() -> dict[str, str]:
    """The facility form's own labels for the settings it records (shared translations)."""
    from ..admin.forms import FacilityForm
    labels = {}
    for name in dir(FacilityForm):
        unbound = getattr(FacilityForm, name, None)
        args = getattr(unbound, "args", None)
        if args and hasattr(unbound, "field_class"):
            labels[name] = str(args[0])
    return labels


def show_value(value, tz=None) -> str:
    """A recorded value as people read it."""
    if value is None or value == "":
        return "—"
    if value is True or value == "True":
        return _("Yes")
    if value is False or value == "False":
        return _("No")
    if value == "None":
        return "—"
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if instant.tzinfo is not None:
            return moment(instant, tz or zone("Asia/Shanghai"))
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _detail_label(key: str, labels: dict[str, str] | None = None) -> str:
    if labels and key in labels:
        return labels[key]
    return str(DETAIL_LABELS.get(key, key))


def _overrun_notes(overruns) -> list[str]:
    """A request's quota overruns (written by the quota checks): each in one line, defensively."""
    notes = []
    for overrun in overruns if isinstance(overruns, list) else [overruns]:
        if not isinstance(overrun, dict):
            notes.append(_("Over quota: %(what)s", what=show_value(overrun)))
            continue
        unit = overrun.get("unit")
        used = overrun.get("used", overrun.get("would_use"))
        limit = overrun.get("limit")
        if used is not None and limit is not None:
            amount = (_("%(used)s of %(limit)s bookings", used=used, limit=limit) if unit == "bookings"
                      else _("%(used)s of %(limit)s hours", used=used, limit=limit))
            notes.append(_("Over quota: %(amount)s", amount=amount))
        else:
            notes.append(_("Over quota: %(what)s", what=show_value(overrun)))
    return notes


def describe_details(details: dict | None, tz=None, labels: dict[str, str] | None = None,
                     skip=()) -> tuple[list[Change], list[str]]:
    """Recorded details as before → after changes and notes."""
    changes, notes = [], []
    for key, value in (details or {}).items():
        if key in skip:
            continue
        if key in FLAGS:
            if value:
                notes.append(_detail_label(key, labels))
            continue
        if key == "quota_overrun":
            notes.extend(_overrun_notes(value))
        elif key == "lost_to":
            notes.append(_("Given to booking #%(id)s", id=value))
        elif key == "changes" and isinstance(value, dict):
            for name, pair in value.items():
                before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
                changes.append(Change(_detail_label(name, labels), _show(name, before, tz), _show(name, after, tz)))
        elif key == "before" and isinstance(value, dict) and isinstance(details.get("after"), dict):
            after = details["after"]
            for name in dict.fromkeys([*value, *after]):
                changes.append(Change(_detail_label(name, labels), _show(name, value.get(name), tz),
                                      _show(name, after.get(name), tz)))
        elif key == "after" and isinstance(details.get("before"), dict):
            continue
        elif key == "windows" and isinstance(value, list):
            notes.append(_detail_label(key) + ": " + _windows(value))
        elif isinstance(value, list) and len(value) == 2 and key in ("charge_amount",):
            changes.append(Change(_detail_label(key, labels), show_value(value[0], tz), show_value(value[1], tz)))
        else:
            notes.append(f"{_detail_label(key, labels)}: {_show(key, value, tz)}")
    return changes, notes


def _code_labels() -> dict[str, dict]:
    """Words for the codes that details record (a feed's kind, a role, a period...), by detail key."""
    from ..admin.forms import CLOSURE_KINDS
    from ..calendar.models import FEED_KINDS
    from ..facilities.models import BILLING_BASES, KINDS, OUTPUT_UNITS, RATE_UNITS
    from ..organisation.people import MEMBER_ROLES
    from ..quotas.models import OVER_LIMIT, PERIODS
    return {"kind": {**KINDS, **FEED_KINDS, **CLOSURE_KINDS}, "billing_basis": BILLING_BASES,
            "rate_unit": RATE_UNITS, "output_unit": OUTPUT_UNITS, "role": MEMBER_ROLES, "period": PERIODS,
            "over_limit": OVER_LIMIT, "status": STATUSES}


def _show(key: str, value, tz=None) -> str:
    """``show_value``, with a recorded code (``"mine"``, ``"week"``) in words."""
    words = _code_labels().get(key, {})
    if isinstance(value, str) and value in words:
        return str(words[value])
    return show_value(value, tz)


def _windows(windows: list) -> str:
    from ..web import WEEKDAY_NAMES
    from ..timeutil import format_hhmm
    parts = []
    for window in windows:
        try:
            weekday, start, end = window
            parts.append(f"{WEEKDAY_NAMES[int(weekday)]} {format_hhmm(int(start))}–{format_hhmm(int(end))}")
        except (TypeError, ValueError, IndexError):
            parts.append(show_value(window))
    return ", ".join(parts) or "—"


def event_line(event: BookingEvent, tz) -> Line:
    to_label = str(STATUSES.get(event.to_status, event.to_status))
    if event.from_status:
        title = _("%(before)s → %(after)s", before=STATUSES.get(event.from_status, event.from_status),
                  after=to_label)
    else:
        title = _("Requested: %(status)s", status=to_label)
    changes, notes = describe_details(event.details, tz)
    return Line(at=event.at, source="event", title=title, actor=event.actor, system=event.actor_id is None,
                reason=shown(event.reason), changes=changes, notes=notes, sort_key=(event.at, 0, event.id))


def audit_line(entry: AuditEntry, tz=None, labels: dict[str, str] | None = None) -> Line:
    details = entry.details if isinstance(entry.details, dict) else {}
    changes, notes = describe_details(details, tz, labels, skip=("reason",))
    return Line(at=entry.at, source="audit", title=action_label(entry.action), actor=entry.actor,
                system=entry.actor_id is None, reason=str(details.get("reason") or ""), changes=changes,
                notes=notes, sort_key=(entry.at, 1, entry.id))


# --- the booking's history -----------------------------------------------------------------------

def booking_history(roles: Roles, booking_id: int) -> tuple[Booking, list[Line]]:
    """Everything recorded about one booking, oldest first: the booking, then one query per kind of record."""
    booking = get_booking(roles, booking_id)
    tz = booking.facility.tz
    events = db.session.scalars(select(BookingEvent).options(joinedload(BookingEvent.actor))
                                .where(BookingEvent.booking_id == booking.id)).all()
    audits = db.session.scalars(select(AuditEntry).options(joinedload(AuditEntry.actor)).where(
        AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id)).all()
    corrections = db.session.scalars(
        select(UsageCorrection).join(UsageRecord).options(joinedload(UsageCorrection.actor))
        .where(UsageRecord.booking_id == booking.id)).all()
    charges = db.session.scalars(select(Charge).where(Charge.booking_id == booking.id)).all()
    about = Notification.booking_id == booking.id
    if booking.series_id is not None:
        about = or_(about, Notification.series_id == booking.series_id)
    notifications = db.session.scalars(select(Notification).options(joinedload(Notification.user))
                                       .where(about)).all()

    lines = [event_line(e, tz) for e in events]
    corrected = set()
    for c in corrections:
        changes, _notes = describe_details({"before": c.before, "after": c.after}, tz)
        corrected.add((c.actor_id, c.reason, json.dumps(c.before, sort_keys=True), json.dumps(c.after, sort_keys=True)))
        lines.append(Line(at=c.at, source="correction", title=str(ACTIONS["usage_corrected"]), actor=c.actor,
                          system=c.actor_id is None, reason=c.reason, changes=changes,
                          sort_key=(c.at, 2, c.id)))
    for entry in audits:
        details = entry.details if isinstance(entry.details, dict) else {}
        if entry.action == "usage_corrected" and (
                entry.actor_id, details.get("reason"), json.dumps(details.get("before"), sort_keys=True),
                json.dumps(details.get("after"), sort_keys=True)) in corrected:
            if "charge_amount" in details:  # the correction shows the use; this adds what it did to the charge
                changes, _notes = describe_details({"charge_amount": details["charge_amount"]}, tz)
                lines.append(Line(at=entry.at, source="audit", title=_("Charge recalculated"), actor=entry.actor,
                                  system=entry.actor_id is None, changes=changes, sort_key=(entry.at, 1, entry.id)))
            continue
        lines.append(audit_line(entry, tz))
    for charge in charges:
        lines.append(Line(at=charge.computed_at, source="charge",
                          title=_("Charge: %(kind)s", kind=CHARGE_KINDS.get(charge.kind, charge.kind)),
                          system=True, notes=[_money(charge.amount, charge.currency)],
                          sort_key=(charge.computed_at, 3, charge.id)))
    for n in notifications:
        status = str(EMAIL_STATUSES.get(n.email_status, n.email_status))
        notes = [_("To %(name)s", name=n.user.name if n.user else "?"), status]
        if n.in_app:
            notes.append(_("in the app"))
        if n.email_status == "failed" and n.last_error:
            notes.append(n.last_error)
        lines.append(Line(at=n.created_at, source="notification",
                          title=_("Notified: %(kind)s", kind=n.kind_label), system=True, notes=notes,
                          sort_key=(n.created_at, 4, n.id)))
    lines.sort(key=lambda line: line.sort_key)
    return booking, lines


def _money(amount, currency: str) -> str:
    return money(amount, currency)


# --- the facility's history ----------------------------------------------------------------------

def get_facility_for_history(roles: Roles, facility_id: int) -> Facility:
    """Administrators, the facility's managers and its chain's committee; others 403 (404 if unknown)."""
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(_("There is no such facility."), code="unknown_facility")
    if not (roles.manages(facility.id) or roles.oversees_chain(facility.chain_id)):
        raise Forbidden(_("Only administrators, the facility's managers and the chain's committee see its history."))
    return facility


def facility_history_query(facility_id: int):
    """The facility's own entries and those of its quotas, newest first."""
    quota_ids = select(Quota.id).where(Quota.facility_id == facility_id)
    return (select(AuditEntry).options(joinedload(AuditEntry.actor)).where(or_(
        and_(AuditEntry.object_type == "facility", AuditEntry.object_id == facility_id),
        and_(AuditEntry.object_type == "quota", or_(
            AuditEntry.object_id.in_(quota_ids),
            AuditEntry.details["facility_id"].as_integer() == facility_id)),
    )).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def facility_lines(facility: Facility, entries: list[AuditEntry]) -> list[Line]:
    labels = facility_field_labels()
    return [audit_line(entry, facility.tz, labels) for entry in entries]


# --- the administrator's log ---------------------------------------------------------------------

@dataclass
class LogFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    facility_id: int | None = None
    since: date | None = None
    until: date | None = None
    tz: str = "Asia/Shanghai"


def log_query(filters: LogFilters):
    """Audit entries and booking transitions as one UNION ALL, newest first, ties by source and id.

    Columns: source (0 audit, 1 event), id, at, action, object_type. Rows are loaded by id afterwards.
    """
    audits = select(literal(0).label("source"), AuditEntry.id.label("id"), AuditEntry.at.label("at"),
                    AuditEntry.action.label("action"), AuditEntry.object_type.label("object_type"))
    events = select(literal(1).label("source"), BookingEvent.id.label("id"), BookingEvent.at.label("at"),
                    (literal(EVENT_PREFIX) + BookingEvent.to_status).label("action"),
                    literal("booking").label("object_type"))
    if filters.actor:
        pattern = "%" + filters.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matching = select(User.id).where(func.lower(User.email).like(pattern, escape="\\"))
        audits = audits.where(AuditEntry.actor_id.in_(matching))
        events = events.where(BookingEvent.actor_id.in_(matching))
    if filters.action:
        if filters.action.startswith(EVENT_PREFIX) and filters.action[len(EVENT_PREFIX):] in STATUSES:
            events = events.where(BookingEvent.to_status == filters.action[len(EVENT_PREFIX):])
            audits = audits.where(AuditEntry.action == filters.action)
        else:
            audits = audits.where(AuditEntry.action == filters.action)
            events = events.where(db.false())
    if filters.object_type:
        audits = audits.where(AuditEntry.object_type == filters.object_type)
        if filters.object_type != "booking":
            events = events.where(db.false())
    if filters.facility_id is not None:
        fid = filters.facility_id
        bookings_of = select(Booking.id).where(Booking.facility_id == fid)
        audits = audits.where(or_(
            and_(AuditEntry.object_type == "facility", AuditEntry.object_id == fid),
            and_(AuditEntry.object_type == "booking", AuditEntry.object_id.in_(bookings_of)),
            and_(AuditEntry.object_type == "quota",
                 AuditEntry.object_id.in_(select(Quota.id).where(Quota.facility_id == fid))),
            AuditEntry.details["facility_id"].as_integer() == fid,
        ))
        events = events.where(BookingEvent.booking_id.in_(bookings_of))
    tz = zone(filters.tz)
    if filters.since is not None:
        start = datetime.combine(filters.since, time(0), tzinfo=tz)
        audits = audits.where(AuditEntry.at >= start)
        events = events.where(BookingEvent.at >= start)
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(0), tzinfo=tz)
        audits = audits.where(AuditEntry.at < end)
        events = events.where(BookingEvent.at < end)
    union = audits.union_all(events).subquery("log")
    return select(union.c.source, union.c.id, union.c.at).order_by(
        union.c.at.desc(), union.c.source.desc(), union.c.id.desc())


def log_lines(rows) -> list[tuple[Line, object]]:
    """The page's rows (source, id, at) as lines, with what they are about: two queries."""
    audit_ids = [r.id for r in rows if r.source == 0]
    event_ids = [r.id for r in rows if r.source == 1]
    audits = {a.id: a for a in db.session.scalars(select(AuditEntry).options(joinedload(AuditEntry.actor))
                                                  .where(AuditEntry.id.in_(audit_ids)))} if audit_ids else {}
    events = {e.id: e for e in db.session.scalars(
        select(BookingEvent).options(joinedload(BookingEvent.actor),
                                     joinedload(BookingEvent.booking).joinedload(Booking.facility))
        .where(BookingEvent.id.in_(event_ids)))} if event_ids else {}
    result = []
    for row in rows:
        if row.source == 0 and row.id in audits:
            entry = audits[row.id]
            result.append((audit_line(entry), entry))
        elif row.source == 1 and row.id in events:
            event = events[row.id]
            result.append((event_line(event, event.booking.facility.tz), event))
    return result
